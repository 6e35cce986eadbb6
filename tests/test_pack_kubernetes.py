"""Kubernetes RBAC, EKS identity mappings and the bindings allow-list, over the engine's gRPC protocol."""

from __future__ import annotations

import base64

import pytest
from pulumi.runtime.proto import analyzer_pb2

from automation.pack_client import PolicyPackProcess, analyzer_resource
from tests.conftest import PROJECT_DIR
from tests.pack_helpers import findings, mandatory, resource

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC = f"kubernetes:{RBAC_GROUP}/v1"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SEED_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
MAPPING = "pulumi-python:dynamic/eks:AwsAuthMapping"


def cluster_role(rules, kind="ClusterRole", name="axonius-view-role", **extra) -> tuple[str, dict]:
    return f"{RBAC}:{kind}", {"metadata": {"name": name}, "rules": rules, **extra}


def binding(
    role_name="axonius-view-role", group="axonius-readonly", resource_kind="ClusterRoleBinding", **ref
) -> tuple:
    return f"{RBAC}:{resource_kind}", {
        "metadata": {"name": "axonius-view-cbr"},
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role_name, **ref},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": group}],
    }


def on_cluster(type_: str, props: dict, name: str, cluster: str = "a") -> analyzer_pb2.AnalyzerResource:
    """As the engine sends a resource in AnalyzeStack: with the provider (the cluster) it is created through."""
    message = resource(type_, props, name)
    message.provider.CopyFrom(
        analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:kubernetes", urn=f"urn:pulumi:t::p::pulumi:providers:kubernetes::{cluster}"
        )
    )
    return message


def stack(pack, *resources) -> list:
    return pack.analyze_stack(list(resources))


# Class 5: roles and bindings, decided on one resource.


def test_the_seed_cluster_role_and_binding_pass(pack):
    assert findings(pack, *cluster_role([SEED_RULE])) == {}
    assert findings(pack, *binding()) == {}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "create"]}, "has verbs ['create']"),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "has '*' in verbs"),
        ({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}, "has '*' in resources"),
        ({"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}, "has '*' in apiGroups"),
        ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, "reads secrets"),
        ({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}, "names subresources ['pods/exec']"),
        ({"apiGroups": [RBAC_GROUP], "resources": ["roles"], "verbs": ["escalate"]}, "escalate"),
        ({"apiGroups": [RBAC_GROUP], "resources": ["roles"], "verbs": ["bind"]}, "bind"),
        ({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}, "impersonate"),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["post"]}, "on nonResourceURLs"),
    ],
)
@pytest.mark.parametrize("kind", ["ClusterRole", "Role", "ClusterRolePatch", "RolePatch"])
def test_rbac_beyond_read_is_rejected(pack, rule, expected, kind):
    messages = mandatory(pack, *cluster_role([SEED_RULE, rule], kind=kind))
    assert messages and all(m.startswith("rule #1") for m in messages)
    assert any(expected in m for m in messages)


@pytest.mark.parametrize(
    "type_",
    [
        f"kubernetes:{RBAC_GROUP}/v1beta1:ClusterRole",
        f"kubernetes:{RBAC_GROUP}/v1alpha1:Role",
        f"kubernetes:{RBAC_GROUP}/v1:clusterrole",  # a CustomResource spelling the kind in lower case
    ],
)
def test_every_version_and_spelling_of_a_role_is_checked(pack, type_):
    (message,) = mandatory(pack, type_, {"rules": [{**SEED_RULE, "verbs": ["delete"]}]})
    assert "has verbs ['delete']" in message


def test_list_kinds_check_every_item(pack):
    items = [{"metadata": {"name": "a"}, "rules": [SEED_RULE]}, {"rules": [{**SEED_RULE, "verbs": ["patch"]}]}]
    (message,) = mandatory(pack, f"{RBAC}:ClusterRoleList", {"items": items})
    assert message.startswith("items[1]: rule #0 has verbs ['patch']")
    ((message,),) = [mandatory(pack, f"{RBAC}:RoleBindingList", {"items": [binding("cluster-admin")[1]]})]
    assert message.startswith("items[0]: the binding grants ClusterRole 'cluster-admin'")


def test_a_type_token_and_kind_that_disagree_are_rejected(pack):
    props = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", **binding("cluster-admin")[1]}
    found = findings(pack, CONFIG_MAP, props)
    (violation,) = found["kubernetes-bindings-not-admin"]
    assert "disagree, so which object the provider writes cannot be told" in violation.message


def test_aggregation_and_label_patches_cannot_be_checked_so_they_are_rejected(pack):
    (message,) = mandatory(pack, *cluster_role([], aggregationRule={"clusterRoleSelectors": [{}]}))
    assert "aggregationRule" in message
    labels = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    (message,) = mandatory(pack, f"{RBAC}:ClusterRolePatch", {"metadata": {"name": "cluster-admin", "labels": labels}})
    assert "labels can aggregate those rules into other roles" in message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({"name": "cluster-admin"}, "grants ClusterRole 'cluster-admin', which writes"),
        ({"name": "edit"}, "grants ClusterRole 'edit', which writes"),
        ({"name": "system:controller:clusterrole-aggregation-controller"}, "roles named system:*"),
        ({"name": "system:aggregate-to-edit"}, "roles named system:*"),
        ({"name": "system:kube-controller-manager"}, "roles named system:*"),
        ({"name": "system:node"}, "roles named system:*"),
        ({"name": "eks:addon-manager"}, "roles named eks:*"),
        ({"name": "mine", "kind": "Role"}, "roleRef.kind is 'Role'; a ClusterRoleBinding references ClusterRole"),
    ],
)
def test_bindings_never_grant_writing_or_system_roles(pack, ref, expected):
    name = ref.pop("name")
    (message,) = mandatory(pack, *binding(name, **ref))
    assert expected in message


def test_a_namespaced_role_named_admin_is_not_the_cluster_role(pack):
    assert mandatory(pack, *binding("admin", resource_kind="RoleBinding")) != []  # the ClusterRole admin
    assert mandatory(pack, *binding("admin", resource_kind="RoleBinding", kind="Role")) == []


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"kind": "Group", "name": "system:masters"}, "(Group) name 'system:masters' starts with 'system:'"),
        ({"kind": "User", "name": "system:kube-controller-manager"}, "(User) name"),
        ({"kind": "Group", "name": "system:authenticated"}, "starts with 'system:'"),
        ({"kind": "Group", "name": "eks:kube-proxy-windows"}, "starts with 'eks:'"),
        ({"kind": "Robot", "name": "r"}, "has kind 'Robot'"),
    ],
)
def test_bindings_never_bind_system_users_or_groups(pack, subject, expected):
    type_, props = binding()
    props["subjects"].append({"apiGroup": RBAC_GROUP, **subject})
    (message,) = mandatory(pack, type_, props)
    assert message.startswith("subjects[1]") and expected in message


def test_a_binding_patch_without_its_role_ref_is_rejected(pack):
    type_, props = binding(resource_kind="ClusterRoleBindingPatch")
    del props["roleRef"]
    (message,) = mandatory(pack, type_, props)
    assert "adds subjects to an existing binding without its roleRef" in message
    assert mandatory(pack, *binding(resource_kind="ClusterRoleBindingPatch")) == []


# Class 5: the allow-list across the stack, during preview (inputs) and up alike.


def test_bindings_grant_only_read_only_roles_declared_here_or_allowed_built_ins(pack):
    role, bound = on_cluster(*cluster_role([SEED_RULE]), "role"), on_cluster(*binding(), "binding")
    assert stack(pack, role, bound) == []
    assert stack(pack, on_cluster(*binding("view"), "binding")) == []  # the default allowed built-in
    bad = on_cluster(*cluster_role([{**SEED_RULE, "verbs": ["delete"]}]), "role")
    (violation,) = stack(pack, bad, bound)
    assert violation.policy == "kubernetes-bindings-allow-list" and violation.level == "mandatory"
    assert (
        violation.message
        == "the binding grants ClusterRole 'axonius-view-role', which grants more than get, list and watch"
    )
    for name in ("system:aggregate-to-view", "system:node", "mine"):
        (violation,) = stack(pack, role, on_cluster(*binding(name), "binding"))
        assert f"grants ClusterRole {name!r}, which is not declared in this stack" in violation.message
        assert violation.urn.endswith("::binding")


def test_a_role_declared_on_another_cluster_does_not_count(pack):
    role = on_cluster(*cluster_role([SEED_RULE]), "role", cluster="a")
    (violation,) = stack(pack, role, on_cluster(*binding(), "binding", cluster="b"))
    assert "is not declared in this stack on the same cluster" in violation.message


def test_the_programs_clusters_pass_and_a_role_counts_only_on_its_own_cluster(pack, run_stack):
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


def test_allowed_built_ins_are_configurable(pack):
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as configured:
        configured.configure(
            {"kubernetes-bindings-allow-list": {"enforcementLevel": "mandatory", "allowedClusterRoles": []}}
        )
        (violation,) = stack(configured, on_cluster(*binding("view"), "binding"))
        assert "allowedClusterRoles ([])" in violation.message


def test_unknown_values_during_preview_hold_up_only_what_they_touch(pack):
    later = on_cluster(*binding(UNKNOWN), "later")
    admin = on_cluster(*binding("mine"), "mine")
    violations = stack(pack, later, admin)
    assert [v.level for v in violations] == ["mandatory", "advisory"]
    assert "'mine', which is not declared" in violations[0].message
    assert "can't run policy 'kubernetes-bindings-allow-list'" in violations[1].message
    type_, props = cluster_role([{**SEED_RULE, "verbs": ["delete"]}])
    props["metadata"] = {"name": "axonius-view-role", "uid": UNKNOWN}
    assert mandatory(pack, type_, props) == ["rule #0 has verbs ['delete']; only get, list and watch are read-only"]
    props["rules"].append(UNKNOWN)
    found = findings(pack, type_, props)["kubernetes-rbac-read-only"]
    assert [v.level for v in found] == ["mandatory", "advisory"]


# Class 3: aws-auth, read as aws-iam-authenticator reads it.


def aws_auth(groups: str, username: str = "ax", key: str = "mapRoles", **metadata) -> dict:
    text = f"- rolearn: arn:aws:iam::222222222222:role/r\n  username: {username}\n  groups: {groups}\n"
    return {"metadata": {"name": "aws-auth", **metadata}, "data": {key: text}}


@pytest.mark.parametrize(
    "type_",
    [CONFIG_MAP, "kubernetes:core/v1:ConfigMapPatch", "kubernetes:v1:ConfigMap", "kubernetes:v1:ConfigMapPatch"],
)
def test_aws_auth_config_maps_and_patches(pack, type_):
    assert mandatory(pack, type_, aws_auth("[axonius-readonly]", namespace="kube-system")) == []
    (message,) = mandatory(pack, type_, aws_auth("['{{SessionName}}:masters']"))
    assert message.startswith("aws-auth mapRoles: entry #0 group '{{SessionName}}:masters' can expand to")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (aws_auth("[system:masters]", key="mapUsers"), "aws-auth mapUsers: entry #0 group 'system:masters' starts"),
        (
            aws_auth("[ok]", username="system:node:{{EC2PrivateDNSName}}"),
            "username 'system:node:{{EC2PrivateDNSName}}'",
        ),
        (aws_auth(f"[!!binary {base64.b64encode(b'system:masters').decode()}]"), "group 'system:masters' starts"),
        (aws_auth("[x]\n  GROUPS: [system:masters]"), "key 'GROUPS' appears more than once"),
        (aws_auth("[x]\n---\n- groups: [system:masters]"), "not one valid YAML document"),
        (aws_auth("[1]"), "group 1 is not a string"),
        ({"metadata": {"name": "aws-auth"}, "data": {"mapAccounts": "- 222222222222"}}, "not a quoted 12-digit"),
    ],
)
def test_aws_auth_spellings_are_rejected(pack, data, expected):
    (message,) = mandatory(pack, CONFIG_MAP, data)
    assert expected in message


def test_other_config_maps_are_not_aws_auth(pack):
    assert mandatory(pack, CONFIG_MAP, aws_auth("[system:masters]", namespace="default")) == []
    other = aws_auth("[system:masters]")
    other["metadata"]["name"] = "other"
    assert mandatory(pack, CONFIG_MAP, other) == []
    items = [aws_auth("[ok]"), aws_auth("[system:masters]", namespace="kube-system")]
    (message,) = mandatory(pack, "kubernetes:core/v1:ConfigMapList", {"items": items})
    assert message.startswith("items[1]: aws-auth mapRoles")


def test_an_aws_auth_name_unknown_in_preview_is_still_checked(pack):
    (message,) = mandatory(pack, CONFIG_MAP, {**aws_auth("[system:masters]"), "metadata": {"name": UNKNOWN}})
    assert "system:masters" in message


def test_our_dynamic_mapping_and_the_iam_identity_mapping_resource(pack):
    ours = {"mapKind": "mapUsers", "arn": USER_ARN, "username": "axonius-readonly", "groups": ["axonius-readonly"]}
    assert mandatory(pack, MAPPING, ours) == []
    (message,) = mandatory(pack, MAPPING, {**ours, "groups": ["{{SessionName}}:masters"]})
    assert message.startswith("the aws-auth mapping's group '{{SessionName}}:masters' can expand to")
    assert mandatory(pack, "pulumi-python:dynamic:Resource", {**ours, "username": "system:admin"})
    crd = "kubernetes:iamauthenticator.k8s.aws/v1alpha1:IAMIdentityMapping"
    assert mandatory(pack, crd, {"spec": {"arn": USER_ARN, "username": "u", "groups": ["g"]}}) == []
    assert mandatory(pack, crd, {"spec": {"arn": USER_ARN, "username": "u", "groups": ["system:masters"]}})


# Class 4: access entries.


def test_access_entries_are_standard_with_names_of_their_own(pack):
    ok = {"clusterName": "c", "principalArn": USER_ARN, "kubernetesGroups": ["axonius-readonly"], "userName": "ax"}
    assert mandatory(pack, ACCESS_ENTRY, {**ok, "type": "STANDARD"}) == []
    for node in ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX"):
        (message,) = mandatory(pack, ACCESS_ENTRY, {**ok, "type": node})
        assert f"type is {node!r}, which makes its principal a node" in message
    (message,) = mandatory(pack, ACCESS_ENTRY, {**ok, "type": "SUPER"})
    assert "type 'SUPER' is unknown" in message
    assert "system:masters" in mandatory(pack, ACCESS_ENTRY, {**ok, "kubernetesGroups": ["system:masters"]})[0]
    assert "starts with 'system:'" in mandatory(pack, ACCESS_ENTRY, {**ok, "userName": "system:node:x"})[0]
    native = {"clusterName": "c", "principalArn": USER_ARN, "username": "eks:x", "type": "EC2_LINUX"}
    assert len(mandatory(pack, "aws-native:eks:AccessEntry", native)) == 2


def test_access_policies_are_only_the_view_policy(pack):
    association = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    assert mandatory(pack, association, {"policyArn": view}) == []
    for name in ("AmazonEKSAdminViewPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy"):
        (message,) = mandatory(pack, association, {"policyArn": view.replace("AmazonEKSViewPolicy", name)})
        assert "only the view policy" in message
    native = {"principalArn": USER_ARN, "accessPolicies": [{"policyArn": view.replace("View", "Edit")}]}
    assert "AmazonEKSEditPolicy" in mandatory(pack, "aws-native:eks:AccessEntry", native)[0]


def test_a_kubernetes_provider_that_adopts_existing_objects_is_rejected(pack):
    kubeconfig = {"kubeconfig": "{}"}
    assert mandatory(pack, "pulumi:providers:kubernetes", kubeconfig) == []
    for upsert in (True, "true"):  # the engine passes provider inputs as strings
        (message,) = mandatory(pack, "pulumi:providers:kubernetes", {**kubeconfig, "upsertExistingObjects": upsert})
        assert "upsertExistingObjects" in message


def test_a_list_item_of_another_kind_is_rejected(pack):
    item = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", **binding("cluster-admin")[1]}
    found = findings(pack, "kubernetes:core/v1:ConfigMapList", {"items": [item]})
    (violation,) = found["kubernetes-bindings-not-admin"]
    assert violation.message.startswith("items[0]: its type kubernetes:core/v1:ConfigMapList and its apiVersion/kind")


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (ACCESS_ENTRY, {"principalArn": USER_ARN, "kubernetesGroups": ["platform-admins"]}),
        ("aws-native:eks:AccessEntry", {"principalArn": USER_ARN, "kubernetesGroups": ["platform-admins"]}),
        (MAPPING, {"mapKind": "mapUsers", "arn": USER_ARN, "username": "ax", "groups": ["platform-admins"]}),
        (CONFIG_MAP, aws_auth("[platform-admins]")),
        ("kubernetes:iamauthenticator.k8s.aws/v1alpha1:IAMIdentityMapping", {"spec": {"groups": ["platform-admins"]}}),
    ],
)
def test_a_mapped_group_must_be_bound_here(pack, type_, props):
    mapping = resource(type_, props, "mapping")
    role = on_cluster(*cluster_role([SEED_RULE]), "role")
    (violation,) = stack(pack, mapping, role, on_cluster(*binding(), "binding"))  # binds axonius-readonly only
    assert violation.urn.endswith("::mapping") and violation.policy == "kubernetes-bindings-allow-list"
    assert "group 'platform-admins', which no binding in this stack binds" in violation.message
    assert stack(pack, mapping, role, on_cluster(*binding(group="platform-admins"), "binding")) == []
