"""The pack over the engine's gRPC protocol: the wiring the in-process tests of its policies take on trust.

The pack runs as the engine starts it (`python -m pulumi.policy`, see automation/pack_client.py). Each policy is
registered with its level and config schema, and reached through `Analyze` or `AnalyzeStack` with the same
findings as the policy called in-process (tests/policy_helpers.py) on one passing and one rejected case;
`Configure` reaches the policies; an unknown value becomes the SDK's advisory note; odd input never makes the pack
raise. The rules themselves are tested in-process: test_pack_iam, test_pack_fail_closed, test_pack_other_rules,
test_pack_cloudformation, test_pack_kubernetes, test_kubernetes_rules.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from automation.pack_client import LEVELS, PolicyPackProcess, Violation, analyzer_resource
from components.aws_auth_mapping import AwsAuthMappingProvider
from policy_pack.rules import resource_types as types
from tests import pack_helpers as grpc
from tests.conftest import PROJECT_DIR
from tests.policy_helpers import (
    POLICIES,
    UNKNOWN,
    StackResource,
    allow,
    analyze,
    analyze_stack,
    by_policy,
    document,
    level,
    on_cluster,
    resource,
    trust,
)

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
READ = document(allow("ec2:DescribeVpcs"))
ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
RBAC_GROUP = "rbac.authorization.k8s.io"


def cluster_role(verb: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "axonius-view-role"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": [verb]}],
    }


def binding(role: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "axonius-view-cbr"},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": "axonius-readonly"}],
    }


def template(action: Any) -> str:
    """A template holding one managed policy that allows `action`; the parameter Verb defaults to Get."""
    statement = allow(action)
    policy = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": json.loads(document(statement))}}
    return json.dumps({"Parameters": {"Verb": {"Type": "String", "Default": "Get"}}, "Resources": {"P": policy}})


def fake_token_source(props: Any) -> str:  # pickled by reference: not the project's
    return "token"


def access_entry(entry_type: str) -> dict[str, Any]:
    return {"clusterName": "c", "principalArn": USER_ARN, "kubernetesGroups": ["axonius-readonly"], "type": entry_type}


# One passing and one rejected resource for each resource policy: (type, passing props, rejected props).
RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "iam-read-only-actions": (types.IAM_POLICY, {"policy": READ}, {"policy": document(allow("s3:PutObject"))}),
    "iam-resource-policies-read-only": (
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b", "policy": document(allow("s3:ListBucket", Principal={"AWS": "*"}))},
        {"bucket": "b", "policy": document(allow("s3:PutObject", Principal={"AWS": "*"}))},
    ),
    "iam-no-sensitive-reads": (
        types.IAM_POLICY,
        {"policy": READ},
        {"policy": document(allow("secretsmanager:GetSecretValue"))},
    ),
    "iam-no-action-wildcards": (types.IAM_POLICY, {"policy": READ}, {"policy": document(allow("ec2:Describe*"))}),
    "iam-role-trust": (
        types.IAM_ROLE,
        {"assumeRolePolicy": trust({"AWS": USER_ARN})},
        {"assumeRolePolicy": trust({"AWS": "*"})},
    ),
    "iam-managed-policy-attachments": (
        ATTACH,
        {"policyArn": "arn:aws:iam::aws:policy/AWSAccountActivityAccess", "user": "u"},
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "user": "u"},
    ),
    "cloudformation-templates": (
        types.CLOUDFORMATION_STACK_SET,
        {"templateBody": template("ec2:DescribeVpcs")},
        {"templateUrl": "https://s3.amazonaws.com/b/t.yaml"},
    ),
    "iam-unverifiable-resources": (
        types.NATIVE_PERMISSION_SET,
        {"name": "p"},
        {"name": "p", "customerManagedPolicyReferences": [{"name": "Admin"}]},
    ),
    "kubernetes-rbac-read-only": (f"{types.RBAC}:ClusterRole", cluster_role("list"), cluster_role("delete")),
    "kubernetes-bindings-not-admin": (
        f"{types.RBAC}:ClusterRoleBinding",
        binding("axonius-view-role"),
        binding("cluster-admin"),
    ),
    "eks-identity-mappings": (types.ACCESS_ENTRY, access_entry("STANDARD"), access_entry("EC2_LINUX")),
    "iam-adopted-identities": (types.IAM_ACCESS_KEY, {"user": "Axonius-Readonly"}, {"user": "admin"}),
    "resource-types-known": (  # the project's dynamic resource: told by its pickled provider, never its name
        types.AWS_AUTH_MAPPING,
        {"__provider": serialize_provider(AwsAuthMappingProvider())},
        {"__provider": serialize_provider(AwsAuthMappingProvider(fake_token_source))},
    ),
    "kubernetes-no-grants-outside-rbac": (
        "kubernetes:core/v1:Secret",
        {"metadata": {"name": "s"}, "type": "Opaque"},
        {"metadata": {"name": "s"}, "type": "kubernetes.io/service-account-token"},
    ),
}


def customer_attachment(action: str) -> list[StackResource]:
    """The attachment's ARN is unknown (preview): only its property dependency leads to the policy."""
    policy = resource(types.IAM_POLICY, {"name": "p", "policy": document(allow(action))}, "mine")
    return [policy, resource(ATTACH, {"policyArn": UNKNOWN, "user": "u"}, "a", depends={"policyArn": [policy.urn]})]


def access_key(user: str) -> list[StackResource]:
    declared = resource(types.IAM_USER, {"name": "Axonius-Readonly"}, "user")
    return [declared, resource("aws:iam/accessKey:AccessKey", {"user": user}, "key")]


def instance_profile(role_name: str) -> list[StackResource]:
    declared = resource(types.IAM_ROLE, {"name": "reader", "assumeRolePolicy": trust({"AWS": USER_ARN})}, "reader")
    return [declared, resource(types.INSTANCE_PROFILE, {"role": role_name}, "profile")]


def stack_set_instance(verb: str) -> list[StackResource]:
    stack_set = resource(
        types.CLOUDFORMATION_STACK_SET, {"name": "ss", "templateBody": template({"Fn::Sub": "iam:${Verb}User"})}, "ss"
    )
    overrides = {"stackSetName": "ss", "parameterOverrides": {"Verb": verb}}
    return [stack_set, resource(types.STACK_SET_INSTANCE, overrides, "instance")]


def bound_on(cluster: str) -> list[StackResource]:
    """The role on cluster a; the binding on `cluster`: only the provider tells the clusters apart."""
    role = on_cluster(f"{types.RBAC}:ClusterRole", cluster_role("list"), "role", cluster="a")
    return [role, on_cluster(f"{types.RBAC}:ClusterRoleBinding", binding("axonius-view-role"), "binding", cluster)]


# One passing and one rejected stack for each stack policy.
STACK_CASES: dict[str, tuple[list[StackResource], list[StackResource]]] = {
    "iam-customer-policy-attachments": (customer_attachment("ec2:DescribeVpcs"), customer_attachment("iam:CreateUser")),
    "iam-declared-identities": (access_key("Axonius-Readonly"), access_key("admin")),
    "iam-role-hand-offs": (instance_profile("reader"), instance_profile("OrganizationAccountAccessRole")),
    "cloudformation-stack-set-overrides": (stack_set_instance("Get"), stack_set_instance("Delete")),
    "kubernetes-bindings-allow-list": (bound_on("a"), bound_on("b")),
}


def reported(violations: list[Violation], policy: str) -> list[str]:
    return [v.level for v in by_policy(violations).get(policy, [])]


def test_every_policy_of_the_pack_has_a_case_here():
    validating = {
        name for name, p in POLICIES.items() if isinstance(p, ResourceValidationPolicy) and p.has_validation()
    }
    assert validating == set(RESOURCE_CASES)  # dynamic-providers-seen only remediates: test_dynamic_providers
    assert {name for name, p in POLICIES.items() if isinstance(p, StackValidationPolicy)} == set(STACK_CASES)


def test_the_analyzer_describes_every_policy_with_its_level_and_config_schema(pack):
    info = pack.info()
    assert info.name == "axonius-read-only"
    described = {p.name: (LEVELS[p.enforcementLevel], sorted(p.configSchema.properties)) for p in info.policies}
    expected = {
        name: (level(policy, None).value, sorted(policy.config_schema.properties if policy.config_schema else ()))
        for name, policy in POLICIES.items()
    }
    assert described == expected and len(described) == 20
    assert described["iam-read-only-actions"][0] == "mandatory"
    assert described["iam-no-sensitive-reads"][0] == described["iam-no-action-wildcards"][0] == "advisory"


@pytest.mark.parametrize("policy", sorted(RESOURCE_CASES))
def test_each_resource_policy_is_reached_through_analyze_as_in_process(pack, policy):
    type_, passing, rejected = RESOURCE_CASES[policy]
    passed = grpc.analyze(pack, type_, passing)
    assert passed == analyze(type_, passing) and reported(passed, policy) == []
    found = grpc.analyze(pack, type_, rejected)
    assert found == analyze(type_, rejected)
    assert reported(found, policy) and set(reported(found, policy)) == {level(POLICIES[policy], None).value}


@pytest.mark.parametrize("policy", sorted(STACK_CASES))
def test_each_stack_policy_is_reached_through_analyze_stack_as_in_process(pack, policy):
    passing, rejected = STACK_CASES[policy]
    passed = grpc.analyze_stack(pack, passing)
    assert passed == analyze_stack(passing) and reported(passed, policy) == []
    found = grpc.analyze_stack(pack, rejected)
    assert found == analyze_stack(rejected)
    assert reported(found, policy) == ["mandatory"]
    assert {v.urn for v in found} <= {r.urn for r in rejected}  # each finding names the resource at fault


INVENTORY_USER = "arn:aws:iam::111111111111:user/ci/Inventory"
CONFIG = {
    "iam-no-sensitive-reads": {"enforcementLevel": "mandatory", "allowedActions": ["secretsmanager:GetSecretValue"]},
    "iam-no-action-wildcards": {"enforcementLevel": "disabled"},
    "iam-read-only-actions": {"assumableRoleNames": ["Inventory"]},
    "iam-role-trust": {"trustedPrincipals": [INVENTORY_USER], "maxSessionDuration": 43200},
    "kubernetes-bindings-allow-list": {"allowedClusterRoles": []},
}
CONFIGURED_CASES = [
    (
        types.IAM_POLICY,
        {"policy": document(allow(["secretsmanager:GetSecretValue", "ec2:GetPasswordData", "ec2:Get*"]))},
    ),
    (types.IAM_POLICY, {"policy": document(allow("sts:AssumeRole", ["arn:aws:iam::222222222222:role/Inventory"]))}),
    (
        types.IAM_POLICY,
        {"policy": document(allow("sts:AssumeRole", ["arn:aws:iam::222222222222:role/Axonius-Readonly-Role"]))},
    ),
    (types.IAM_ROLE, {"assumeRolePolicy": trust({"AWS": INVENTORY_USER}), "maxSessionDuration": 43200}),
]


@pytest.fixture(scope="module")
def configured():
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as process:
        process.configure(CONFIG)
        yield process


@pytest.mark.parametrize(("type_", "props"), CONFIGURED_CASES)
def test_configure_reaches_each_policy_as_its_config_does_in_process(configured, type_, props):
    found = grpc.analyze(configured, type_, props)
    assert found == analyze(type_, props, CONFIG)
    assert found != analyze(type_, props)  # the config changed the verdict
    assert "iam-no-action-wildcards" not in by_policy(found)  # disabled


def test_configured_levels_and_properties_arrive_over_grpc(configured):
    sensitive, assume_inventory, assume_ours, role = (grpc.analyze(configured, *case) for case in CONFIGURED_CASES)
    (violation,) = by_policy(sensitive)["iam-no-sensitive-reads"]
    assert violation.level == "mandatory" and "ec2:GetPasswordData" in violation.message
    assert "secretsmanager:GetSecretValue" not in violation.message
    assert assume_inventory == [] and role == []
    (violation,) = by_policy(assume_ours)["iam-read-only-actions"]  # an entry without a level keeps the policy's
    assert violation.level == "mandatory" and "roles named ['Inventory']" in violation.message
    view = [on_cluster(f"{types.RBAC}:ClusterRoleBinding", binding("view"), "binding")]
    (violation,) = grpc.analyze_stack(configured, view)
    assert violation == analyze_stack(view, CONFIG)[0] and "allowedClusterRoles ([])" in violation.message


def assert_preview_notes(sent: list[Violation], local: list[Violation]) -> None:
    """The SDK's note for a policy stopped by an unknown value, around the message the policy raised."""
    assert len(sent) == len(local)
    for over_grpc, in_process in zip(sent, local, strict=True):
        assert (over_grpc.policy, over_grpc.level) == (in_process.policy, in_process.level)
        if over_grpc.message.startswith(f"can't run policy '{in_process.policy}' from policy pack 'axonius-read-only@"):
            assert in_process.level == "advisory"
            assert over_grpc.message.endswith(f" during preview: {in_process.message}")
        else:
            assert over_grpc.message == in_process.message


def test_an_unknown_value_becomes_the_sdks_advisory_note(pack):
    found = grpc.analyze(pack, types.IAM_POLICY, {"policy": UNKNOWN})
    assert {v.level for v in found} == {"advisory"} and "iam-read-only-actions" in by_policy(found)
    assert_preview_notes(found, analyze(types.IAM_POLICY, {"policy": UNKNOWN}))
    role = {
        "assumeRolePolicy": UNKNOWN,
        "inlinePolicies": [{"name": "bad", "policy": document(allow("ec2:RunInstances"))}],
    }
    found = grpc.analyze(pack, types.IAM_ROLE, role)
    assert reported(found, "iam-read-only-actions") == ["mandatory"]  # what is known is still checked
    assert reported(found, "iam-role-trust") == ["advisory"]
    assert_preview_notes(found, analyze(types.IAM_ROLE, role))
    later = [on_cluster(f"{types.RBAC}:ClusterRoleBinding", binding(UNKNOWN), "later")]
    found = grpc.analyze_stack(pack, later)
    assert reported(found, "kubernetes-bindings-allow-list") == ["advisory"]
    assert_preview_notes(found, analyze_stack(later))


ODD_VALUES: list[Any] = [
    None,
    0,
    -1.5,
    True,
    "",
    "{not json",
    "[1]",
    UNKNOWN,
    [],
    [None, 3, {}],
    {"": {"Statement": [None]}},
]
FIELDS = [
    "policy", "policyDocument", "inlinePolicy", "inlinePolicies", "policies", "assumeRolePolicy",
    "assumeRolePolicyDocument", "maxSessionDuration", "policyArn", "policyArns", "managedPolicyArns",
    "managedPolicyArn", "managedPolicies", "operations", "action", "acl", "grants", "groups", "roleArn",
    "templateBody", "templateUrl", "parameters", "rules", "roleRef", "subjects", "metadata", "data", "items",
    "kubernetesGroups", "type", "userName", "username", "mapKind", "spec", "aggregationRule", "kind", "apiVersion",
]  # fmt: skip
ODD_TYPES = sorted(
    types.all_types()
    | {f"{types.RBAC}:ClusterRoleList", "kubernetes:core/v1:ConfigMapList", "pulumi:providers:kubernetes"}
)


def odd_props(index: int) -> dict[str, Any]:
    """Every field the pack reads, each with an odd value; a different mix for each index."""
    return {field: ODD_VALUES[(index + offset) % len(ODD_VALUES)] for offset, field in enumerate(FIELDS)}


def test_odd_input_never_makes_the_pack_raise(pack):
    """A policy that raised would fail the call, and under the engine the whole run; the wrappers report instead."""
    sent = [resource(type_, odd_props(index), f"r{index}") for index, type_ in enumerate(ODD_TYPES)]
    for declared in sent:
        for props in ({}, declared.props):
            found = grpc.analyze(pack, declared.type, props)
            assert_preview_notes(found, analyze(declared.type, props))
            assert {v.level for v in found if v.message.startswith("could not check")} <= {"mandatory"}
    found = grpc.analyze_stack(pack, sent)
    assert_preview_notes(found, analyze_stack(sent))


def test_the_programs_clusters_pass_and_a_role_counts_only_on_its_own_cluster(pack, run_stack):
    """The program's own resources as the engine sends them: one Kubernetes provider per cluster."""
    clusters = [
        {"name": "one", "region": "us-east-1", "mode": "accessEntry"},
        {"name": "two", "region": "eu-west-1", "account": "222222222222", "mode": "awsAuth"},
    ]
    run = run_stack({"roles": {"accounts": [{"id": "222222222222"}]}, "eks": {"clusters": clusters}})
    declared = [r for r in run.resources if r.custom]
    kubernetes = [r for r in declared if r.type.startswith("kubernetes:")]
    assert len({analyzer_resource(r).provider.urn for r in kubernetes}) == 2  # one provider per cluster
    # The adapter keeps apigateway:GET, which the project's policy-config.json (not loaded here) allows by name.
    found = [v for r in declared for v in pack.analyze(analyzer_resource(r))]
    assert [v for v in found if v.policy != "iam-no-sensitive-reads" or "apigateway:GET" not in v.message] == []
    deployed = [analyzer_resource(r, deployed=True) for r in declared]
    assert pack.analyze_stack(deployed) == []
    without_first_role = [r for r in deployed if not (r.type.endswith(":ClusterRole") and "-one-" in r.name)]
    (violation,) = pack.analyze_stack(without_first_role)  # the same name on the other cluster does not count
    assert "-one-binding" in violation.urn and "not declared in this stack on the same cluster" in violation.message
