"""Trust, attachments, Kubernetes RBAC, EKS mappings and the stack policies, over gRPC."""

from __future__ import annotations

import json

import pytest

from automation.pack_client import PolicyPackProcess
from tests.conftest import PROJECT_DIR
from tests.pack_helpers import allow, document, findings, mandatory, resource

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ROLE = "aws:iam/role:Role"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"


def trust(principal, action="sts:AssumeRole", **extra) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def role(trust_policy: str, **props) -> dict:
    return {"assumeRolePolicy": trust_policy, "maxSessionDuration": 14400, **props}


def test_a_role_trusting_only_the_user_passes(pack):
    assert findings(pack, ROLE, role(trust({"AWS": USER_ARN}))) == {}
    with_tags = trust({"AWS": [USER_ARN]}, action=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    assert mandatory(pack, ROLE, role(with_tags)) == []


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "has principal '*'"),
        ({"AWS": "*"}, "trusts '*'"),
        ({"AWS": "arn:aws:iam::111111111111:root"}, "trusts 'arn:aws:iam::111111111111:root'"),
        ({"AWS": "111111111111"}, "trusts '111111111111'"),
        ({"AWS": "arn:aws:iam::111111111111:user/*"}, "trusts 'arn:aws:iam::111111111111:user/*'"),
        ({"Service": "ec2.amazonaws.com"}, "has principal {'Service': 'ec2.amazonaws.com'}"),
        ({"Federated": "cognito-identity.amazonaws.com"}, "has principal {'Federated'"),
    ],
)
def test_broad_trust_is_rejected(pack, principal, expected):
    (message,) = mandatory(pack, ROLE, role(trust(principal)))
    assert expected in message


def test_an_account_root_is_accepted_only_when_a_condition_names_specific_arns(pack):
    condition = {"ArnEquals": {"aws:PrincipalArn": [USER_ARN]}}
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    assert mandatory(pack, ROLE, role(trust(root, Condition=condition))) == []
    loose = {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/*"}}
    assert mandatory(pack, ROLE, role(trust(root, Condition=loose)))


@pytest.mark.parametrize("action", ["sts:AssumeRoleWithWebIdentity", "sts:*", "iam:PassRole"])
def test_trust_allows_only_assume_tag_and_source_identity(pack, action):
    (message,) = mandatory(pack, ROLE, role(trust({"AWS": USER_ARN}, action=action)))
    assert "only sts:AssumeRole, sts:SetSourceIdentity, sts:TagSession" in message


def test_session_duration_is_bounded_and_the_bound_is_configurable(pack):
    (message,) = mandatory(pack, ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200))
    assert message == "maxSessionDuration is 43200 seconds; at most 14400 is allowed"
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as configured:
        configured.configure({"iam-role-trust": {"enforcementLevel": "mandatory", "maxSessionDuration": 43200}})
        assert mandatory(configured, ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200)) == []


def read_only_managed_policy() -> str:
    table = json.loads((PROJECT_DIR / "policy_pack/rules/aws_managed_policies.json").read_text())
    return table["readOnly"][0]


@pytest.mark.parametrize(
    "type_",
    [
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
)
def test_aws_managed_attachments_pass_only_when_read_only(pack, type_):
    for name in ("ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit", "AdministratorAccess"):
        (message,) = mandatory(pack, type_, {"policyArn": f"arn:aws:iam::aws:policy/{name}"})
        assert f"the AWS managed policy {name!r} grants more than List/Read" in message
    assert mandatory(pack, type_, {"policyArn": f"arn:aws:iam::aws:policy/{read_only_managed_policy()}"}) == []
    (message,) = mandatory(pack, type_, {"policyArn": "arn:aws:iam::aws:policy/service-role/AWSConfigRole"})
    assert "'AWSConfigRole'" in message


def test_role_managed_policy_arns_are_checked(pack):
    props = role(trust({"AWS": USER_ARN}), managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])
    (message,) = mandatory(pack, ROLE, props)
    assert "'AdministratorAccess'" in message


def stack(pack, *resources) -> list:
    return pack.analyze_stack(list(resources))


def test_customer_policies_must_be_declared_here_and_read_only(pack):
    arn = "arn:aws:iam::111111111111:policy/Mine"
    good = resource("aws:iam/policy:Policy", {"arn": arn, "policy": document(allow("ec2:DescribeVpcs"))}, "mine")
    bad = resource("aws:iam/policy:Policy", {"arn": arn, "policy": document(allow("ec2:*"))}, "mine")
    attachment = resource("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"policyArn": arn, "user": "u"})
    assert stack(pack, good, attachment) == []
    (violation,) = stack(pack, bad, attachment)
    assert violation.policy == "iam-customer-policy-attachments" and violation.level == "mandatory"
    assert violation.message.endswith(f"attaches {arn}, which grants more than List/Read")
    (violation,) = stack(pack, attachment)
    assert "which this stack does not declare, so it cannot be checked" in violation.message
    assert violation.urn == attachment.urn


def cluster_role(rules, kind="ClusterRole", name="axonius-view-role", **extra) -> tuple[str, dict]:
    return f"{RBAC}:{kind}", {"metadata": {"name": name}, "rules": rules, **extra}


SEED_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}


def test_the_seed_cluster_role_passes(pack):
    assert findings(pack, *cluster_role([SEED_RULE])) == {}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "create"]}, "has verbs ['create']"),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "has '*' in verbs"),
        ({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}, "has '*' in resources"),
        ({"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}, "has '*' in apiGroups"),
        ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, "reads secrets"),
        ({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}, "names subresources ['pods/exec']"),
        ({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"]}, "escalate"),
        ({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["bind"]}, "bind"),
        ({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}, "impersonate"),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["post"]}, "on nonResourceURLs"),
    ],
)
@pytest.mark.parametrize("kind", ["ClusterRole", "Role", "ClusterRolePatch", "RolePatch"])
def test_rbac_beyond_read_is_rejected(pack, rule, expected, kind):
    messages = mandatory(pack, *cluster_role([SEED_RULE, rule], kind=kind))
    assert messages and all(m.startswith("rule #1") for m in messages)
    assert any(expected in m for m in messages)


def test_an_aggregated_cluster_role_cannot_be_checked_so_it_is_rejected(pack):
    (message,) = mandatory(pack, *cluster_role([], aggregationRule={"clusterRoleSelectors": [{}]}))
    assert "aggregationRule" in message


def binding(role_name="axonius-view-role", group="axonius-readonly", kind="ClusterRoleBinding") -> tuple[str, dict]:
    return f"{RBAC}:{kind}", {
        "metadata": {"name": "axonius-view-cbr"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
    }


def test_bindings_never_grant_admin(pack):
    assert mandatory(pack, *binding()) == []
    for name in ("cluster-admin", "admin", "edit"):
        (message,) = mandatory(pack, *binding(role_name=name))
        assert f"grants {name!r}" in message
    (message,) = mandatory(pack, *binding(group="system:masters", kind="RoleBinding"))
    assert "system:masters" in message


def test_access_entries_and_policies(pack):
    entry = "aws:eks/accessEntry:AccessEntry"
    ok = {"clusterName": "c", "principalArn": USER_ARN, "kubernetesGroups": ["axonius-readonly"], "userName": "ax"}
    assert mandatory(pack, entry, ok) == []
    assert "system:masters" in mandatory(pack, entry, {**ok, "kubernetesGroups": ["system:masters"]})[0]
    assert "starts with 'system:'" in mandatory(pack, entry, {**ok, "userName": "system:node:x"})[0]
    association = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    assert mandatory(pack, association, {"policyArn": view}) == []
    for name in ("AmazonEKSAdminViewPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy"):
        (message,) = mandatory(pack, association, {"policyArn": view.replace("AmazonEKSViewPolicy", name)})
        assert "only the view policy" in message


def test_aws_auth_entries_never_grant_system_masters(pack):
    admin = "- userarn: arn:aws:iam::1:user/x\n  username: x\n  groups: [system:masters]\n"
    config_map = {"metadata": {"name": "aws-auth", "namespace": "kube-system"}, "data": {"mapUsers": admin}}
    for type_ in ("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"):
        (message,) = mandatory(pack, type_, config_map)
        assert message == "mapUsers: the aws-auth entry maps into 'system:masters' (cluster admin)"
    other = {"metadata": {"name": "other", "namespace": "kube-system"}, "data": {"mapUsers": admin}}
    assert mandatory(pack, "kubernetes:core/v1:ConfigMap", other) == []
    mapping = {"mapKind": "mapUsers", "arn": USER_ARN, "username": "ax", "groups": ["system:masters"]}
    assert mandatory(pack, "pulumi-python:dynamic/eks:AwsAuthMapping", mapping)
    assert mandatory(pack, "pulumi-python:dynamic:Resource", {**mapping, "groups": ["axonius-readonly"]}) == []


def test_mapped_groups_are_bound_only_to_read_only_roles_declared_here(pack):
    entry = resource("aws:eks/accessEntry:AccessEntry", {"kubernetesGroups": ["axonius-readonly"]}, "entry")
    good_role = resource(*cluster_role([SEED_RULE]), "role")
    bad_role = resource(*cluster_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]), "role")
    bound = resource(*binding(), "binding")
    assert stack(pack, entry, good_role, bound) == []
    (violation,) = stack(pack, entry, bad_role, bound)
    assert "grants more than get, list and watch" in violation.message
    (violation,) = stack(pack, entry, resource(*binding(role_name="view"), "binding"))
    assert violation.message == (
        "binds mapped group(s) ['axonius-readonly'] to ClusterRole 'view', which is not declared in this stack"
    )
    unmapped = resource(*binding(role_name="view", group="someone-else"), "binding")
    assert stack(pack, entry, unmapped) == []


def test_an_unknown_value_elsewhere_does_not_stop_the_rbac_check_during_preview(pack):
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    type_, props = cluster_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}])
    props["metadata"] = {"name": "axonius-view-role", "uid": unknown}
    (message,) = mandatory(pack, type_, props)
    assert "has verbs ['delete']" in message
