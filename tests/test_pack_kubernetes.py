"""Kubernetes RBAC, EKS identity mappings and the bindings allow-list: the pack's policies in-process.

The pure checks they wrap: test_kubernetes_rules; the same policies over the engine's gRPC protocol: test_pack_grpc.
"""

from __future__ import annotations

import base64

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.aws_auth_mapping import AwsAuthMappingProvider
from policy_pack.rules import resource_types as types
from tests.policy_helpers import UNKNOWN, analyze_stack, findings, mandatory, on_cluster, resource

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC = types.RBAC
SEED_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ACCESS_ENTRY = types.ACCESS_ENTRY
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


def stack(*resources) -> list:
    return analyze_stack(list(resources))


# Class 5: roles and bindings, decided on one resource.


def test_the_seed_cluster_role_and_binding_pass():
    assert findings(*cluster_role([SEED_RULE])) == {}
    assert findings(*binding()) == {}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "create"]}, "has verbs ['create']"),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, "has '*' in verbs"),
        ({"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}, "has '*' in resources"),
        ({"apiGroups": ["*"], "resources": ["pods", "*"], "verbs": ["get"]}, "has '*' in resources"),
        ({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}, "reads secrets"),
        ({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}, "pods/exec (a GET opens a session"),
        ({"apiGroups": [RBAC_GROUP], "resources": ["roles"], "verbs": ["escalate"]}, "escalate"),
        ({"apiGroups": [RBAC_GROUP], "resources": ["roles"], "verbs": ["bind"]}, "bind"),
        ({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}, "impersonate"),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["post"]}, "on nonResourceURLs"),
    ],
)
@pytest.mark.parametrize("kind", ["ClusterRole", "Role", "ClusterRolePatch", "RolePatch"])
def test_rbac_beyond_read_is_rejected(rule, expected, kind):
    messages = mandatory(*cluster_role([SEED_RULE, rule], kind=kind))
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
def test_every_version_and_spelling_of_a_role_is_checked(type_):
    (message,) = mandatory(type_, {"rules": [{**SEED_RULE, "verbs": ["delete"]}]})
    assert "has verbs ['delete']" in message


def test_list_kinds_check_every_item():
    items = [{"metadata": {"name": "a"}, "rules": [SEED_RULE]}, {"rules": [{**SEED_RULE, "verbs": ["patch"]}]}]
    (message,) = mandatory(f"{RBAC}:ClusterRoleList", {"items": items})
    assert message.startswith("items[1]: rule #0 has verbs ['patch']")
    ((message,),) = [mandatory(f"{RBAC}:RoleBindingList", {"items": [binding("cluster-admin")[1]]})]
    assert message.startswith("items[0]: the binding grants ClusterRole 'cluster-admin'")


def test_a_type_token_and_kind_that_disagree_are_rejected():
    props = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", **binding("cluster-admin")[1]}
    found = findings(CONFIG_MAP, props)
    (violation,) = found["kubernetes-bindings-not-admin"]
    assert "disagree, so which object the provider writes cannot be told" in violation.message


def test_aggregation_and_label_patches_cannot_be_checked_so_they_are_rejected():
    (message,) = mandatory(*cluster_role([], aggregationRule={"clusterRoleSelectors": [{}]}))
    assert "aggregationRule" in message
    labels = {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    (message,) = mandatory(f"{RBAC}:ClusterRolePatch", {"metadata": {"name": "cluster-admin", "labels": labels}})
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
def test_bindings_never_grant_writing_or_system_roles(ref, expected):
    name = ref.pop("name")
    (message,) = mandatory(*binding(name, **ref))
    assert expected in message


def test_a_namespaced_role_named_admin_is_not_the_cluster_role():
    assert mandatory(*binding("admin", resource_kind="RoleBinding")) != []  # the ClusterRole admin
    assert mandatory(*binding("admin", resource_kind="RoleBinding", kind="Role")) == []


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
def test_bindings_never_bind_system_users_or_groups(subject, expected):
    type_, props = binding()
    props["subjects"].append({"apiGroup": RBAC_GROUP, **subject})
    (message,) = mandatory(type_, props)
    assert message.startswith("subjects[1]") and expected in message


def test_a_binding_patch_without_its_role_ref_is_rejected():
    type_, props = binding(resource_kind="ClusterRoleBindingPatch")
    del props["roleRef"]
    (message,) = mandatory(type_, props)
    assert "adds subjects to an existing binding without its roleRef" in message
    assert mandatory(*binding(resource_kind="ClusterRoleBindingPatch")) == []


# Class 5: the allow-list across the stack, during preview (inputs) and up alike.


def test_bindings_grant_only_read_only_roles_declared_here_or_allowed_built_ins():
    role, bound = on_cluster(*cluster_role([SEED_RULE]), "role"), on_cluster(*binding(), "binding")
    assert stack(role, bound) == []
    assert stack(on_cluster(*binding("view"), "binding")) == []  # the default allowed built-in
    bad = on_cluster(*cluster_role([{**SEED_RULE, "verbs": ["delete"]}]), "role")
    (violation,) = stack(bad, bound)
    assert violation.policy == "kubernetes-bindings-allow-list" and violation.level == "mandatory"
    assert (
        violation.message
        == "the binding grants ClusterRole 'axonius-view-role', which grants more than get, list and watch"
    )
    for name in ("system:aggregate-to-view", "system:node", "mine"):
        (violation,) = stack(role, on_cluster(*binding(name), "binding"))
        assert f"grants ClusterRole {name!r}, which is not declared in this stack" in violation.message
        assert violation.urn.endswith("::binding")


def test_a_role_declared_on_another_cluster_does_not_count():
    role = on_cluster(*cluster_role([SEED_RULE]), "role", cluster="a")
    (violation,) = stack(role, on_cluster(*binding(), "binding", cluster="b"))
    assert "is not declared in this stack on the same cluster" in violation.message


def test_allowed_built_ins_are_configurable():
    config = {"kubernetes-bindings-allow-list": {"enforcementLevel": "mandatory", "allowedClusterRoles": []}}
    (violation,) = analyze_stack([on_cluster(*binding("view"), "binding")], config)
    assert "allowedClusterRoles ([])" in violation.message


def test_unknown_values_during_preview_hold_up_only_what_they_touch():
    later = on_cluster(*binding(UNKNOWN), "later")
    admin = on_cluster(*binding("mine"), "mine")
    violations = stack(later, admin)
    assert [v.level for v in violations] == ["mandatory", "advisory"]
    assert "'mine', which is not declared" in violations[0].message
    assert violations[1].policy == "kubernetes-bindings-allow-list"
    assert violations[1].message.startswith("roleRef.name is not known until")

    type_, props = cluster_role([{**SEED_RULE, "verbs": ["delete"]}])
    props["metadata"] = {"name": "axonius-view-role", "uid": UNKNOWN}
    assert mandatory(type_, props) == ["rule #0 has verbs ['delete']; only get, list and watch are read-only"]
    props["rules"].append(UNKNOWN)
    found = findings(type_, props)["kubernetes-rbac-read-only"]
    assert [v.level for v in found] == ["mandatory", "advisory"]


# Class 3: aws-auth, read as aws-iam-authenticator reads it.


def aws_auth(groups: str, username: str = "ax", key: str = "mapRoles", **metadata) -> dict:
    text = f"- rolearn: arn:aws:iam::222222222222:role/r\n  username: {username}\n  groups: {groups}\n"
    return {"metadata": {"name": "aws-auth", **metadata}, "data": {key: text}}


@pytest.mark.parametrize(
    "type_",
    [CONFIG_MAP, "kubernetes:core/v1:ConfigMapPatch", "kubernetes:v1:ConfigMap", "kubernetes:v1:ConfigMapPatch"],
)
def test_aws_auth_config_maps_and_patches(type_):
    assert mandatory(type_, aws_auth("[axonius-readonly]", namespace="kube-system")) == []
    (message,) = mandatory(type_, aws_auth("['{{SessionName}}:masters']"))
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
def test_aws_auth_spellings_are_rejected(data, expected):
    (message,) = mandatory(CONFIG_MAP, data)
    assert expected in message


def test_other_config_maps_are_not_aws_auth():
    assert mandatory(CONFIG_MAP, aws_auth("[system:masters]", namespace="default")) == []
    other = aws_auth("[system:masters]")
    other["metadata"]["name"] = "other"
    assert mandatory(CONFIG_MAP, other) == []
    items = [aws_auth("[ok]"), aws_auth("[system:masters]", namespace="kube-system")]
    (message,) = mandatory("kubernetes:core/v1:ConfigMapList", {"items": items})
    assert message.startswith("items[1]: aws-auth mapRoles")


def test_an_aws_auth_name_unknown_in_preview_is_still_checked():
    (message,) = mandatory(CONFIG_MAP, {**aws_auth("[system:masters]"), "metadata": {"name": UNKNOWN}})
    assert "system:masters" in message


def test_our_dynamic_mapping_and_the_iam_identity_mapping_resource():
    ours = {
        "mapKind": "mapUsers",
        "arn": USER_ARN,
        "username": "axonius-readonly",
        "groups": ["axonius-readonly"],
        "__provider": serialize_provider(AwsAuthMappingProvider()),  # the type table reads whose code it runs
    }
    assert mandatory(MAPPING, ours) == []
    (message,) = mandatory(MAPPING, {**ours, "groups": ["{{SessionName}}:masters"]})
    assert message.startswith("the aws-auth mapping's group '{{SessionName}}:masters' can expand to")
    assert mandatory("pulumi-python:dynamic:Resource", {**ours, "username": "system:admin"})
    crd = "kubernetes:iamauthenticator.k8s.aws/v1alpha1:IAMIdentityMapping"
    assert mandatory(crd, {"spec": {"arn": USER_ARN, "username": "u", "groups": ["g"]}}) == []
    assert mandatory(crd, {"spec": {"arn": USER_ARN, "username": "u", "groups": ["system:masters"]}})


# Class 4: access entries.


def test_access_entries_are_standard_with_names_of_their_own():
    ok = {"clusterName": "c", "principalArn": USER_ARN, "kubernetesGroups": ["axonius-readonly"], "userName": "ax"}
    assert mandatory(ACCESS_ENTRY, {**ok, "type": "STANDARD"}) == []
    for node in ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX"):
        (message,) = mandatory(ACCESS_ENTRY, {**ok, "type": node})
        assert f"type is {node!r}, which makes its principal a node" in message
    (message,) = mandatory(ACCESS_ENTRY, {**ok, "type": "SUPER"})
    assert "type 'SUPER' is unknown" in message
    assert "system:masters" in mandatory(ACCESS_ENTRY, {**ok, "kubernetesGroups": ["system:masters"]})[0]
    assert "starts with 'system:'" in mandatory(ACCESS_ENTRY, {**ok, "userName": "system:node:x"})[0]
    native = {"clusterName": "c", "principalArn": USER_ARN, "username": "eks:x", "type": "EC2_LINUX"}
    assert len(mandatory("aws-native:eks:AccessEntry", native)) == 2


def test_access_policies_are_only_the_view_policy():
    association = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    assert mandatory(association, {"policyArn": view}) == []
    for name in ("AmazonEKSAdminViewPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy"):
        (message,) = mandatory(association, {"policyArn": view.replace("AmazonEKSViewPolicy", name)})
        assert "only the view policy" in message
    native = {"principalArn": USER_ARN, "accessPolicies": [{"policyArn": view.replace("View", "Edit")}]}
    assert "AmazonEKSEditPolicy" in mandatory("aws-native:eks:AccessEntry", native)[0]


def test_a_kubernetes_provider_that_adopts_existing_objects_is_rejected():
    kubeconfig = {"kubeconfig": "{}"}
    assert mandatory("pulumi:providers:kubernetes", kubeconfig) == []
    for upsert in (True, "true"):  # the engine passes provider inputs as strings
        (message,) = mandatory("pulumi:providers:kubernetes", {**kubeconfig, "upsertExistingObjects": upsert})
        assert "upsertExistingObjects" in message


def test_a_list_item_of_another_kind_is_rejected():
    item = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", **binding("cluster-admin")[1]}
    found = findings("kubernetes:core/v1:ConfigMapList", {"items": [item]})
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
def test_a_mapped_group_must_be_bound_here(type_, props):
    mapping = resource(type_, props, "mapping")
    role = on_cluster(*cluster_role([SEED_RULE]), "role")
    (violation,) = stack(mapping, role, on_cluster(*binding(), "binding"))  # binds axonius-readonly only
    assert violation.urn.endswith("::mapping") and violation.policy == "kubernetes-bindings-allow-list"
    assert "group 'platform-admins', which no binding in this stack binds" in violation.message
    assert stack(mapping, role, on_cluster(*binding(group="platform-admins"), "binding")) == []
