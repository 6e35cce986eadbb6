"""The pure Kubernetes and EKS checks, in-process: every spelling of the same grant is caught."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pkgutil
import re
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy_pack.rules.eks_identity import (
    AwsAuthError,
    aws_auth_groups,
    check_access_entry,
    check_aws_auth_data,
    check_mapping,
    is_aws_auth,
    parse_aws_auth,
)
from policy_pack.rules.kubernetes_checks import mapped_groups
from policy_pack.rules.kubernetes_rbac import (
    RESERVED_PREFIXES,
    DeclaredObject,
    binding_findings,
    bound_groups,
    check_binding,
    check_role,
    kubernetes_type,
    reserved_prefix,
)
from policy_pack.rules.resource_types import ACCESS_ENTRY_TYPES, ACCESS_POLICY_ASSOCIATION
from policy_pack.rules.unknowns import Unknown, resolve

ROLE_ARN = "arn:aws:iam::111111111111:role/r"
RBAC = "rbac.authorization.k8s.io"
RBAC_TOKEN = f"kubernetes:{RBAC}"


def map_roles(text: str) -> list[str]:
    return check_aws_auth_data({"mapRoles": text})


def entry(groups: str = "[axonius-readonly]", username: str = "ax", arn: str = ROLE_ARN) -> str:
    return f"- rolearn: {arn}\n  username: {username}\n  groups: {groups}\n"


def test_our_own_entries_pass():
    assert map_roles(entry()) == []
    assert check_aws_auth_data({"mapUsers": entry().replace("rolearn", "userarn")}) == []
    assert map_roles("") == [] and map_roles("``") == [] and map_roles('""') == []  # the authenticator skips these


@pytest.mark.parametrize(
    "text",
    [
        entry("[system:masters]"),
        entry("[SYSTEM:MASTERS]"),
        entry("- system:masters").replace("groups: - ", "groups:\n    - "),
        entry("[system:masters]").replace("groups", "Groups"),
        entry("[system:masters]").replace("groups", "GROUPS"),
        entry("[system:masters]").replace("groups", "gRoUpS"),
        entry("[system:masters]").replace("groups", "group\u017f"),  # Go folds the long s to s
        entry("[eks:addon-manager]"),
        entry("['system:{{SessionName}}']"),
        entry("['{{SessionName}}:masters']"),
        entry("['sys{{AccountID}}tem:masters']"),
        entry("['{{EC2PrivateDNSName}}:x']"),
        entry(f"[!!binary {base64.b64encode(b'system:masters').decode()}]"),
        entry('["\\u0073ystem:masters"]'),
        '[{"rolearn": "arn:aws:iam::1:role/r", "username": "ax", "groups": ["system:masters"]}]',
        "- {rolearn: x, username: ax, groups: [system:masters]}",
        entry(username="system:kube-controller-manager"),
        entry(username="system:node:{{EC2PrivateDNSName}}"),
        entry(username="'{{SessionName}}:anonymous'"),
        entry(username="eks:addon-manager"),
        entry(username="UserName").replace("username: UserName", "USERNAME: system:admin"),
    ],
)
def test_every_spelling_of_a_reserved_group_or_user_is_rejected(text):
    (problem,) = map_roles(text)
    assert problem.startswith("aws-auth mapRoles: entry #0")
    assert "reserved for Kubernetes and EKS" in problem


def test_templates_after_a_prefix_of_your_own_pass():
    assert map_roles(entry("['readers-{{SessionName}}']", username="'axonius:{{SessionName}}'")) == []
    assert map_roles(entry(username="'{{SessionName}}'")) == []  # a session name holds no ':'
    (problem,) = map_roles(entry("['{{SessionName}}:x']"))
    assert "can expand to a name starting with 'system:'" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (entry("[1]"), "is not a string"),
        (entry("[yes]"), "True is not a string"),
        (entry("[~]"), "group null is not a string"),
        (entry("system:masters"), "groups is 'system:masters', not a list"),
        (entry(username="[a]"), "username is ['a'], not a string"),
        (entry(arn="123"), "rolearn is 123, not a string"),
        (entry("[' axonius ']"), "surrounding whitespace"),
        (entry("['axonius\\tx']").replace("'", '"'), "control characters"),
        ("- just-a-string\n", "is 'just-a-string', not a mapping"),
    ],
)
def test_values_go_would_skip_or_read_differently_are_rejected(text, expected):
    problems = map_roles(text)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (entry() + "---\n" + entry("[system:masters]"), "not one valid YAML document"),
        ("- rolearn: x\n  groups: [a]\n  groups: [system:masters]\n", "'groups' appears more than once"),
        ("- rolearn: x\n  groups: [a]\n  Groups: [b]\n", "appears more than once (as 'groups'"),
        ("- base: &b {groups: [system:masters]}\n  <<: *b\n  groups: [a]\n", "appears more than once"),
        ("{rolearn: x}", "a dict, not a list"),
        ("- !custom {groups: [a]}\n", "not one valid YAML document"),
        ("- &a [*a]\n", "refers to a value that contains it"),
        ("[" * 100 + "]" * 100, "too large or too deeply nested"),
        ("- rolearn: x\n\tgroups: [a]\n", "not one valid YAML document"),
    ],
)
def test_what_cannot_be_read_as_the_authenticator_reads_it_is_rejected(text, expected):
    (problem,) = map_roles(text)
    assert "cannot be read as aws-iam-authenticator reads it" in problem and expected in problem
    assert "write it as one YAML list of entries" in problem


def test_merge_keys_and_anchors_are_followed():
    merged = "- &base {username: ax, groups: [system:masters]}\n- <<: *base\n  rolearn: y\n"
    assert parse_aws_auth(merged)[1] == {"username": "ax", "groups": ["system:masters"], "rolearn": "y"}
    assert "reserved" in map_roles(merged)[-1]
    # Go's yaml.v2 applies a merge where it stands, PyYAML lets explicit keys win: an override is ambiguous.
    with pytest.raises(AwsAuthError, match="appears more than once"):
        parse_aws_auth(merged.replace("rolearn: y", "groups: [ok]"))
    shared = "- &admins {rolearn: x, username: a, groups: [ok]}\n- {rolearn: y, username: b, groups: *g}\n"
    assert parse_aws_auth(shared.replace("*g", "&g [system:masters]"))[1]["groups"] == ["system:masters"]


def test_alias_bombs_stop_at_the_budget():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(AwsAuthError, match="too large"):
        parse_aws_auth("- {" + ", ".join(levels) + "}\n")


def test_map_accounts_must_be_quoted_account_ids():
    assert check_aws_auth_data({"mapAccounts": "- '111111111111'\n"}) == []
    assert check_aws_auth_data({"mapAccounts": "- !!binary MTExMTExMTExMTEx\n"}) == []
    (problem,) = check_aws_auth_data({"mapAccounts": "- 111111111111\n"})
    assert problem == "aws-auth mapAccounts: entry #0 111111111111 is not a quoted 12-digit account ID"
    (problem,) = check_aws_auth_data({"mapAccounts": "{a: b}"})
    assert "not a list" in problem


def test_data_keys_in_another_case_and_non_string_data_are_checked():
    (problem,) = check_aws_auth_data({"MapRoles": entry("[system:masters]")})
    assert problem.startswith("aws-auth MapRoles: entry #0 group 'system:masters'")
    (problem,) = check_aws_auth_data({"mapRoles": [{"groups": ["system:masters"]}]})
    assert "is not a string; the ConfigMap holds YAML text" in problem
    assert check_aws_auth_data({"mapRoles": Unknown("data.mapRoles")}) == []


def test_aws_auth_is_kube_system_by_name_or_by_default_namespace():
    assert is_aws_auth({"metadata": {"name": "aws-auth", "namespace": "kube-system"}})
    assert is_aws_auth({"metadata": {"name": "aws-auth"}})
    assert not is_aws_auth({"metadata": {"name": "aws-auth", "namespace": "default"}})
    assert not is_aws_auth({"metadata": {"name": "other"}})
    assert not is_aws_auth({})  # auto-named: never aws-auth
    assert is_aws_auth({"metadata": {"name": Unknown("metadata.name")}})


@pytest.mark.parametrize("entry_type", ["EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2"])
def test_node_access_entries_are_rejected(entry_type):
    (problem,) = check_access_entry({"type": entry_type, "kubernetesGroups": ["axonius-readonly"]})
    assert f"type is {entry_type!r}, which makes its principal a node" in problem


def test_access_entries_standard_only_and_names_as_in_aws_auth():
    assert check_access_entry({"type": "STANDARD", "kubernetesGroups": ["g"], "userName": "u"}) == []
    assert check_access_entry({"kubernetesGroups": ["g"]}) == []  # STANDARD is the default
    assert "is unknown; only 'STANDARD'" in check_access_entry({"type": "standard"})[0]
    assert "reserved" in check_access_entry({"username": "{{SessionName}}:x"})[0]  # aws-native spells it username
    (problem,) = check_access_entry({"accessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/X"}]})
    assert "is not AmazonEKSViewPolicy" in problem


def test_an_access_entry_type_of_another_shape_is_judged():
    (problem,) = check_access_entry({"type": ["EC2_LINUX"]})
    assert "type ['EC2_LINUX'] is unknown; only 'STANDARD'" in problem


def test_our_dynamic_mapping_is_checked_like_an_entry():
    ours = {"mapKind": "mapRoles", "username": "axonius-readonly", "groups": ["axonius-readonly"]}
    assert check_mapping(ours) == []
    assert "reserved" in check_mapping({**ours, "groups": ["system:{{SessionName}}"]})[0]
    assert "mapKind is 'mapAccounts'" in check_mapping({**ours, "mapKind": "mapAccounts"})[0]
    assert "not a string" in check_mapping({**ours, "username": 5})[0]


def test_reserved_prefixes_respect_templates_and_case():
    assert reserved_prefix("system:masters", templates=False) == "system:"
    assert reserved_prefix("Eks:x", templates=False) == "eks:"
    assert reserved_prefix("{{SessionName}}:x", templates=False) is None  # a binding does not expand templates
    assert reserved_prefix("{{SessionName}}:x", templates=True) == "system:"
    assert reserved_prefix("ax:{{SessionName}}", templates=True) is None


@pytest.mark.parametrize(
    ("token", "group", "kind", "form"),
    [
        (
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "rbac.authorization.k8s.io",
            "ClusterRoleBinding",
            "object",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1beta1:RoleBindingPatch",
            "rbac.authorization.k8s.io",
            "RoleBinding",
            "patch",
        ),
        (
            "kubernetes:rbac.authorization.k8s.io/v1alpha1:ClusterRoleList",
            "rbac.authorization.k8s.io",
            "ClusterRole",
            "list",
        ),
        ("kubernetes:core/v1:ConfigMapPatch", "", "ConfigMap", "patch"),
        ("kubernetes:v1:ConfigMap", "", "ConfigMap", "object"),  # a CustomResource with apiVersion v1
        ("kubernetes:rbac.authorization.k8s.io/v1:clusterrolebindingpatch", RBAC, "clusterrolebinding", "patch"),
    ],
)
def test_type_tokens_are_read_by_group_and_kind(token, group, kind, form):
    declared = kubernetes_type(token)
    assert (declared.group, declared.kind, declared.form) == (group, kind, form)


def test_roles_patches_and_aggregation():
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    assert check_role({"rules": [rule]}) == []
    assert "aggregationRule" in check_role({"aggregationRule": {"clusterRoleSelectors": []}, "rules": [rule]})[0]
    labels = {"metadata": {"name": "cluster-admin", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}}
    assert "aggregate" in check_role(labels, "patch")[0]
    assert check_role({**labels, "rules": [rule]}, "patch") == []
    assert "holds 1, null, which are not strings" in check_role({"rules": [{**rule, "verbs": [1, None]}]})[0]


@pytest.mark.parametrize(
    ("ref", "kind", "expected"),
    [
        ({"kind": "ClusterRole", "name": "cluster-admin"}, "ClusterRoleBinding", "ClusterRole 'cluster-admin'"),
        ({"kind": "ClusterRole", "name": "system:aggregate-to-edit"}, "RoleBinding", "system:*"),
        ({"kind": "ClusterRole", "name": "system:controller:clusterrole-aggregation-controller"}, "x", "system:*"),
        ({"kind": "ClusterRole", "name": "eks:addon-manager"}, "ClusterRoleBinding", "eks:*"),
        ({"kind": "Role", "name": "mine"}, "ClusterRoleBinding", "roleRef.kind is 'Role'"),
        ({"kind": "clusterrole", "name": "mine"}, "RoleBinding", "roleRef.kind is 'clusterrole'"),
        ({"kind": "ClusterRole", "name": "mine", "apiGroup": "example.com"}, "RoleBinding", "roleRef.apiGroup"),
    ],
)
def test_binding_role_refs(ref, kind, expected):
    problems = check_binding({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", **ref}}, kind)
    assert any(expected in p for p in problems), problems


def test_a_namespaced_role_named_admin_is_not_the_cluster_role():
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "admin"}
    assert check_binding({"roleRef": ref}, "RoleBinding") == []


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"kind": "Group", "name": "system:masters"}, "subjects[0] (Group) name 'system:masters' starts with"),
        ({"kind": "User", "name": "system:anonymous"}, "subjects[0] (User) name 'system:anonymous' starts with"),
        ({"kind": "User", "name": "system:serviceaccount:kube-system:x"}, "starts with 'system:'"),
        ({"kind": "Group", "name": "system:authenticated"}, "starts with 'system:'"),
        ({"kind": "group", "name": "g"}, "has kind 'group'"),
        ({"kind": "ServiceAccount", "name": 3, "namespace": "x"}, "not strings"),
    ],
)
def test_binding_subjects(subject, expected):
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "mine"}
    (problem,) = check_binding({"roleRef": ref, "subjects": [subject]})
    assert expected in problem


def test_binding_patches_need_their_role_ref():
    subjects = [{"kind": "Group", "name": "g"}]
    (problem,) = check_binding({"subjects": subjects}, "ClusterRoleBinding", "patch")
    assert "without its roleRef" in problem
    assert check_binding({"metadata": {"labels": {"a": "b"}}}, "ClusterRoleBinding", "patch") == []
    assert "has no roleRef" in check_binding({"subjects": subjects})[0]


def declared(token: str, obj: dict, provider: str | None = "k8s-a", urn: str = "u") -> DeclaredObject:
    type_ = kubernetes_type(f"kubernetes:rbac.authorization.k8s.io/v1:{token}")
    assert type_ is not None
    return DeclaredObject(urn, provider, type_, obj)


READ = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]


def bind(kind: str, name: str, namespace: str | None = None, provider: str = "k8s-a", token="RoleBinding"):
    metadata = {"name": "b", **({"namespace": namespace} if namespace else {})}
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}
    return declared(token, {"metadata": metadata, "roleRef": ref}, provider, urn="binding")


def test_bindings_resolve_roles_by_cluster_namespace_kind_and_name():
    role = declared("Role", {"metadata": {"name": "r", "namespace": "ns"}, "rules": READ})
    cluster_role = declared("ClusterRole", {"metadata": {"name": "r"}, "rules": READ})
    assert binding_findings([role, bind("Role", "r", "ns")], ["view"]) == ([], [])
    assert binding_findings([cluster_role, bind("ClusterRole", "r", "other")], ["view"]) == ([], [])
    assert binding_findings([bind("ClusterRole", "view")], ["view"]) == ([], [])
    for wrong in (bind("Role", "r", "other"), bind("ClusterRole", "r", "ns"), bind("Role", "r", "ns", "k8s-b")):
        ((urn, message),), _ = binding_findings([role, wrong], ["view"])
        assert urn == "binding" and "is not declared in this stack" in message
    ((_, message),), _ = binding_findings([bind("Role", "view", "ns")], ["view"])  # allowed built-ins are ClusterRoles
    assert "Role 'view'" in message


def test_bindings_to_roles_that_fail_or_are_not_known_yet():
    bad = declared("ClusterRole", {"metadata": {"name": "r"}, "rules": [{**READ[0], "verbs": ["delete"]}]})
    ((_, message),), _ = binding_findings([bad, bind("ClusterRole", "r")], [])
    assert "grants more than get, list and watch" in message
    later = declared("ClusterRole", {"metadata": {"name": "r"}, "rules": resolve(UNKNOWN_STRING_VALUE)})
    findings, pending = binding_findings([later, bind("ClusterRole", "r")], [])
    assert findings == [] and len(pending) == 1
    for patch in ({"metadata": {"name": "r"}}, {"metadata": {"name": "r"}, "rules": READ}):
        # the existing role may aggregate (controller-filled rules) whatever the patch says
        ((_, message),), _ = binding_findings([declared("ClusterRolePatch", patch), bind("ClusterRole", "r")], [])
        assert "is not declared" in message


# Text never spells None: a message may quote a value, and the assertion looks for a None printed by mistake.
TEXT = st.text(max_size=8).filter(lambda text: "None" not in text)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT | st.sampled_from(["system:masters", "Role"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
FIELDS = ("roleRef", "subjects", "rules", "aggregationRule", "metadata", "kind", "name", "groups", "username")


@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4), st.sampled_from(["object", "patch", "list"]))
@settings(max_examples=300, deadline=None)
def test_any_shape_is_judged_without_raising_or_saying_none(props, form):
    messages = [
        *check_role(props, form),
        *check_binding(props, "RoleBinding", form),
        *check_access_entry(props),
        *check_mapping(props),
        *check_aws_auth_data({"mapRoles": json.dumps(props)}),
    ]
    assert all(isinstance(m, str) and "None" not in m for m in messages)


@given(st.text(alphabet="-[]{}:,&*<>!|' \n\tabgrsuyx0123456789", max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_aws_auth_text_is_parsed_or_rejected_with_a_reason(text):
    for message in check_aws_auth_data({"mapRoles": text, "mapAccounts": text}):
        assert message.startswith(("aws-auth mapRoles", "aws-auth mapAccounts"))


def sdk_tokens(package: ModuleType, prefix: str) -> set[str]:
    """Type tokens exactly as the SDK's resource classes register them."""
    tokens: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        source = inspect.getsource(importlib.import_module(f"{package.__name__}.{info.name}"))
        tokens.update(re.findall(rf"[\"']({re.escape(prefix)}[^\"']+)[\"']", source))
    return tokens


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha1"])
def test_every_rbac_token_of_the_sdk_is_recognised(version):
    package = importlib.import_module(f"pulumi_kubernetes.rbac.{version}")
    tokens = sdk_tokens(package, f"kubernetes:{RBAC}/{version}:")
    assert len(tokens) == 12  # four kinds, each as object, Patch and List
    kinds = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
    assert all(kubernetes_type(token).is_kind(RBAC, *kinds) for token in tokens)


def test_the_config_map_and_eks_tokens_are_the_sdks():
    import pulumi_aws.eks
    import pulumi_kubernetes.core.v1

    config_maps = {t for t in sdk_tokens(pulumi_kubernetes.core.v1, "kubernetes:core/v1:") if "ConfigMap" in t}
    assert config_maps == {f"kubernetes:core/v1:ConfigMap{form}" for form in ("", "Patch", "List")}
    assert all(kubernetes_type(token).is_kind("", "ConfigMap") for token in config_maps)
    eks = sdk_tokens(pulumi_aws.eks, "aws:eks/access")
    assert {ACCESS_POLICY_ASSOCIATION, *(ACCESS_ENTRY_TYPES - {"aws-native:eks:AccessEntry"})} <= eks


@given(
    st.lists(
        st.sampled_from(["", "s", "sy", "ys", "tem", "system", "e", "ks", "am", "x", "{{SessionName}}"]), max_size=5
    )
)
@settings(max_examples=300, deadline=None)
def test_template_reasoning_agrees_with_a_regular_expression(pieces):
    name = "".join(pieces) + ":rest"
    head = name.partition(":")[0]
    pattern = "[^:]*".join(re.escape(literal) for literal in head.split("{{SessionName}}"))
    expected = next((p for p in RESERVED_PREFIXES if re.fullmatch(pattern, p[:-1], flags=re.IGNORECASE)), None)
    assert reserved_prefix(name, templates=True) == expected


def test_groups_an_identity_mapping_uses_and_groups_bindings_bind():
    later = resolve(UNKNOWN_STRING_VALUE)
    assert mapped_groups("aws:eks/accessEntry:AccessEntry", {"kubernetesGroups": ["a", later]}) == ["a", later]
    config_map = {"metadata": {"name": "aws-auth"}, "data": {"mapRoles": entry("[b, 'r-{{SessionName}}']")}}
    assert mapped_groups("kubernetes:core/v1:ConfigMapList", {"items": [config_map]}) == ["b", "r-{{SessionName}}"]
    assert mapped_groups("kubernetes:core/v1:ConfigMap", {**config_map, "metadata": {"name": "other"}}) == []
    assert aws_auth_groups({"mapRoles": "[unreadable"}) == []  # rejected on its own
    subjects = [{"kind": "Group", "name": "g"}, {"kind": "User", "name": "u"}, {"kind": "Group", "name": later}]
    with_ref = bind("ClusterRole", "view")
    with_ref.obj["subjects"] = subjects
    without_ref = declared("ClusterRoleBindingPatch", {"subjects": [{"kind": "Group", "name": "h"}]})
    assert bound_groups([with_ref, without_ref]) == ({"g"}, [later])
