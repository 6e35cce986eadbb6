"""Kubernetes RBAC: roles may only get, list and watch; bindings name only roles that can be verified.

Every spelling of an RBAC object counts: each API version the SDK has (v1, v1beta1, v1alpha1), the object, its
`...Patch` (server-side apply onto an existing object) and its `...List` (`items`), and a
`kubernetes.apiextensions.CustomResource`, whose type token is built from whatever apiVersion and kind it is given.
Kinds and groups are compared case-insensitively, so a differently cased spelling cannot slip past.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .unknowns import Unknown

RBAC_GROUP = "rbac.authorization.k8s.io"
READ_VERBS = frozenset({"get", "list", "watch"})
# Built-in ClusterRoles that write; roles named system:* and eks:* belong to Kubernetes and EKS themselves.
FORBIDDEN_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit"})
# Names Kubernetes and EKS reserve for their own users, groups and roles (EKS refuses them in access entries).
RESERVED_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")
ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")
FORMS = (("Patch", "patch"), ("List", "list"))
# What aws-iam-authenticator and EKS fill into usernames and groups; none of the values can hold a ':'
# (session names are [\w+=,.@-], account IDs digits, access key IDs alphanumeric, EC2 private DNS names hostnames).
TEMPLATES = ("{{EC2PrivateDNSName}}", "{{AccountID}}", "{{SessionNameRaw}}", "{{SessionName}}", "{{AccessKeyID}}")
TEMPLATE = re.compile("|".join(re.escape(template) for template in TEMPLATES))


@dataclass(frozen=True)
class KubernetesType:
    """What a `kubernetes:<apiVersion>:<Kind>` token (or an object's apiVersion and kind) declares."""

    group: str  # lower case; "" is the core group
    kind: str  # without Patch or List
    form: str  # "object", "patch" or "list"

    def is_kind(self, group: str, *kinds: str) -> bool:
        return self.group == group and self.kind.lower() in {kind.lower() for kind in kinds}


def kind_key(declared: KubernetesType) -> tuple[str, str]:
    """(group, lower-case kind): how the sets of kinds the checks read and reject are keyed."""
    return declared.group, declared.kind.lower()


def kind_keys(group: str, *kinds: str) -> frozenset[tuple[str, str]]:
    return frozenset((group, kind.lower()) for kind in kinds)


def _api_group(api_version: str) -> str:
    group = api_version.rsplit("/", 1)[0].lower() if "/" in api_version else ""
    return "" if group == "core" else group


def _split_form(kind: str) -> tuple[str, str]:
    for suffix, form in FORMS:
        if kind.lower().endswith(suffix.lower()) and len(kind) > len(suffix):
            return kind[: -len(suffix)], form
    return kind, "object"


def kubernetes_type(resource_type: str) -> KubernetesType | None:
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "kubernetes":
        return None
    kind, form = _split_form(parts[2])
    return KubernetesType(_api_group(parts[1]), kind, form)


def claimed_type(declared: KubernetesType, props: dict[str, Any]) -> KubernetesType | None:
    """What the resource's own apiVersion and kind say it is (the SDK sets them; a raw resource may not)."""
    api_version, kind = props.get("apiVersion"), props.get("kind")
    if not isinstance(kind, str):
        return None
    group = _api_group(api_version) if isinstance(api_version, str) else declared.group
    return KubernetesType(group, _split_form(kind)[0], declared.form)


def claimed_objects(declared: KubernetesType, props: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The resource, and each item of a `...List`: every object whose own apiVersion/kind must match the token."""
    yield "", props
    if declared.form == "list":
        yield from ((label, item) for label, item in objects(declared, props) if isinstance(item, dict))


def same_kind(one: KubernetesType, other: KubernetesType) -> bool:
    return one.group == other.group and one.kind.lower() == other.kind.lower()


def objects(declared: KubernetesType, props: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, object) for the resource itself, or for each item of a `...List`."""
    if declared.form != "list":
        yield "", props
        return
    items = props.get("items")
    if isinstance(items, list):
        for index, item in enumerate(items):
            yield f"items[{index}]: ", item
    elif items is not None and not isinstance(items, Unknown):
        yield "items: ", items


def shown(value: Any) -> str:
    """A value as a message shows it: Python's repr, but null (or a key left out) is `null`, never `None`."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return f"[{', '.join(map(shown, value))}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(key)}: {shown(item)}" for key, item in value.items()) + "}"
    return repr(value)


def name_problem(name: Any, what: str, *, templates: bool) -> str | None:
    """Why `name` (a user, group or role name) cannot be granted; `templates`: the authenticator expands it."""
    if isinstance(name, Unknown):
        return None
    if not isinstance(name, str):
        return f"{what} {shown(name)} is not a string; write it as a quoted string"
    if name != name.strip() or any(not character.isprintable() for character in name):
        return f"{what} {name!r} has surrounding whitespace or control characters; write the name plainly"
    prefix = reserved_prefix(name, templates=templates)
    if prefix is None:
        return None
    if templates and TEMPLATE.search(name.partition(":")[0]):
        return (
            f"{what} {name!r} can expand to a name starting with {prefix!r} (templates are filled from the caller's "
            f"session), reserved for Kubernetes and EKS; put templates only after a prefix of your own"
        )
    return f"{what} {name!r} starts with {prefix!r}, reserved for Kubernetes and EKS identities; use a name of your own"


def reserved_prefix(name: str, *, templates: bool) -> str | None:
    """The reserved prefix `name` starts with, or could start with once the authenticator fills its templates.

    Templates never produce a ':', so only the text before the first literal ':' can spell the reserved word.
    """
    head, colon, _ = name.partition(":")
    if not colon:
        return None
    literals = [literal.lower() for literal in (TEMPLATE.split(head) if templates else [head])]
    return next((p for p in RESERVED_PREFIXES if _can_spell(literals, p.removesuffix(":"))), None)


def _can_spell(literals: list[str], word: str) -> bool:
    """Whether the literals, in order, with any text in between (each template), can make exactly `word`."""
    if len(literals) == 1:
        return literals[0] == word
    first, *middle, last = literals
    if len(first) + len(last) > len(word) or not (word.startswith(first) and word.endswith(last)):
        return False
    position, end = len(first), len(word) - len(last)
    for literal in middle:  # leftmost placement leaves the most room for the rest
        found = word.find(literal, position, end)
        if found < 0:
            return False
        position = found + len(literal)
    return True


def _not_strings(rule: dict[str, Any], key: str, label: str) -> list[str]:
    value = rule.get(key)
    if value is None or isinstance(value, Unknown):
        return []
    if not isinstance(value, list):
        return [f"{label} {key} is {shown(value)}, not a list of strings"]
    if bad := [item for item in value if not isinstance(item, (str, Unknown))]:
        return [f"{label} {key} holds {', '.join(map(shown, bad))}, which are not strings"]
    return []


@dataclass(frozen=True)
class RuleFinding:
    """Something a rule grants beyond reading: the key, the positions of the values at fault, and why.

    The pack words it after the rule's label (`message`); the stack config parser names each value's key path and
    what it accepts instead (`accepted`), so both refuse the same rules for the same reasons.
    """

    key: str
    positions: tuple[int, ...]
    message: str
    accepted: str


def _strings(values: Any) -> list[str]:
    return [value for value in values if isinstance(value, str)] if isinstance(values, list) else []


def _positions(rule: dict[str, Any], key: str, at_fault: Callable[[str], bool]) -> tuple[int, ...]:
    values = rule.get(key)
    if not isinstance(values, list):
        return ()
    return tuple(index for index, value in enumerate(values) if isinstance(value, str) and at_fault(value))


# Subresources whose get, list and watch only read: `status` returns the object itself (as reading it does), `scale`
# its replica counts, and the kubelet's read endpoints (its authorizer maps /stats, /metrics, /spec and /healthz to
# these; every other kubelet path is nodes/proxy). Every other subresource is refused, by name below or as unknown:
# a GET on `pods/exec`, `attach` or `portforward` opens a session (websockets use GET), on `*/proxy` reaches the
# kubelet or the pod (nodes/proxy runs commands in any pod of the node), and `log` returns what containers print.
READ_ONLY_SUBRESOURCES = frozenset({"status", "scale"})
READ_ONLY_NODE_ENDPOINTS = frozenset({"nodes/stats", "nodes/metrics", "nodes/spec", "nodes/healthz"})
SUBRESOURCE_REASONS = {
    "log": "logs can hold secrets the containers print",
    "exec": "a GET opens a session in the pod (websockets use GET)",
    "attach": "a GET opens a session in the pod (websockets use GET)",
    "portforward": "a GET opens a tunnel into the pod (websockets use GET)",
    "proxy": "a GET reaches the kubelet or the pod's own endpoints (nodes/proxy runs commands in any pod of the node)",
}
# Non-resource URLs the API server answers with its own logs and debugging endpoints.
SENSITIVE_URLS = ("/logs", "/debug")


def _subresource_reason(resource: str) -> str | None:
    """Why a `resource/subresource` (or a wildcard in it) is not read-only; None when it is."""
    if "/" not in resource:
        return None
    sub = resource.split("/", 1)[1]
    if sub in READ_ONLY_SUBRESOURCES or resource in READ_ONLY_NODE_ENDPOINTS:
        return None
    return SUBRESOURCE_REASONS.get(sub, "only status and scale are read-only subresources")


def _sensitive_url(url: str) -> bool:
    """Whether the URL (a trailing '*' matches any rest) reaches the server's logs or debugging endpoints."""
    if url.endswith("*"):
        prefix = url[:-1]
        return any(path.startswith(prefix) or prefix.startswith(path) for path in SENSITIVE_URLS)
    return any(url == path or url.startswith(f"{path}/") for path in SENSITIVE_URLS)


def rule_findings(rule: dict[str, Any]) -> list[RuleFinding]:
    """What the rule grants beyond get, list and watch on named resources; values not strings are skipped.

    `apiGroups: ["*"]` passes: with read verbs and named resources it reads those resources in every group, and the
    names (secrets, subresources) are checked whatever the group.
    """
    verbs, resources, urls = (_strings(rule.get(key)) for key in ("verbs", "resources", "nonResourceURLs"))
    findings = []
    if extra := sorted(set(verbs) - READ_VERBS):
        findings.append(
            RuleFinding(
                "verbs",
                _positions(rule, "verbs", lambda verb: verb not in READ_VERBS),
                f"has verbs {extra}; only get, list and watch are read-only",
                "one of get, list, watch (only they are read-only)",
            )
        )
    if stars := _positions(rule, "verbs", lambda value: value == "*"):
        findings.append(RuleFinding("verbs", stars, "has '*' in verbs; name each one", "a name, not '*'"))
    if stars := _positions(rule, "resources", lambda value: "*" in value):
        findings.append(RuleFinding("resources", stars, "has '*' in resources; name each one", "a name, not '*'"))
    # RBAC matches names exactly, so `Secrets` grants nothing; it is refused anyway rather than trusted.
    if secrets := _positions(rule, "resources", lambda resource: resource.split("/")[0].strip().lower() == "secrets"):
        findings.append(
            RuleFinding(
                "resources",
                secrets,
                "reads secrets; inventory never needs them",
                "a resource other than secrets (inventory never needs them)",
            )
        )
    refused = {r: reason for r in resources if "*" not in r and (reason := _subresource_reason(r))}
    if refused:
        findings.append(
            RuleFinding(
                "resources",
                _positions(rule, "resources", refused.__contains__),
                "names subresources that are not read-only: "
                + "; ".join(f"{resource} ({reason})" for resource, reason in refused.items())
                + "; use top-level resources, status or scale (or nodes/stats, nodes/metrics, nodes/spec)",
                "a top-level resource, a status or scale subresource, or nodes/stats, nodes/metrics, nodes/spec, "
                "nodes/healthz (pods/exec, pods/log, nodes/proxy ... are not read-only)",
            )
        )
    if urls and set(verbs) - {"get"}:
        findings.append(
            RuleFinding(
                "nonResourceURLs",
                _positions(rule, "nonResourceURLs", lambda _: True),
                f"allows {verbs} on nonResourceURLs; only get is read-only there",
                "no nonResourceURLs unless the only verb is get",
            )
        )
    if sensitive := [url for url in urls if _sensitive_url(url)]:
        findings.append(
            RuleFinding(
                "nonResourceURLs",
                _positions(rule, "nonResourceURLs", _sensitive_url),
                f"reaches the API server's logs or debugging endpoints ({sensitive}); name the URLs inventory reads",
                "a URL other than /logs and /debug (and no '*' that covers them)",
            )
        )
    return findings


def check_rule(rule: Any, label: str) -> list[str]:
    if isinstance(rule, Unknown):
        return []
    if not isinstance(rule, dict):
        return [f"{label} is {shown(rule)}, not an object"]
    keys = ("verbs", "resources", "apiGroups", "nonResourceURLs")
    problems = [problem for key in keys for problem in _not_strings(rule, key, label)]
    return [*problems, *(f"{label} {finding.message}" for finding in rule_findings(rule))]


def check_role(role: Any, form: str = "object") -> list[str]:
    """A Role or ClusterRole (or a patch of one): what it grants must be read-only and visible here."""
    if isinstance(role, Unknown):
        return []
    if not isinstance(role, dict):
        return [f"the role is {shown(role)}, not an object"]
    if role.get("aggregationRule") is not None:
        return [
            "the role has an aggregationRule: the controller fills its rules from every ClusterRole whose labels "
            "match, including ones created later, so what it grants cannot be checked; list its rules instead"
        ]
    metadata = role.get("metadata")
    if form == "patch" and "rules" not in role and isinstance(metadata, dict) and metadata.get("labels"):
        return [
            "the patch sets labels on an existing role whose rules are not declared here; labels can aggregate "
            "those rules into other roles (rbac.authorization.k8s.io/aggregate-to-*), so include the role's rules"
        ]
    rules = role.get("rules")
    if rules is None or isinstance(rules, Unknown):
        return []
    if not isinstance(rules, list):
        return [f"rules is {shown(rules)}, not a list"]
    return [problem for index, rule in enumerate(rules) for problem in check_rule(rule, f"rule #{index}")]


def check_kubernetes_provider(props: dict[str, Any]) -> list[str]:
    """A provider that adopts existing objects merges a declared role into the cluster's role of the same name."""
    upsert = props.get("upsertExistingObjects")
    if upsert is True or (isinstance(upsert, str) and upsert.lower() == "true"):
        return [
            "the Kubernetes provider sets upsertExistingObjects, so a role declared through it merges into an existing "
            "role of the same name (keeping, say, its aggregationRule) and what it grants cannot be verified; leave "
            "it unset"
        ]
    return []


def role_verdict(role: dict[str, Any]) -> bool | None:
    """True when the role passes, False when it does not, None when part of it is not known yet."""
    if check_role(role):
        return False
    rules = role.get("rules")
    if isinstance(rules, Unknown) or (isinstance(rules, list) and any(isinstance(r, Unknown) for r in rules)):
        return None
    return True


def _check_role_ref(role_ref: Any, binding_kind: str) -> list[str]:
    if isinstance(role_ref, Unknown):
        return []
    if not isinstance(role_ref, dict):
        return [f"roleRef is {shown(role_ref)}, not an object"]
    kind, name, group = role_ref.get("kind"), role_ref.get("name"), role_ref.get("apiGroup")
    problems = []
    allowed_kinds = ROLE_KINDS if binding_kind.lower() == "rolebinding" else ("ClusterRole",)
    if not isinstance(kind, Unknown) and kind not in allowed_kinds:
        problems.append(f"roleRef.kind is {shown(kind)}; a {binding_kind} references {' or '.join(allowed_kinds)}")
    if not isinstance(group, Unknown) and group != RBAC_GROUP:
        problems.append(f"roleRef.apiGroup is {shown(group)}; expected {RBAC_GROUP!r}")
    if isinstance(name, Unknown):
        return problems
    if not isinstance(name, str):
        return [*problems, f"roleRef.name is {shown(name)}, not a string"]
    if kind == "ClusterRole" and name in FORBIDDEN_CLUSTER_ROLES:
        problems.append(f"the binding grants ClusterRole {name!r}, which writes; bind a read-only role of your own")
    if prefix := reserved_prefix(name, templates=False):
        problems.append(
            f"the binding grants {kind} {name!r}; roles named {prefix}* belong to Kubernetes or EKS and are not "
            "read-only; bind a read-only role of your own"
        )
    return problems


def _check_subject(subject: Any, label: str) -> list[str]:
    if isinstance(subject, Unknown):
        return []
    if not isinstance(subject, dict):
        return [f"{label} is {shown(subject)}, not an object"]
    kind, name = subject.get("kind"), subject.get("name")
    if isinstance(kind, Unknown):
        return []
    if kind not in SUBJECT_KINDS:
        return [f"{label} has kind {shown(kind)}; expected one of {', '.join(SUBJECT_KINDS)}"]
    if kind == "ServiceAccount":
        namespace = subject.get("namespace")
        bad = [value for value in (name, namespace) if value is not None and not isinstance(value, (str, Unknown))]
        return [f"{label} (ServiceAccount) has {', '.join(map(shown, bad))}, not strings"] if bad else []
    problem = name_problem(name, f"{label} ({kind}) name", templates=False)
    return [problem] if problem else []


def check_binding(binding: Any, binding_kind: str = "ClusterRoleBinding", form: str = "object") -> list[str]:
    """A RoleBinding or ClusterRoleBinding (or a patch of one), on its own."""
    if isinstance(binding, Unknown):
        return []
    if not isinstance(binding, dict):
        return [f"the binding is {shown(binding)}, not an object"]
    subjects = binding.get("subjects")
    problems = []
    if binding.get("roleRef") is None:
        if form != "patch":
            problems.append("the binding has no roleRef; name the role it grants")
        elif subjects:
            problems.append(
                "the patch adds subjects to an existing binding without its roleRef, so the role they get cannot "
                "be verified; include roleRef (the role must pass) or declare the binding here"
            )
    else:
        problems.extend(_check_role_ref(binding["roleRef"], binding_kind))
    if subjects is None or isinstance(subjects, Unknown):
        return problems
    if not isinstance(subjects, list):
        return [*problems, f"subjects is {shown(subjects)}, not a list"]
    for index, subject in enumerate(subjects):
        problems.extend(_check_subject(subject, f"subjects[{index}]"))
    return problems


@dataclass(frozen=True)
class RoleKey:
    """Which role a binding's roleRef resolves to: on which cluster (provider), in which namespace, by name."""

    provider: str | None
    kind: str
    namespace: str | None  # None for ClusterRoles
    name: str


def namespace_of(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("namespace") if isinstance(metadata, dict) else None


def name_of(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("name") if isinstance(metadata, dict) else None


def _annotations(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("annotations") if isinstance(metadata, dict) else None


def annotations_named(obj: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    """(key, value) of each annotation of `obj` spelling `key` in any case (the exact key is the one that works)."""
    annotations = _annotations(obj)
    if not isinstance(annotations, dict):
        return []
    return [(name, value) for name, value in annotations.items() if str(name).strip().lower() == key]


@dataclass(frozen=True)
class DeclaredObject:
    """One Kubernetes object a stack declares: a resource, or one item of a `...List`."""

    urn: str
    provider: str | None
    declared: KubernetesType
    obj: dict[str, Any]


def _canonical(kind: str, kinds: tuple[str, ...]) -> str:
    return next(k for k in kinds if k.lower() == kind.lower())


def declared_roles(declared: Sequence[DeclaredObject]) -> tuple[dict[RoleKey, list[bool | None]], bool]:
    """Verdicts of the roles declared, by key; and whether some role's key is not known yet."""
    roles: dict[RoleKey, list[bool | None]] = {}
    unnamed = False
    for item in declared:
        if not item.declared.is_kind(RBAC_GROUP, *ROLE_KINDS):
            continue
        if item.declared.form == "patch":
            continue  # a patch leaves the rest of an existing role (an aggregationRule, say) as the cluster has it
        kind = _canonical(item.declared.kind, ROLE_KINDS)
        name, namespace = name_of(item.obj), namespace_of(item.obj) if kind == "Role" else None
        if isinstance(name, Unknown) or isinstance(namespace, Unknown):
            unnamed = True
            continue
        if isinstance(name, str):
            key = RoleKey(item.provider, kind, namespace, name)
            roles.setdefault(key, []).append(role_verdict(item.obj))
    return roles, unnamed


def binding_findings(
    declared: Sequence[DeclaredObject], allowed_cluster_roles: Sequence[str]
) -> tuple[list[tuple[str, str]], list[Unknown]]:
    """(urn, message) for each binding to a role that is neither declared here and passing, nor an allowed built-in;
    and the unknown values that keep some binding from being decided yet."""
    roles, unnamed = declared_roles(declared)
    findings: list[tuple[str, str]] = []
    pending: list[Unknown] = []
    for item in declared:
        if not item.declared.is_kind(RBAC_GROUP, *BINDING_KINDS) or not isinstance(item.obj.get("roleRef"), dict):
            continue  # a binding without a readable roleRef is rejected on its own
        ref = item.obj["roleRef"]
        kind, name = ref.get("kind"), ref.get("name")
        namespace = namespace_of(item.obj) if kind == "Role" else None
        if unknown := next((v for v in (kind, name, namespace) if isinstance(v, Unknown)), None):
            pending.append(unknown)
            continue
        if kind not in ROLE_KINDS or not isinstance(name, str):
            continue
        if kind == "ClusterRole" and name in allowed_cluster_roles:
            continue
        verdicts = roles.get(RoleKey(item.provider, kind, namespace, name))
        if not verdicts and unnamed:
            pending.append(Unknown("roleRef.name"))
        elif not verdicts:
            where = f" in namespace {namespace!r}" if kind == "Role" else ""
            findings.append(
                (
                    item.urn,
                    f"the binding grants {kind} {name!r}, which is not declared in this stack{where} on the same "
                    f"cluster, so what it grants cannot be checked; bind a role declared here that passes "
                    f"kubernetes-rbac-read-only, or a built-in ClusterRole listed in allowedClusterRoles "
                    f"({sorted(allowed_cluster_roles)})",
                )
            )
        elif False in verdicts:
            findings.append(
                (item.urn, f"the binding grants {kind} {name!r}, which grants more than get, list and watch")
            )
        elif None in verdicts:
            pending.append(Unknown("roleRef.name"))
    return findings, pending


def bound_groups(declared: Sequence[DeclaredObject]) -> tuple[set[str], list[Unknown]]:
    """The Group subjects of the bindings declared (with a roleRef), and the unknown values among them."""
    groups: set[str] = set()
    pending: list[Unknown] = []
    for item in declared:
        subjects = item.obj.get("subjects")
        if not item.declared.is_kind(RBAC_GROUP, *BINDING_KINDS) or not isinstance(item.obj.get("roleRef"), dict):
            continue
        if isinstance(subjects, Unknown):
            pending.append(subjects)
            continue
        for subject in subjects if isinstance(subjects, list) else []:
            if isinstance(subject, Unknown) or (isinstance(subject, dict) and isinstance(subject.get("name"), Unknown)):
                pending.append(subject if isinstance(subject, Unknown) else subject["name"])
            elif isinstance(subject, dict) and subject.get("kind") == "Group" and isinstance(subject.get("name"), str):
                groups.add(subject["name"])
    return groups, pending
