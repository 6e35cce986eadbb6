"""EKS access on the mock engine: both modes and auto, home and role accounts; manifests against real schemas."""

from __future__ import annotations

import json

import kubernetes_validate
import pulumi
import pytest

from automation.plan import plan
from components.cluster_identity import kubeconfig
from components.stack_config import EksCluster
from tests.conftest import of_type
from tests.scenario_mocks import ScenarioMocks

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
AWS_AUTH = "pulumi-python:dynamic/eks:AwsAuthMapping"
USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ROLE_ARN = "arn:aws:iam::222222222222:role/Axonius-Readonly-Role"


def eks_stack(*clusters: dict, **eks) -> dict:
    return {"roles": {"accounts": [{"id": "222222222222"}]}, "eks": {"clusters": list(clusters), **eks}}


def summary(run) -> list[dict]:
    return run.outputs["eksClusters"].value


def test_access_entry_in_the_home_account_maps_the_user(run_stack):
    run = run_stack(eks_stack({"name": "prod-eks", "region": "us-east-1", "mode": "accessEntry"}))
    (entry,) = of_type(run, ACCESS_ENTRY)
    assert entry.inputs["principalArn"] == USER_ARN
    assert entry.inputs["kubernetesGroups"] == ["axonius-readonly"]
    assert entry.inputs["userName"] == "axonius-readonly" and entry.inputs["type"] == "STANDARD"
    assert entry.inputs["clusterName"] == "prod-eks" and entry.inputs["region"] == "us-east-1"
    assert entry.provider == ""  # the default provider: the user's own account
    assert not of_type(run, AWS_AUTH)
    assert not of_type(run, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")  # the ClusterRole is the grant
    assert summary(run) == [
        {
            "name": "prod-eks",
            "region": "us-east-1",
            "account": "111111111111",
            "mode": "accessEntry",
            "identity": USER_ARN,
        }
    ]


def test_aws_auth_in_a_role_account_maps_that_accounts_role(run_stack):
    cluster = {"name": "data-eks", "region": "eu-west-1", "account": "222222222222", "mode": "awsAuth"}
    run = run_stack(eks_stack(cluster))
    (mapping,) = of_type(run, AWS_AUTH)
    assert mapping.inputs["mapKind"] == "mapRoles" and mapping.inputs["arn"] == ROLE_ARN
    assert mapping.inputs["groups"] == ["axonius-readonly"] and mapping.inputs["username"] == "axonius-readonly"
    assert mapping.inputs["roleArn"] == "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    assert mapping.inputs["endpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    assert not of_type(run, ACCESS_ENTRY)
    assert summary(run)[0]["mode"] == "awsAuth" and summary(run)[0]["identity"] == ROLE_ARN


def test_access_entry_in_a_role_account_uses_that_accounts_provider(run_stack):
    cluster = {"name": "data-eks", "region": "eu-west-1", "account": "222222222222", "mode": "accessEntry"}
    run = run_stack(eks_stack(cluster))
    (entry,) = of_type(run, ACCESS_ENTRY)
    assert entry.inputs["principalArn"] == ROLE_ARN
    assert "pulumi:providers:aws::account-222222222222" in entry.provider


@pytest.mark.parametrize(
    ("authentication_mode", "expected"),
    [("API", "accessEntry"), ("API_AND_CONFIG_MAP", "accessEntry"), ("CONFIG_MAP", "awsAuth")],
)
@pytest.mark.parametrize("account", [None, "222222222222"])
def test_auto_follows_the_clusters_authentication_mode(run_stack, authentication_mode, expected, account):
    cluster = {"name": "c1", "region": "us-east-1", "mode": "auto"} | ({"account": account} if account else {})
    run = run_stack(eks_stack(cluster), mocks=ScenarioMocks(authentication_modes={"c1": authentication_mode}))
    assert summary(run)[0]["mode"] == expected
    assert len(of_type(run, ACCESS_ENTRY if expected == "accessEntry" else AWS_AUTH)) == 1


@pytest.mark.parametrize(("mode", "authentication_mode"), [("accessEntry", "CONFIG_MAP"), ("awsAuth", "API")])
def test_a_mode_the_cluster_does_not_honour_is_a_config_error(run_stack, mode, authentication_mode):
    mocks = ScenarioMocks(authentication_modes={"c1": authentication_mode})
    with pytest.raises(pulumi.RunError, match=rf"eks.clusters\[0\].mode: '{mode}' is not accepted for cluster c1"):
        run_stack(eks_stack({"name": "c1", "region": "us-east-1", "mode": mode}), mocks=mocks)


def test_cluster_role_and_binding_follow_config(run_stack):
    rules = [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list"]}]
    run = run_stack(
        eks_stack(
            {"name": "c1", "region": "us-east-1"},
            clusterRole="ax-view",
            clusterRoleBinding="ax-b",
            group="ax-g",
            rules=rules,
        )
    )
    (role,) = of_type(run, CLUSTER_ROLE)
    (binding,) = of_type(run, BINDING)
    assert role.inputs["metadata"]["name"] == "ax-view"
    assert role.inputs["rules"] == rules
    assert binding.inputs["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "ax-view",
    }
    assert binding.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ax-g"}]
    assert role.provider.split("::")[-2] == binding.provider.split("::")[-2]


def test_the_seed_default_is_list_pods(run_stack):
    run = run_stack(eks_stack({"name": "c1", "region": "us-east-1"}))
    (role,) = of_type(run, CLUSTER_ROLE)
    assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]


def test_the_kubernetes_provider_signs_in_with_aws_eks_get_token(run_stack):
    run = run_stack(eks_stack({"name": "data-eks", "region": "eu-west-1", "account": "222222222222"}))
    (provider,) = of_type(run, "pulumi:providers:kubernetes")
    config = json.loads(provider.inputs["kubeconfig"])
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "data-eks",
        "--region",
        "eu-west-1",
        "--role-arn",
        "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
    ]
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")


def test_kubeconfig_for_the_home_account_assumes_no_role():
    config = kubeconfig(EksCluster("c", "us-east-1"), "https://x", "Q0E=", None)
    assert "--role-arn" not in config["users"][0]["user"]["exec"]["args"]


@pytest.mark.parametrize("version", ["1.29.0", "1.31.0", "1.33.0"])
def test_every_cluster_role_and_binding_validates_against_kubernetes_schemas(version):
    result = plan("prod", policies=False)
    manifests = [r.inputs for r in result.resources if r.type in (CLUSTER_ROLE, BINDING)]
    assert len(manifests) == 6
    for manifest in manifests:
        kubernetes_validate.validate(manifest, version, strict=True)


def test_an_invalid_manifest_is_caught_by_the_validator():
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "x"},
                "rules": [{"verbs": ["get"], "resourcez": ["pods"]}],
            },
            "1.31.0",
            strict=True,
        )


def test_the_policy_pack_passes_both_modes_in_both_kinds_of_account(run_stack):
    from automation.pack_client import evaluate_stack
    from tests.conftest import PROJECT_DIR

    run = run_stack(
        eks_stack(
            {"name": "a", "region": "us-east-1", "mode": "accessEntry"},
            {"name": "b", "region": "us-east-1", "mode": "awsAuth"},
            {"name": "c", "region": "eu-west-1", "account": "222222222222", "mode": "accessEntry"},
            {"name": "d", "region": "eu-west-1", "account": "222222222222", "mode": "awsAuth"},
        )
    )
    assert len(of_type(run, ACCESS_ENTRY)) == 2 and len(of_type(run, AWS_AUTH)) == 2
    assert evaluate_stack(PROJECT_DIR / "policy_pack", "test", run.resources) == []


def test_a_mode_error_stops_the_run_before_any_iam_resource_is_declared(run_stack):
    mocks = ScenarioMocks(authentication_modes={"c1": "API"})
    with pytest.raises(pulumi.RunError):
        run_stack(
            eks_stack({"name": "c1", "region": "us-east-1", "account": "222222222222", "mode": "awsAuth"}), mocks=mocks
        )
    # only the component (no cloud resource) and the provider the lookup needs
    assert mocks.created == ["axonius-aws-access:index:AxoniusAccess", "pulumi:providers:aws"]


def test_a_cluster_that_cannot_be_read_is_a_config_error_naming_it(run_stack):
    mocks = ScenarioMocks(missing_clusters=frozenset({"gone"}))
    with pytest.raises(
        pulumi.RunError,
        match=r"eks.clusters\[0\]: cluster 'gone' could not be read in us-east-1 of "
        r"account 111111111111 \(.*couldn't find resource",
    ):
        run_stack(eks_stack({"name": "gone", "region": "us-east-1"}), mocks=mocks)
    assert not [t for t in mocks.created if t.startswith("aws:iam/")]
