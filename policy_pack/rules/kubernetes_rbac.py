"""Checks of Kubernetes RBAC objects: roles may only get, list and watch; bindings never grant admin."""

from __future__ import annotations

from typing import Any

READ_VERBS = frozenset({"get", "list", "watch"})
FORBIDDEN_ROLE_REFS = frozenset({"cluster-admin", "admin", "edit"})
FORBIDDEN_GROUPS = frozenset({"system:masters"})
ROLE_TYPES = frozenset(
    f"kubernetes:rbac.authorization.k8s.io/v1:{kind}"
    for kind in ("ClusterRole", "Role", "ClusterRolePatch", "RolePatch")
)
BINDING_TYPES = frozenset(
    f"kubernetes:rbac.authorization.k8s.io/v1:{kind}"
    for kind in ("ClusterRoleBinding", "RoleBinding", "ClusterRoleBindingPatch", "RoleBindingPatch")
)


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def check_role(props: dict[str, Any]) -> list[str]:
    if props.get("aggregationRule"):
        return [
            "the role has an aggregationRule: what it grants depends on other roles and cannot be checked; "
            "list its rules instead"
        ]
    rules = props.get("rules") or []
    if not isinstance(rules, list):
        return [f"rules is {rules!r}, not a list"]
    problems = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            problems.append(f"rule #{index} is not an object")
            continue
        verbs, resources, groups = (_strings(rule.get(k)) for k in ("verbs", "resources", "apiGroups"))
        label = f"rule #{index}"
        if extra := sorted(set(verbs) - READ_VERBS):
            problems.append(f"{label} has verbs {extra}; only get, list and watch are read-only")
        for key, values in (("verbs", verbs), ("resources", resources), ("apiGroups", groups)):
            if "*" in values:
                problems.append(f"{label} has '*' in {key}; name each one")
        if "secrets" in resources:
            problems.append(f"{label} reads secrets; inventory never needs them")
        if sub := [r for r in resources if "/" in r]:
            problems.append(f"{label} names subresources {sub} (e.g. pods/exec can write); use top-level resources")
        if rule.get("nonResourceURLs") and set(verbs) - {"get"}:
            problems.append(f"{label} allows {verbs} on nonResourceURLs; only get is read-only there")
    return problems


def check_binding(props: dict[str, Any]) -> list[str]:
    problems = []
    role_ref = props.get("roleRef") if isinstance(props.get("roleRef"), dict) else {}
    if role_ref.get("name") in FORBIDDEN_ROLE_REFS:
        problems.append(f"the binding grants {role_ref.get('name')!r}; bind a read-only role of your own")
    for subject in props.get("subjects") or []:
        if isinstance(subject, dict) and subject.get("kind") == "Group" and subject.get("name") in FORBIDDEN_GROUPS:
            problems.append(f"the binding names the group {subject.get('name')!r}, which is cluster admin")
    return problems
