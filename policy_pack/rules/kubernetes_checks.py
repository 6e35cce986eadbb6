"""The Kubernetes and EKS policies' checks: which resources they read, and how unknown values are handled.

`policies.py` registers them; the pure checks are in `kubernetes_rbac.py`, `kubernetes_grants.py` and
`eks_identity.py`, and `kubernetes_manifests.py` finds the objects a resource declares. The sets of kinds and tokens
read (`CHECKED_KINDS`, `CHECKED_COMPONENT_TYPES`) and rejected (`kubernetes_grants.is_rejected_kind`,
`REJECTED_COMPONENT_TYPES`, `eks_identity.EKS_REJECTED`) are what the type table places.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, StackValidationArgs

from .eks_identity import (
    ADDON_ROLE_FIELDS,
    ADDON_TYPES,
    EKS_REJECTED,
    aws_auth_groups,
    check_access_entry,
    check_access_policy_association,
    check_addon,
    check_aws_auth_data,
    check_iam_identity_mapping,
    check_mapping,
    check_service_account,
    is_aws_auth,
)
from .kubernetes_grants import (
    CONFIG_MAP_KINDS,
    CRD_KINDS,
    CSI_DRIVER_KINDS,
    FILE_COMPONENT_TYPES,
    SECRET_KINDS,
    check_component,
    check_csi_driver,
    check_custom_resource_definition,
    check_secret,
    check_system_object,
    is_rejected_kind,
    rejected_kind_problems,
)
from .kubernetes_manifests import CONFIG_GROUP, config_group_manifests, declared_objects
from .kubernetes_provider import check_kubeconfig
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
    kind_key,
    kind_keys,
    kubernetes_type,
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
# The kinds each check reads, as (group, lower-case kind), whatever the version or the Patch/List form.
RBAC_ROLE_KINDS = kind_keys(RBAC_GROUP, *ROLE_KINDS)
RBAC_BINDING_KINDS = kind_keys(RBAC_GROUP, *BINDING_KINDS)
IDENTITY_MAPPING_KINDS = kind_keys(IAM_IDENTITY_MAPPING_GROUP, "IAMIdentityMapping")
SERVICE_ACCOUNT_KINDS = kind_keys("", "ServiceAccount")
# Read by kubernetes-no-grants-outside-rbac (beside the kinds it rejects outright: kubernetes_grants.is_rejected_kind).
GRANT_KINDS = CONFIG_MAP_KINDS | SECRET_KINDS | CRD_KINDS | CSI_DRIVER_KINDS
# For the type table: every kind a check reads.
CHECKED_KINDS = RBAC_ROLE_KINDS | RBAC_BINDING_KINDS | IDENTITY_MAPPING_KINDS | SERVICE_ACCOUNT_KINDS | GRANT_KINDS
# Component tokens read here: a ConfigGroup's inline objects; ConfigFile and Directory are rejected (check_component).
CHECKED_COMPONENT_TYPES = frozenset({CONFIG_GROUP})
REJECTED_COMPONENT_TYPES = FILE_COMPONENT_TYPES

Check = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[str]]  # as policies.resource_policy takes
ObjectCheck = Callable[[KubernetesType, Any], list[str]]
Reads = frozenset[tuple[str, str]] | Callable[[KubernetesType], bool]
# What each Kubernetes check reads: an unknown value anywhere else does not hold it up during preview.
ROLE_FIELDS = (("rules",), ("aggregationRule",), ("metadata", "labels"))
BINDING_FIELDS = (("roleRef",), ("subjects",))
CONFIG_MAP_FIELDS = (("metadata", "name"), ("metadata", "namespace"), ("data",))
GRANT_FIELDS = (
    ("type",),
    ("metadata", "annotations"),
    ("metadata", "namespace"),
    ("spec", "conversion"),
    ("spec", "tokenRequests"),
)
SERVICE_ACCOUNT_FIELDS = (("metadata", "annotations"),)


def _unknown_fields(obj: Any, fields: Sequence[tuple[str, ...]]) -> list[Unknown]:
    found: list[Unknown] = []
    for path in fields:
        value = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        found.extend(unknowns(value))
    return found


def _kubernetes_check(reads: Reads, check_object: ObjectCheck, fields: Sequence) -> Check:
    """Run `check_object` on every object a Kubernetes resource declares (each List item and ConfigGroup manifest
    too) of a kind `reads` (a set of (group, lower-case kind), or a test of the type); report what is found among
    known values, then name what is not known yet."""
    applies = reads if callable(reads) else lambda declared: kind_key(declared) in reads

    def check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
        resolved = resolve(props)
        declared = kubernetes_type(resource_type)
        if declared is None:
            return
        if resource_type != CONFIG_GROUP:
            claims = [(label, claimed_type(declared, obj)) for label, obj in claimed_objects(declared, resolved)]
            if not any(t is not None and applies(t) for t in (declared, *(c for _, c in claims))):
                return
            for label, claimed in claims:
                if claimed is not None and not same_kind(declared, claimed):
                    yield (
                        f"{label}its type {resource_type} and its apiVersion/kind ({claimed.group or 'core'}, "
                        f"{claimed.kind}) disagree, so which object the provider writes cannot be told; make them match"
                    )
                    return
        found = declared_objects(resource_type, resolved)
        pending = [resolved["items"]] if isinstance(resolved.get("items"), Unknown) else []
        for label, object_type, obj in found.objects:
            if not applies(object_type):
                continue
            yield from (f"{label}{problem}" for problem in check_object(object_type, obj))
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


_role_check = _kubernetes_check(RBAC_ROLE_KINDS, _role_object, ROLE_FIELDS)


def rbac_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type == KUBERNETES_PROVIDER:
        provider = _picked(props, "upsertExistingObjects")
        return _decided(check_kubernetes_provider(provider), provider)
    return _role_check(resource_type, props, config)


binding_check = _kubernetes_check(RBAC_BINDING_KINDS, _binding_object, BINDING_FIELDS)
_aws_auth_check = _kubernetes_check(CONFIG_MAP_KINDS, _config_map_object, CONFIG_MAP_FIELDS)
_identity_mapping_check = _kubernetes_check(IDENTITY_MAPPING_KINDS, _identity_mapping_object, (("spec",),))
_service_account_check = _kubernetes_check(
    SERVICE_ACCOUNT_KINDS, lambda _, obj: check_service_account(obj), SERVICE_ACCOUNT_FIELDS
)


def _grant_object(declared: KubernetesType, obj: Any) -> list[str]:
    if is_rejected_kind(declared):
        return rejected_kind_problems(declared)
    if kind_key(declared) in CONFIG_MAP_KINDS:
        return check_system_object(declared, obj)
    if kind_key(declared) in SECRET_KINDS:
        return [*check_system_object(declared, obj), *check_secret(obj)]
    if kind_key(declared) in CSI_DRIVER_KINDS:
        return check_csi_driver(obj)
    return check_custom_resource_definition(obj)


_grant_objects_check = _kubernetes_check(
    lambda declared: is_rejected_kind(declared) or kind_key(declared) in GRANT_KINDS,
    _grant_object,
    GRANT_FIELDS,
)


def grants_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """Objects that grant outside RBAC, components whose objects the pack cannot read, and what a provider runs."""
    if resource_type == KUBERNETES_PROVIDER:
        provider = _picked(props, "kubeconfig")
        yield from _decided(check_kubeconfig(provider.get("kubeconfig")), provider)
        return
    resolved = resolve(props)
    yield from check_component(resource_type, resolved)
    manifests = config_group_manifests(resolved) if resource_type == CONFIG_GROUP else None
    if manifests is not None:
        yield from manifests.problems
        yield from (
            f"{label}{declared.kind} ({declared.group or 'core'}) is not a kind the pack reads inside a ConfigGroup, "
            "so what it grants cannot be checked here; declare it as a typed resource, which the pack places by type"
            for label, declared, _ in manifests.objects
            if kind_key(declared) not in CHECKED_KINDS and not is_rejected_kind(declared)
        )
    yield from _grant_objects_check(resource_type, props, config)
    if manifests is not None and manifests.pending:
        raise not_yet_known(unknown.path for unknown in manifests.pending)


def is_kubernetes_type(resource_type: str) -> bool:
    return resource_type.startswith(KUBERNETES_PREFIX) or resource_type == KUBERNETES_PROVIDER


EKS_IDENTITY_TYPES = ACCESS_ENTRY_TYPES | {ACCESS_POLICY_ASSOCIATION}
# Types outside Kubernetes the checks here read (the provider: rbac_check): the type table places them as checked.
CHECKED_TYPES = EKS_IDENTITY_TYPES | ADDON_TYPES | CHECKED_COMPONENT_TYPES | {KUBERNETES_PROVIDER}


def is_eks_identity_type(resource_type: str) -> bool:
    return (
        resource_type in ACCESS_ENTRY_TYPES
        or resource_type == ACCESS_POLICY_ASSOCIATION
        or resource_type in ADDON_TYPES
        or resource_type in EKS_REJECTED
        or resource_type.startswith((KUBERNETES_PREFIX, DYNAMIC_PREFIX))
    )


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
    elif resource_type in EKS_REJECTED:
        yield (
            f"{resource_type} {EKS_REJECTED[resource_type]}; the pack cannot see what that hands out, so it cannot "
            "be verified; the read-only inventory needs none: remove it from the stack"
        )
    elif resource_type in ADDON_TYPES:
        addon = _picked(props, *ADDON_ROLE_FIELDS)
        yield from _decided(check_addon(addon), addon)
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
        yield from _service_account_check(resource_type, props, config)


def mapped_groups(resource_type: str, props: dict[str, Any]) -> list[Any]:
    """The Kubernetes groups an identity mapping puts IAM identities in (unknown ones included)."""
    if resource_type in ACCESS_ENTRY_TYPES:
        groups = props.get("kubernetesGroups")
    elif resource_type.startswith(DYNAMIC_PREFIX) and (
        AWS_AUTH_MAPPING_KEY in props or resource_type == AWS_AUTH_MAPPING
    ):
        groups = props.get("groups")
    else:
        found: list[Any] = []
        for _, declared, obj in declared_objects(resource_type, props).objects:
            if not isinstance(obj, dict):
                continue
            if kind_key(declared) in CONFIG_MAP_KINDS and is_aws_auth(obj):
                found.extend(aws_auth_groups(obj.get("data")))
            elif kind_key(declared) in IDENTITY_MAPPING_KINDS and isinstance(obj.get("spec"), dict):
                found.extend(obj["spec"].get("groups") or [])
        return found
    return groups if isinstance(groups, list) else [groups] if isinstance(groups, Unknown) else []


def bindings_allow_list(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = (args.get_config() or {}).get("allowedClusterRoles", DEFAULT_ALLOWED_CLUSTER_ROLES)
    declared = []
    resolved = [(resource, resolve(resource.props)) for resource in args.resources]
    for resource, props in resolved:
        provider = resource.provider.urn if resource.provider is not None else None
        for _, kind, obj in declared_objects(resource.resource_type, props).objects:
            if kind_key(kind) in RBAC_ROLE_KINDS | RBAC_BINDING_KINDS and isinstance(obj, dict):
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
