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

from .cloudformation import TemplateIam, template_iam
from .iam_actions import default_catalog
from .iam_documents import DocumentFindings, check_document
from .kubernetes_checks import (
    DEFAULT_ALLOWED_CLUSTER_ROLES,
    binding_check,
    bindings_allow_list,
    eks_check,
    is_eks_identity_type,
    is_kubernetes_type,
    rbac_check,
)
from .managed_policies import ATTACHMENT_TYPES, check_aws_managed_arn, is_customer_policy_arn
from .sensitive_actions import sensitive_actions
from .trust import DEFAULT_MAX_SESSION_SECONDS, check_session_duration, check_trust_policy

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
# CloudFormation templates are read for the IAM they would create (rules/cloudformation.py).
TEMPLATE_TYPES = frozenset({"aws:cloudformation/stackSet:StackSet", "aws:cloudformation/stack:Stack"})
STACK_SET_INSTANCE_TYPE = "aws:cloudformation/stackSetInstance:StackSetInstance"

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


def resource_template(props: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> TemplateIam:
    return template_iam(prop(props, "templateBody"), prop(props, "templateUrl"), prop(props, "parameters"), overrides)


def iam_documents(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    if resource_type in TEMPLATE_TYPES:
        return resource_template(props).documents
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
    bound = config.get("maxSessionDuration", DEFAULT_MAX_SESSION_SECONDS)
    if resource_type in TEMPLATE_TYPES:
        yield from template_trust_findings(resource_template(props), bound)
        return
    yield from check_trust_policy(prop(props, "assumeRolePolicy"))
    yield from check_session_duration(prop(props, "maxSessionDuration"), bound)


def template_trust_findings(template: TemplateIam, bound: int) -> Iterable[str]:
    for label, trust in template.trusts:
        yield from (f"{label}: {message}" for message in check_trust_policy(trust))
    for label, seconds in template.sessions:
        yield from (f"{label}: {message}" for message in check_session_duration(seconds, bound))


def _attachment_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if resource_type in TEMPLATE_TYPES:
        for label, arn in resource_template(props).attachments:
            yield from (f"{label}: {message}" for message in check_aws_managed_arn(arn))
        return
    arns = prop(props, "managedPolicyArns") or [] if resource_type == ROLE_TYPE else [prop(props, "policyArn")]
    for arn in arns:
        yield from check_aws_managed_arn(arn)


def _template_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    return resource_template(props).problems


def template_findings(template: TemplateIam, bound: int) -> list[str]:
    """Every mandatory finding about one template: what cannot be read, documents, trust, session, attachments."""
    findings = list(template.problems)
    for label, document in template.documents:
        findings.extend(f"{label}: {message}" for message in document_findings(document).problems)
    findings.extend(template_trust_findings(template, bound))
    for label, arn in template.attachments:
        findings.extend(f"{label}: {message}" for message in check_aws_managed_arn(arn))
    return findings


def _stack_set_overrides(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A StackSetInstance's parameter overrides change the template's values: check it again with them."""
    stack_sets = {
        prop(resource.props, "name"): resource
        for resource in args.resources
        if resource.resource_type == "aws:cloudformation/stackSet:StackSet"
    }
    for resource in args.resources:
        if resource.resource_type != STACK_SET_INSTANCE_TYPE:
            continue
        overrides = prop(resource.props, "parameterOverrides")
        if not overrides:
            continue
        name = prop(resource.props, "stackSetName")
        stack_set = stack_sets.get(name)
        if stack_set is None:
            report_violation(
                f"overrides parameters of StackSet {name!r}, which this stack does not declare, so its template "
                "cannot be checked with them; declare the StackSet in this stack",
                resource.urn,
            )
            continue
        template = resource_template(stack_set.props, overrides)
        bound = (args.get_config() or {}).get("maxSessionDuration", DEFAULT_MAX_SESSION_SECONDS)
        for message in template_findings(template, bound):
            report_violation(f"with its parameter overrides, {message}", resource.urn)


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
    iam_types = DOCUMENT_TYPES | {ROLE_TYPE} | TEMPLATE_TYPES
    session_schema = PolicyConfigSchema(
        properties={
            "maxSessionDuration": {
                "type": "integer",
                "minimum": 900,
                "maximum": 43200,
                "default": DEFAULT_MAX_SESSION_SECONDS,
            }
        }
    )
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
            {ROLE_TYPE} | TEMPLATE_TYPES,
            _trust_check,
            config_schema=session_schema,
        ),
        resource_policy(
            "iam-managed-policy-attachments",
            "Attached AWS managed policies grant only List/Read",
            ATTACHMENT_TYPES | {ROLE_TYPE} | TEMPLATE_TYPES,
            _attachment_check,
        ),
        resource_policy(
            "cloudformation-templates",
            "CloudFormation templates can be read, resolved and hold only IAM resources the pack checks",
            TEMPLATE_TYPES,
            _template_check,
        ),
        resource_policy(
            "kubernetes-rbac-read-only",
            "Kubernetes roles only get, list and watch, never secrets or subresources, and never aggregate",
            is_kubernetes_type,
            rbac_check,
        ),
        resource_policy(
            "kubernetes-bindings-not-admin",
            "Kubernetes bindings never grant built-in writing or system roles, nor bind system users or groups",
            is_kubernetes_type,
            binding_check,
        ),
        resource_policy(
            "eks-identity-mappings",
            "EKS access entries and aws-auth entries map no reserved (system:) names and no nodes; view policy only",
            is_eks_identity_type,
            eks_check,
        ),
        StackValidationPolicy(
            name="iam-customer-policy-attachments",
            description="Attached customer managed policies are declared in this stack and grant only List/Read",
            validate=_never_raise(_customer_attachments),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        StackValidationPolicy(
            name="cloudformation-stack-set-overrides",
            description="A StackSet's template passes again with each instance's parameter overrides",
            validate=_never_raise(_stack_set_overrides),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=session_schema,
        ),
        StackValidationPolicy(
            name="kubernetes-bindings-allow-list",
            description=(
                "Bindings grant only read-only roles declared here or allowed built-ins; mapped groups are bound here"
            ),
            validate=_never_raise(bindings_allow_list),
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
