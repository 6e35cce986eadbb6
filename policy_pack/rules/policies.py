"""The pack's policies: thin `pulumi_policy` wrappers around the pure checks in this package."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .eks_identity import (
    check_access_entry,
    check_access_policy_association,
    check_aws_auth_data,
    check_iam_identity_mapping,
    check_mapping,
    is_aws_auth,
)
from .iam_actions import default_catalog
from .iam_documents import DocumentFindings, check_document
from .kubernetes_rbac import (
    BINDING_KINDS,
    RBAC_GROUP,
    ROLE_KINDS,
    DeclaredObject,
    KubernetesType,
    binding_findings,
    check_binding,
    check_kubernetes_provider,
    check_role,
    claimed_objects,
    claimed_type,
    kubernetes_type,
    objects,
    same_kind,
)
from .managed_policies import ATTACHMENT_TYPES, check_aws_managed_arn, is_customer_policy_arn
from .sensitive_actions import sensitive_actions
from .trust import DEFAULT_MAX_SESSION_SECONDS, check_session_duration, check_trust_policy
from .unknowns import Unknown, resolve, unknowns

POLICY_TYPE = "aws:iam/policy:Policy"
ROLE_TYPE = "aws:iam/role:Role"
DOCUMENT_TYPES = frozenset(
    {
        POLICY_TYPE,
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
ACCESS_ENTRY_TYPES = frozenset({"aws:eks/accessEntry:AccessEntry", "aws-native:eks:AccessEntry"})
ACCESS_POLICY_TYPE = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
AWS_AUTH_MAPPING_TYPE = "pulumi-python:dynamic/eks:AwsAuthMapping"
DYNAMIC_PREFIX = "pulumi-python:dynamic"
AWS_AUTH_MAPPING_KEY = "mapKind"  # marks an aws-auth mapping among other dynamic resources
IAM_IDENTITY_MAPPING_GROUP = "iamauthenticator.k8s.aws"  # aws-iam-authenticator's CRD backend
# Kubernetes resources are recognised by the group and kind in their type token, whatever its version or spelling.
KUBERNETES_PREFIX = "kubernetes:"
KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes"
DEFAULT_ALLOWED_CLUSTER_ROLES = ("view",)

Check = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[str]]


def plain(value: Any) -> Any:
    """Plain dicts and lists from the SDK's proxies; touching an unknown value raises as the SDK intends."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, Sequence):
        return [plain(item) for item in value]
    return value


def prop(props: Mapping[str, Any], key: str) -> Any:
    return plain(props[key]) if key in props else None


def iam_documents(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    if resource_type in DOCUMENT_TYPES:
        return [("policy", prop(props, "policy"))]
    if resource_type == ROLE_TYPE:
        inline = prop(props, "inlinePolicies") or []
        return [(f"inline policy {p.get('name')!r}", p.get("policy")) for p in inline if isinstance(p, dict)]
    return []


@lru_cache(maxsize=4096)
def _findings(document: str, sensitive: frozenset[str]) -> DocumentFindings:
    return check_document(document, default_catalog(), sensitive)


def document_findings(document: Any, allowed_sensitive: Iterable[str] = ()) -> DocumentFindings:
    catalog = default_catalog()
    allowed = {action.lower() for action in allowed_sensitive}
    sensitive = frozenset(a for a in sensitive_actions(catalog) if a.lower() not in allowed)
    if isinstance(document, str):
        return _findings(document, sensitive)
    return check_document(document, catalog, sensitive)


def _documents_check(pick: Callable[[DocumentFindings], Sequence[str]]) -> Check:
    def check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
        for label, document in iam_documents(resource_type, props):
            for message in pick(document_findings(document, config.get("allowedActions") or ())):
                yield f"{label}: {message}"

    return check


def _trust_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    yield from check_trust_policy(prop(props, "assumeRolePolicy"))
    bound = config.get("maxSessionDuration", DEFAULT_MAX_SESSION_SECONDS)
    yield from check_session_duration(prop(props, "maxSessionDuration"), bound)


def _attachment_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    arns = prop(props, "managedPolicyArns") or [] if resource_type == ROLE_TYPE else [prop(props, "policyArn")]
    for arn in arns:
        yield from check_aws_managed_arn(arn)


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
            raise pending[0].error()

    return check


def _role_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_role(obj, declared.form)


def _binding_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_binding(obj, declared.kind, declared.form)


def _config_map_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_aws_auth_data(obj.get("data")) if isinstance(obj, dict) and is_aws_auth(obj) else []


def _identity_mapping_object(declared: KubernetesType, obj: Any) -> list[str]:
    return check_iam_identity_mapping(obj) if isinstance(obj, dict) else [f"{obj!r} is not an object"]


_role_check = _kubernetes_check(RBAC_GROUP, ROLE_KINDS, _role_object, ROLE_FIELDS)


def _rbac_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type == KUBERNETES_PROVIDER_TYPE:
        provider = _picked(props, "upsertExistingObjects")
        return _decided(check_kubernetes_provider(provider), provider)
    return _role_check(resource_type, props, config)


_binding_check = _kubernetes_check(RBAC_GROUP, BINDING_KINDS, _binding_object, BINDING_FIELDS)
_aws_auth_check = _kubernetes_check("", ("ConfigMap",), _config_map_object, CONFIG_MAP_FIELDS)
_identity_mapping_check = _kubernetes_check(
    IAM_IDENTITY_MAPPING_GROUP, ("IAMIdentityMapping",), _identity_mapping_object, (("spec",),)
)


def _is_kubernetes_type(resource_type: str) -> bool:
    return resource_type.startswith(KUBERNETES_PREFIX) or resource_type == KUBERNETES_PROVIDER_TYPE


def _is_eks_identity_type(resource_type: str) -> bool:
    return (
        resource_type in ACCESS_ENTRY_TYPES
        or resource_type == ACCESS_POLICY_TYPE
        or resource_type.startswith((KUBERNETES_PREFIX, DYNAMIC_PREFIX))
    )


def _picked(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The named properties only, unknown ones marked: an unknown value elsewhere does not hold up the check."""
    return {key: value for key, value in resolve(props).items() if key in keys}


def _decided(problems: list[str], checked: Any) -> Iterable[str]:
    """`problems`, then the first unknown value among what was checked, if any."""
    yield from problems
    for unknown in unknowns(checked):
        raise unknown.error()


def _eks_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type in ACCESS_ENTRY_TYPES:
        entry = _picked(props, "kubernetesGroups", "userName", "username", "type", "accessPolicies")
        yield from _decided(check_access_entry(entry), entry)
    elif resource_type == ACCESS_POLICY_TYPE:
        association = _picked(props, "policyArn")
        yield from _decided(check_access_policy_association(association), association)
    elif resource_type.startswith(DYNAMIC_PREFIX):
        if AWS_AUTH_MAPPING_KEY in props or resource_type == AWS_AUTH_MAPPING_TYPE:
            mapping = _picked(props, "mapKind", "username", "groups")
            yield from _decided(check_mapping(mapping), mapping)
    else:
        yield from _aws_auth_check(resource_type, props, config)
        yield from _identity_mapping_check(resource_type, props, config)


def resource_policy(
    name: str,
    description: str,
    types: Iterable[str] | Callable[[str], bool],
    check: Check,
    *,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    applies_to = types if callable(types) else frozenset(types).__contains__

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not applies_to(args.resource_type):
            return
        try:
            for message in check(args.resource_type, args.props, args.get_config() or {}):
                report_violation(message)
        except UnknownValueError:
            raise
        except Exception as error:  # noqa: BLE001 a crash would fail the whole run without a message
            report_violation(f"could not check {args.resource_type} ({type(error).__name__}: {error}); fix its inputs")

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level, config_schema=config_schema
    )


def _declared_policy_verdicts(resources: Sequence[Any]) -> dict[str, bool]:
    verdicts = {}
    for resource in resources:
        if resource.resource_type == POLICY_TYPE:
            arn = resource.props.get("arn")
            if isinstance(arn, str):
                verdicts[arn] = not document_findings(prop(resource.props, "policy")).problems
    return verdicts


def _customer_attachments(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    verdicts = _declared_policy_verdicts(args.resources)
    for resource in args.resources:
        if resource.resource_type in ATTACHMENT_TYPES:
            arns = [resource.props.get("policyArn")]
        elif resource.resource_type == ROLE_TYPE:
            arns = list(resource.props.get("managedPolicyArns") or [])
        else:
            continue
        for arn in arns:
            if not is_customer_policy_arn(arn):
                continue
            if arn not in verdicts:
                report_violation(
                    f"attaches {arn}, which this stack does not declare, so it cannot be checked; "
                    "declare the policy here or attach a read-only AWS managed policy",
                    resource.urn,
                )
            elif not verdicts[arn]:
                report_violation(f"attaches {arn}, which grants more than List/Read", resource.urn)


def _bindings_allow_list(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    allowed = (args.get_config() or {}).get("allowedClusterRoles", DEFAULT_ALLOWED_CLUSTER_ROLES)
    declared = []
    for resource in args.resources:
        kind = kubernetes_type(resource.resource_type)
        if kind is None or not kind.is_kind(RBAC_GROUP, *ROLE_KINDS, *BINDING_KINDS):
            continue
        provider = resource.provider.urn if resource.provider is not None else None
        for _, obj in objects(kind, resolve(resource.props)):
            if isinstance(obj, dict):
                declared.append(DeclaredObject(resource.urn, provider, kind, obj))
    findings, pending = binding_findings(declared, list(allowed))
    for urn, message in findings:
        report_violation(message, urn)
    if pending:
        raise pending[0].error()


def _never_raise(
    check: Callable[[StackValidationArgs, ReportViolation], None],
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            check(args, report_violation)
        except UnknownValueError:
            raise
        except Exception as error:  # noqa: BLE001 a crash would fail the whole run without a message
            report_violation(f"could not check the stack ({type(error).__name__}: {error})")

    return validate


def all_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    iam_types = DOCUMENT_TYPES | {ROLE_TYPE}
    return [
        resource_policy(
            "iam-read-only-actions",
            "IAM documents grant only List/Read actions (sts:AssumeRole only on specific role ARNs)",
            iam_types,
            _documents_check(lambda found: found.problems),
        ),
        resource_policy(
            "iam-no-sensitive-reads",
            "IAM documents grant no reads that expose data or credentials",
            iam_types,
            _documents_check(lambda found: found.sensitive),
            level=EnforcementLevel.ADVISORY,
            config_schema=PolicyConfigSchema(
                properties={"allowedActions": {"type": "array", "items": {"type": "string"}, "default": []}}
            ),
        ),
        resource_policy(
            "iam-no-action-wildcards",
            "IAM documents list actions instead of wildcards",
            iam_types,
            _documents_check(lambda found: found.wildcards),
            level=EnforcementLevel.ADVISORY,
        ),
        resource_policy(
            "iam-role-trust",
            "Roles trust only specific IAM users or roles, for bounded sessions",
            {ROLE_TYPE},
            _trust_check,
            config_schema=PolicyConfigSchema(
                properties={
                    "maxSessionDuration": {
                        "type": "integer",
                        "minimum": 900,
                        "maximum": 43200,
                        "default": DEFAULT_MAX_SESSION_SECONDS,
                    }
                }
            ),
        ),
        resource_policy(
            "iam-managed-policy-attachments",
            "Attached AWS managed policies grant only List/Read",
            ATTACHMENT_TYPES | {ROLE_TYPE},
            _attachment_check,
        ),
        resource_policy(
            "kubernetes-rbac-read-only",
            "Kubernetes roles only get, list and watch, never secrets or subresources, and never aggregate",
            _is_kubernetes_type,
            _rbac_check,
        ),
        resource_policy(
            "kubernetes-bindings-not-admin",
            "Kubernetes bindings never grant built-in writing or system roles, nor bind system users or groups",
            _is_kubernetes_type,
            _binding_check,
        ),
        resource_policy(
            "eks-identity-mappings",
            "EKS access entries and aws-auth entries map no reserved (system:) names and no nodes; view policy only",
            _is_eks_identity_type,
            _eks_check,
        ),
        StackValidationPolicy(
            name="iam-customer-policy-attachments",
            description="Attached customer managed policies are declared in this stack and grant only List/Read",
            validate=_never_raise(_customer_attachments),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        StackValidationPolicy(
            name="kubernetes-bindings-allow-list",
            description="Every binding grants a read-only role declared in this stack or an allowed built-in one",
            validate=_never_raise(_bindings_allow_list),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(
                properties={
                    "allowedClusterRoles": {
                        "type": "array",
                        "items": {"type": "string"},
                        "default": list(DEFAULT_ALLOWED_CLUSTER_ROLES),
                    }
                }
            ),
        ),
    ]
