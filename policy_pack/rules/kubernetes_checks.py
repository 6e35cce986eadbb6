"""The Kubernetes and EKS policies' checks: which resources they read, and how unknown values are handled.

`policies.py` registers them; the pure checks are in `kubernetes_rbac.py` and `eks_identity.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from .eks_identity import (
    aws_auth_groups,
    check_access_entry,
    check_access_policy_association,
    check_aws_auth_data,
    check_iam_identity_mapping,
    check_mapping,
    is_aws_auth,
)
from .kubernetes_rbac import (
    BINDING_KINDS,
    RBAC_GROUP,
    ROLE_KINDS,
    DeclaredObject,
    KubernetesType,
    binding_findings,
    bound_groups,
    check_binding,
    check_kubernetes_provider,
    check_role,
    claimed_objects,
    claimed_type,
    kubernetes_type,
    objects,
    same_kind,
    shown,
)
from .resource_types import (
    ACCESS_ENTRY_TYPES,
    ACCESS_POLICY_ASSOCIATION,
    AWS_AUTH_MAPPING,
    DYNAMIC_PREFIX,
    KUBERNETES_PREFIX,
    KUBERNETES_PROVIDER,
)
from .unknowns import Unknown, not_yet_known, resolve, unknowns

AWS_AUTH_MAPPING_KEY = "mapKind"  # marks an aws-auth mapping among other dynamic resources
IAM_IDENTITY_MAPPING_GROUP = "iamauthenticator.k8s.aws"  # aws-iam-authenticator's CRD backend
DEFAULT_ALLOWED_CLUSTER_ROLES = ("view",)

Check = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[str]]  # as policies.resource_policy takes
ObjectCheck = Callable[[KubernetesType, Any], list[str]]
# What each Kubernetes check reads: an unknown value anywhere else does not hold it up during preview.
ROLE_FIELDS = (("rules",), ("aggregationRule",), ("metadata", "labels"))
BINDING_FIELDS = (("roleRef",), ("subjects",))
CONFIG_MAP_FIELDS = (("metadata", "name"), ("metadata", "namespace"), ("data",))


def _unknown_fields(obj: Any, fields: Sequence[tuple[str, ...]]) -> list[Unknown]:
    found: list[Unknown] = []
    for path in fields:
        value = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        found.extend(unknowns(value))
    return found


def _kubernetes_check(group: str, kinds: Sequence[str], check_object: ObjectCheck, fields: Sequence) -> Check:
    """Run `check_object` on every object of the given kinds a Kubernetes resource declares (each List item too);
    report what is found among known values, then name what is not known yet."""

    def check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
        declared = kubernetes_type(resource_type)
        if declared is None:
            return
        resolved = resolve(props)
        claims = [(label, claimed_type(declared, obj)) for label, obj in claimed_objects(declared, resolved)]
        if not any(t is not None and t.is_kind(group, *kinds) for t in (declared, *(c for _, c in claims))):
            return
        for label, claimed in claims:
            if claimed is not None and not same_kind(declared, claimed):
                yield (
                    f"{label}its type {resource_type} and its apiVersion/kind ({claimed.group or 'core'}, "
                    f"{claimed.kind}) disagree, so which object the provider writes cannot be told; make them match"
                )
                return
        pending = [resolved["items"]] if isinstance(resolved.get("items"), Unknown) else []
        for label, obj in objects(declared, resolved):
            yield from (f"{label}{problem}" for problem in check_object(declared, obj))
            pending.extend(_unknown_fields(obj, fields))
        if pending:
            raise not_yet_known(unknown.path for unknown in pending)

    return check


def _role_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_role(obj, declared.form)


def _binding_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_binding(obj, declared.kind, declared.form)


def _config_map_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_aws_auth_data(obj.get("data")) if isinstance(obj, dict) and is_aws_auth(obj) else []


def _identity_mapping_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_iam_identity_mapping(obj) if isinstance(obj, dict) else [f"{shown(obj)} is not an object"]


CONFIG_MAP_KINDS = ("", ("ConfigMap",))
IDENTITY_MAPPING_KINDS = (IAM_IDENTITY_MAPPING_GROUP, ("IAMIdentityMapping",))
# (group, kinds) the checks below read, in every version and form: the type table places these as checked.
CHECKED_KINDS = ((RBAC_GROUP, ROLE_KINDS), (RBAC_GROUP, BINDING_KINDS), CONFIG_MAP_KINDS, IDENTITY_MAPPING_KINDS)

_role_check = _kubernetes_check(RBAC_GROUP, ROLE_KINDS, _role_object, ROLE_FIELDS)


def rbac_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type == KUBERNETES_PROVIDER:
        provider = _picked(props, "upsertExistingObjects")
        return _decided(check_kubernetes_provider(provider), provider)
    return _role_check(resource_type, props, config)


binding_check = _kubernetes_check(RBAC_GROUP, BINDING_KINDS, _binding_object, BINDING_FIELDS)
_aws_auth_check = _kubernetes_check(*CONFIG_MAP_KINDS, _config_map_object, CONFIG_MAP_FIELDS)
_identity_mapping_check = _kubernetes_check(*IDENTITY_MAPPING_KINDS, _identity_mapping_object, (("spec",),))


def is_kubernetes_type(resource_type: str) -> bool:
    return resource_type.startswith(KUBERNETES_PREFIX) or resource_type == KUBERNETES_PROVIDER


EKS_IDENTITY_TYPES = ACCESS_ENTRY_TYPES | {ACCESS_POLICY_ASSOCIATION}
# Types outside Kubernetes the checks here read (the provider: rbac_check): the type table places them as checked.
CHECKED_TYPES = EKS_IDENTITY_TYPES | {KUBERNETES_PROVIDER}


def is_eks_identity_type(resource_type: str) -> bool:
    return resource_type in EKS_IDENTITY_TYPES or resource_type.startswith((KUBERNETES_PREFIX, DYNAMIC_PREFIX))


def _picked(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The named properties only, unknown ones marked: an unknown value elsewhere does not hold up the check."""
    return {key: value for key, value in resolve(props).items() if key in keys}


def _decided(problems: list[str], checked: Any) -> Iterable[str]:
    """`problems`, then the first unknown value among what was checked, if any."""
    yield from problems
    if pending := unknowns(checked):
        raise not_yet_known(unknown.path for unknown in pending)


def eks_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type in ACCESS_ENTRY_TYPES:
        entry = _picked(props, "kubernetesGroups", "userName", "username", "type", "accessPolicies")
        yield from _decided(check_access_entry(entry), entry)
    elif resource_type == ACCESS_POLICY_ASSOCIATION:
        association = _picked(props, "policyArn")
        yield from _decided(check_access_policy_association(association), association)
    elif resource_type.startswith(DYNAMIC_PREFIX):
        if AWS_AUTH_MAPPING_KEY in props or resource_type == AWS_AUTH_MAPPING:
            mapping = _picked(props, "mapKind", "username", "groups")
            yield from _decided(check_mapping(mapping), mapping)
    else:
        yield from _aws_auth_check(resource_type, props, config)
        yield from _identity_mapping_check(resource_type, props, config)


def mapped_groups(resource_type: str, props: dict[str, Any]) -> list[Any]:
    """The Kubernetes groups an identity mapping puts IAM identities in (unknown ones included)."""
    if resource_type in ACCESS_ENTRY_TYPES:
        groups = props.get("kubernetesGroups")
    elif resource_type.startswith(DYNAMIC_PREFIX) and (
        AWS_AUTH_MAPPING_KEY in props or resource_type == AWS_AUTH_MAPPING
    ):
        groups = props.get("groups")
    else:
        declared = kubernetes_type(resource_type)
        found: list[Any] = []
        if declared is None:
            return found
        for _, obj in objects(declared, props):
            if not isinstance(obj, dict):
                continue
            if declared.is_kind("", "ConfigMap") and is_aws_auth(obj):
                found.extend(aws_auth_groups(obj.get("data")))
            elif declared.is_kind(IAM_IDENTITY_MAPPING_GROUP, "IAMIdentityMapping") and isinstance(
                obj.get("spec"), dict
            ):
                found.extend(obj["spec"].get("groups") or [])
        return found
    return groups if isinstance(groups, list) else [groups] if isinstance(groups, Unknown) else []


def bindings_allow_list(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = (args.get_config() or {}).get("allowedClusterRoles", DEFAULT_ALLOWED_CLUSTER_ROLES)
    declared = []
    resolved = [(resource, resolve(resource.props)) for resource in args.resources]
    for resource, props in resolved:
        kind = kubernetes_type(resource.resource_type)
        if kind is None or not kind.is_kind(RBAC_GROUP, *ROLE_KINDS, *BINDING_KINDS):
            continue
        provider = resource.provider.urn if resource.provider is not None else None
        for _, obj in objects(kind, props):
            if isinstance(obj, dict):
                declared.append(DeclaredObject(resource.urn, provider, kind, obj))
    findings, pending = binding_findings(declared, list(allowed))
    bound, unknown_subjects = bound_groups(declared)
    for resource, props in resolved:
        for group in mapped_groups(resource.resource_type, props):
            if isinstance(group, Unknown):
                pending.append(group)
            elif isinstance(group, str) and group not in bound:
                if unknown_subjects:
                    pending.extend(unknown_subjects)
                    continue
                findings.append((resource.urn, unbound_group_message(group)))
    for urn, message in findings:
        report_violation(message, urn)
    if pending:
        raise not_yet_known(unknown.path for unknown in pending)


def unbound_group_message(group: str) -> str:
    return (
        f"maps IAM identities into group {group!r}, which no binding in this stack binds, so what it grants depends "
        "on bindings already in the cluster (or, with a template, on the caller); bind it here to a read-only role"
    )
