"""The pack's policies: thin `pulumi_policy` wrappers around the pure checks in this package.

Every check decidable on one resource is a resource policy (the engine runs those before each resource is
created, in preview and in `up`); stack policies only resolve what needs another resource. A check yields
messages for what it finds and `Unknown` markers for what it cannot read yet; the wrapper reports the messages
and then names the unknown parts in the SDK's "can't run during preview" note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from . import resource_types as types
from . import type_table
from .adopted_identities import TARGET_TYPES, target_findings
from .cloudformation import TemplateIam, template_iam
from .declared import CHECKED_TYPES as DECLARED_TYPES
from .declared import declared_identities, hand_off_types, role_hand_offs
from .iam_actions import default_catalog
from .iam_documents import DEFAULT_ASSUMABLE_ROLE_NAMES, DocumentFindings, check_document, shown
from .kms_default import own_accounts, without_default_statement
from .kubernetes_checks import (
    DEFAULT_ALLOWED_CLUSTER_ROLES,
    binding_check,
    bindings_allow_list,
    eks_check,
    grants_check,
    is_eks_identity_type,
    is_kubernetes_type,
    rbac_check,
)
from .managed_policies import check_aws_managed_arn, is_customer_policy_arn, managed_sensitive_reads
from .resource_grants import check_acl, check_operations
from .sensitive_actions import sensitive_actions
from .shares import SHARE_CHECKS, check_share
from .trust import (
    DEFAULT_MAX_SESSION_SECONDS,
    DEFAULT_TRUSTED_PRINCIPALS,
    check_session_duration,
    check_trust_policy,
)
from .type_policies import known_types_policies
from .unknowns import Unknown, not_yet_known, resolve, unknown_paths
from .unverifiable import UNVERIFIABLE

Finding = str | Unknown
Check = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Iterable[Finding]]
ProviderCheck = Callable[[str, Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], Iterable[Finding]]


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


def props_of(props: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """Only the properties a check reads, so an unknown value elsewhere does not stop it during preview."""
    return {key: prop(props, key) for key in keys if key in props}


def names(config: Mapping[str, Any], key: str, default: frozenset[str]) -> frozenset[str]:
    value = config.get(key)
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, (list, tuple)) else default


# --- IAM documents: identity policies (with the AssumeRole exception) and resource-based policies ---------------


def identity_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any] | Unknown]:
    """(field, document) of every identity policy a resource declares; `props` resolved."""
    if resource_type == types.IAM_POLICY or resource_type in types.INLINE_POLICY_TYPES:
        yield "policy", props.get("policy")
    elif resource_type == types.SSO_INLINE_POLICY:
        yield "inlinePolicy", props.get("inlinePolicy")
    elif resource_type in types.NATIVE_POLICY_DOCUMENT_TYPES:
        yield "policyDocument", props.get("policyDocument")
    elif resource_type == types.NATIVE_PERMISSION_SET and props.get("inlinePolicy") is not None:
        yield "inlinePolicy", props.get("inlinePolicy")
    elif resource_type == types.IAM_ROLE:
        yield from _listed_documents(props, "inlinePolicies", "name", "policy")
    elif resource_type in types.NATIVE_IDENTITY_TYPES:
        yield from _listed_documents(props, "policies", "policyName", "policyDocument")
    elif resource_type in types.CLOUDFORMATION_TEMPLATE_TYPES:
        yield from _template_part(props, lambda template: template.documents)


def _listed_documents(props: Mapping[str, Any], field: str, name_key: str, doc_key: str) -> Iterator[tuple[str, Any]]:
    listed = props.get(field)
    if isinstance(listed, Unknown):
        yield field, listed
        return
    for index, entry in enumerate(listed if isinstance(listed, list) else []):
        label = f"{field}[{index}]"
        if isinstance(entry, dict) and entry.get(doc_key) in (None, "") and entry.get(name_key) in (None, ""):
            # `inlinePolicies=[{}]`, the provider's documented way to remove out-of-band inline policies, which its
            # state also shows as `[{name: '', policy: ''}]`: no policy at all
            continue
        if not isinstance(entry, dict):
            yield label, entry
        else:
            name = entry.get(name_key)
            yield (f"{label} ({name!r})" if isinstance(name, str) else label), entry.get(doc_key)


def resource_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    field = types.RESOURCE_POLICY_FIELDS.get(resource_type)
    if field is not None and props.get(field) is not None:
        yield field, props.get(field)


@lru_cache(maxsize=4096)
def _findings(document: str, sensitive: frozenset[str], role_names: frozenset[str]) -> DocumentFindings:
    return check_document(document, default_catalog(), sensitive, role_names)


def document_findings(
    document: Any, allowed_sensitive: Iterable[str] = (), role_names: frozenset[str] = DEFAULT_ASSUMABLE_ROLE_NAMES
) -> DocumentFindings:
    catalog = default_catalog()
    allowed = {action.lower() for action in allowed_sensitive}
    sensitive = frozenset(a for a in sensitive_actions(catalog) if a.lower() not in allowed)
    if isinstance(document, str):
        return _findings(document, sensitive, role_names)
    return check_document(document, catalog, sensitive, role_names)


Pick = Callable[[DocumentFindings], Sequence[str]]
# (field, document) pairs, or the unknown fields that keep a template from being read yet.
Documents = Callable[[str, Mapping[str, Any]], Iterable[tuple[str, Any] | Unknown]]


def _documents_check(documents: Documents, pick: Pick, *, assume_role: bool = True) -> Check:
    def check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
        role_names = names(config, "assumableRoleNames", DEFAULT_ASSUMABLE_ROLE_NAMES) if assume_role else frozenset()
        for item in documents(resource_type, resolve(props)):
            if isinstance(item, Unknown):
                yield item
                continue
            label, document = item
            found = document_findings(document, config.get("allowedActions") or (), role_names)
            yield from (f"{label}: {message}" for message in pick(found))
            yield from (Unknown(path) for path in found.unknown)

    return check


# --- CloudFormation templates (cloudformation.py): the IAM they would create gets the rules of its counterpart ---

TEMPLATE_FIELDS = ("templateBody", "templateUrl", "parameters")
T = TypeVar("T")


def resource_template(props: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> TemplateIam:
    """The template's IAM; `props` resolved and free of unknowns in the template's fields."""
    return template_iam(props.get("templateBody"), props.get("templateUrl"), props.get("parameters"), overrides)


def _template_part(props: Mapping[str, Any], part: Callable[[TemplateIam], Iterable[T]]) -> Iterator[T | Unknown]:
    """One part of a template's IAM, or the unknown fields that keep it from being read yet (preview)."""
    pending = unknown_paths({field: props.get(field) for field in TEMPLATE_FIELDS})
    if pending:
        yield from (Unknown(path) for path in pending)
    else:
        yield from part(resource_template(props))


def template_trust_findings(template: TemplateIam, trusted: frozenset[str], bound: int) -> Iterator[Finding]:
    for label, trust in template.trusts:
        problems, unknown = check_trust_policy(trust, trusted)
        yield from (f"{label}: {message}" for message in problems)
        yield from (Unknown(path) for path in unknown)
    for label, seconds in template.sessions:
        yield from (f"{label}: {message}" for message in check_session_duration(seconds, bound))


def template_findings(
    template: TemplateIam, trusted: frozenset[str], role_names: frozenset[str], bound: int
) -> list[str]:
    """Every mandatory finding about one template: what cannot be read, documents, trust, session, attachments."""
    findings = list(template.problems)
    for label, document in template.documents:
        findings.extend(
            f"{label}: {message}" for message in document_findings(document, role_names=role_names).problems
        )
    findings.extend(f for f in template_trust_findings(template, trusted, bound) if isinstance(f, str))
    for label, arn in template.attachments:
        findings.extend(check_aws_managed_arn(arn, label))
    return findings


def _template_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    yield from _template_part(resolve(props), lambda template: template.problems)


def _place(resource: PolicyResource) -> tuple[str | None, Any]:
    """Where a resource is created: its provider (account and default region) and its own `region` input."""
    return (resource.provider.urn if resource.provider is not None else None, resolve(resource.props).get("region"))


def _instance_stack_set(resource: PolicyResource, stack_sets: Sequence[PolicyResource]) -> PolicyResource | None:
    """The declared StackSet an instance deploys: the one its name comes from, or the same name in the same place."""
    sources = (resource.property_dependencies or {}).get("stackSetName") or []
    followed = [source for source in sources if source.resource_type == types.CLOUDFORMATION_STACK_SET]
    if followed:
        return followed[0]
    name = resolve(resource.props).get("stackSetName")
    matches = [
        stack_set
        for stack_set in stack_sets
        if isinstance(name, str)
        and resolve(stack_set.props).get("name") == name
        and _place(stack_set) == _place(resource)
    ]
    return matches[0] if matches else None


def _stack_set_overrides(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Instances deploy only StackSets declared here, in their place; with overrides, the template passes again."""
    config = args.get_config() or {}
    trusted = names(config, "trustedPrincipals", DEFAULT_TRUSTED_PRINCIPALS)
    role_names = names(config, "assumableRoleNames", DEFAULT_ASSUMABLE_ROLE_NAMES)
    bound = config.get("maxSessionDuration") or DEFAULT_MAX_SESSION_SECONDS
    stack_sets = [r for r in args.resources if r.resource_type == types.CLOUDFORMATION_STACK_SET]
    pending: list[str] = []
    for resource in args.resources:
        if resource.resource_type not in types.STACK_INSTANCE_TYPES:
            continue
        props = resolve(resource.props)
        overrides = props.get("parameterOverrides")
        stack_set = _instance_stack_set(resource, stack_sets)
        if stack_set is None:
            report_violation(
                f"deploys StackSet {shown(props.get('stackSetName'))}, which this stack does not declare through the "
                "same provider and region, so its template cannot be checked (the same name elsewhere is another "
                "StackSet); declare the StackSet here, or take stackSetName from it",
                resource.urn,
            )
            continue
        if not overrides:
            continue
        template_props = resolve(stack_set.props)
        unknown = unknown_paths({"parameterOverrides": overrides}) + unknown_paths(
            {field: template_props.get(field) for field in TEMPLATE_FIELDS}
        )
        if unknown:
            pending.extend(unknown)
            continue
        template = resource_template(template_props, overrides)
        for message in template_findings(template, trusted, role_names, bound):
            report_violation(f"with its parameter overrides, {message}", resource.urn)
    if pending:
        raise not_yet_known(pending)


# --- Trust and session --------------------------------------------------------------------------------------------

TRUST_FIELDS = {types.IAM_ROLE: "assumeRolePolicy", types.NATIVE_ROLE: "assumeRolePolicyDocument"}


def _trust_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    resolved = resolve(props)
    bound = config.get("maxSessionDuration") or DEFAULT_MAX_SESSION_SECONDS
    if resource_type in types.CLOUDFORMATION_TEMPLATE_TYPES:
        trusted = names(config, "trustedPrincipals", DEFAULT_TRUSTED_PRINCIPALS)
        yield from _template_part(resolved, lambda template: template_trust_findings(template, trusted, bound))
        return
    field = TRUST_FIELDS[resource_type]
    problems, unknown = check_trust_policy(
        resolved.get(field), names(config, "trustedPrincipals", DEFAULT_TRUSTED_PRINCIPALS)
    )
    yield from (f"{field}: {message}" for message in problems)
    yield from (Unknown(path) for path in unknown)
    duration = resolved.get("maxSessionDuration")
    if isinstance(duration, Unknown):
        yield duration
    yield from check_session_duration(duration, bound)


# --- Managed policy attachments -------------------------------------------------------------------------------------

# Where each type names the managed policies it attaches: one ARN or a list of them.
ATTACHED_ARN_FIELDS: dict[str, str] = {
    **dict.fromkeys(types.ATTACHMENT_TYPES, "policyArn"),
    **dict.fromkeys(types.EXCLUSIVE_ATTACHMENT_TYPES, "policyArns"),
    types.IAM_ROLE: "managedPolicyArns",
    **dict.fromkeys(types.NATIVE_IDENTITY_TYPES, "managedPolicyArns"),
    types.SSO_MANAGED_ATTACHMENT: "managedPolicyArn",
    types.SSO_MANAGED_ATTACHMENTS_EXCLUSIVE: "managedPolicyArns",
    types.NATIVE_PERMISSION_SET: "managedPolicies",
}
# Fields that must be present: an attachment with no ARN attaches nothing anyone can check.
REQUIRED_ARN_FIELDS = frozenset({"policyArn", "managedPolicyArn"})


def attached_arns(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(field label, ARN or Unknown) for each managed policy a resource attaches; `props` resolved."""
    field = ATTACHED_ARN_FIELDS.get(resource_type)
    if field is None or (field not in props and field not in REQUIRED_ARN_FIELDS):
        return []
    value = props.get(field)
    if isinstance(value, list):
        return [(f"{field}[{index}]", arn) for index, arn in enumerate(value)]
    if value is None and field not in REQUIRED_ARN_FIELDS:
        return []
    return [(field, value)]


def _attachment_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    if resource_type in types.CLOUDFORMATION_TEMPLATE_TYPES:
        for found in _template_part(resolve(props), lambda template: template.attachments):
            if isinstance(found, Unknown):
                yield found
            else:
                yield from check_aws_managed_arn(found[1], found[0])
        return
    for label, arn in attached_arns(resource_type, resolve(props)):
        if isinstance(arn, Unknown):
            yield arn  # a customer policy of this stack: the stack policy follows it to its document
        else:
            yield from check_aws_managed_arn(arn, label)


def _managed_sensitive_check(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[Finding]:
    for label, arn in attached_arns(resource_type, resolve(props)):
        reads = managed_sensitive_reads(arn, config.get("allowedActions") or ())
        if reads:
            yield (
                f"{label} attaches the AWS managed policy {arn!r}, which grants {len(reads)} read(s) that expose data "
                f"or credentials: {', '.join(reads[:5])}{' and more' if len(reads) > 5 else ''}; attach a policy "
                "without them, or allow them by name in this policy's config (allowedActions)"
            )


# --- The wrappers ------------------------------------------------------------------------------------------------


def resource_policy(
    name: str,
    description: str,
    applies_to: Iterable[str] | Callable[[str], bool],
    check: Check | None,
    *,
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
    provider_check: ProviderCheck | None = None,
) -> ResourceValidationPolicy:
    """`check` reads the resource; a `provider_check` also reads its provider's inputs (the account it lands in)."""
    # Kubernetes types are open-ended (CustomResource tokens), so they come as a predicate.
    applies = applies_to if callable(applies_to) else frozenset(applies_to).__contains__

    def findings_of(args: ResourceValidationArgs) -> Iterable[Finding]:
        config = args.get_config() or {}
        if provider_check is not None:
            return provider_check(args.resource_type, args.props, config, provider_inputs(args.provider))
        return check(args.resource_type, args.props, config) if check is not None else ()

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not applies(args.resource_type):
            return
        unknown: list[str] = []
        try:
            for finding in findings_of(args):
                if isinstance(finding, Unknown):
                    unknown.append(finding.path)
                else:
                    report_violation(finding, None)
        except UnknownValueError:
            raise
        except Exception as error:  # noqa: BLE001 a crash would fail the whole run without a message
            report_violation(
                f"could not check {args.resource_type} ({type(error).__name__}: {error}); fix its inputs", None
            )
        if unknown:
            raise not_yet_known(unknown)

    return ReadingResourcePolicy(
        reads=frozenset() if callable(applies_to) else frozenset(applies_to),
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        config_schema=config_schema,
    )


class ReadingResourcePolicy(ResourceValidationPolicy):
    """A resource policy and the types it reads: the type table places those as checked (type_table.py)."""

    def __init__(self, *, reads: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reads = reads


class ReadingStackPolicy(StackValidationPolicy):
    """A stack policy and the types it reads beyond those resource policies read."""

    def __init__(self, *, reads: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reads = reads


def read_types(policies: Iterable[Policy]) -> Iterator[frozenset[str]]:
    for policy in policies:
        if isinstance(policy, (ReadingResourcePolicy, ReadingStackPolicy)):
            yield policy.reads


def _adopted_identities_check(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> Iterator[Finding]:
    trusted = names(config, "trustedPrincipals", DEFAULT_TRUSTED_PRINCIPALS)
    role_names = names(config, "assumableRoleNames", DEFAULT_ASSUMABLE_ROLE_NAMES)
    yield from target_findings(resource_type, resolve(props), trusted, role_names)


POLICY_TYPES = frozenset({types.IAM_POLICY, types.NATIVE_MANAGED_POLICY})


def _policy_verdict(policy: PolicyResource, role_names: frozenset[str]) -> bool | None:
    """Whether a declared policy passes; None while its document is not known (preview)."""
    props = resolve(policy.props)
    field = "policy" if policy.resource_type == types.IAM_POLICY else "policyDocument"
    found = document_findings(props.get(field), role_names=role_names)
    if found.problems:
        return False
    return None if found.unknown else True


def _declared_policy_verdicts(
    resources: Sequence[PolicyResource], role_names: frozenset[str]
) -> dict[str, bool | None]:
    verdicts = {}
    for resource in resources:
        if resource.resource_type in POLICY_TYPES:
            props = resolve(resource.props)
            arn = props.get("arn", props.get("policyArn"))
            if isinstance(arn, str):
                verdicts[arn] = _policy_verdict(resource, role_names)
    return verdicts


def _sources(resource: PolicyResource, field: str, target_types: frozenset[str]) -> list[PolicyResource] | None:
    """The declared resources of `target_types` a property's value comes from, or None if any source is another."""
    sources = (resource.property_dependencies or {}).get(field) or []
    if not sources or any(source.resource_type not in target_types for source in sources):
        return None
    return sources


def _customer_attachments(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    role_names = names(args.get_config() or {}, "assumableRoleNames", DEFAULT_ASSUMABLE_ROLE_NAMES)
    declared = _declared_policy_verdicts(args.resources, role_names)
    pending: list[str] = []  # policies whose documents are not known yet (preview): checked in `up`
    for resource in args.resources:
        followed: set[str] = set()
        for label, arn in attached_arns(resource.resource_type, resolve(resource.props)):
            field = label.split("[")[0]
            if isinstance(arn, Unknown) and field not in followed:  # a list's dependencies are the field's: once
                followed.add(field)
                sources = _sources(resource, field, POLICY_TYPES)
                verdicts = {f"policy {s.name} of this stack": _policy_verdict(s, role_names) for s in sources or []}
                if sources is None:
                    report_violation(
                        f"{label} is not known yet and does not come from a policy declared in this stack, so the "
                        "policy it attaches cannot be verified; attach a policy declared here",
                        resource.urn,
                    )
            elif isinstance(arn, str) and is_customer_policy_arn(arn):
                verdicts = {arn: declared[arn]} if arn in declared else {}
                if arn not in declared:
                    report_violation(
                        f"{label} attaches {arn}, which this stack does not declare, so it cannot be checked; "
                        "declare the policy here or attach a read-only AWS managed policy",
                        resource.urn,
                    )
            else:
                continue
            for policy, passes in verdicts.items():
                if passes is None:
                    pending.append(f"the document of {policy}")
                elif not passes:
                    report_violation(f"{label} attaches {policy}, which grants more than List/Read", resource.urn)
    if pending:
        raise not_yet_known(pending)


def _never_raise(
    check: Callable[[StackValidationArgs, ReportViolation], None],
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        try:
            check(args, report_violation)
        except UnknownValueError:
            raise
        except Exception as error:  # noqa: BLE001 a crash would fail the whole run without a message
            report_violation(f"could not check the stack ({type(error).__name__}: {error})", None)

    return validate


# --- The pack -----------------------------------------------------------------------------------------------------

IDENTITY_DOCUMENT_TYPES = (
    {types.IAM_POLICY, types.IAM_ROLE, types.SSO_INLINE_POLICY, types.NATIVE_PERMISSION_SET}
    | types.INLINE_POLICY_TYPES
    | types.CLOUDFORMATION_TEMPLATE_TYPES
    | types.NATIVE_POLICY_DOCUMENT_TYPES
    | types.NATIVE_IDENTITY_TYPES
)
RESOURCE_DOCUMENT_TYPES = frozenset(types.RESOURCE_POLICY_FIELDS)


def _all_documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any] | Unknown]:
    yield from identity_documents(resource_type, props)
    yield from resource_documents(resource_type, props)


def _sensitive_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Finding]:
    if resource_type in IDENTITY_DOCUMENT_TYPES or resource_type in RESOURCE_DOCUMENT_TYPES:
        yield from _documents_check(_all_documents, lambda found: found.sensitive)(resource_type, props, config)
    yield from _managed_sensitive_check(resource_type, props, config)


_resource_documents_check = _documents_check(resource_documents, lambda found: found.problems, assume_role=False)


def _unverifiable_check(resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    return UNVERIFIABLE[resource_type](resource_type, resolve(props))


def provider_inputs(provider: PolicyProviderResource | None) -> Mapping[str, Any]:
    return resolve(provider.props) if provider is not None else {}


def _key_documents(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any], provider: Mapping[str, Any]
) -> Iterator[Finding]:
    """A KMS key policy, less KMS's default statement for the key's own account (kms_default.py)."""
    field = types.RESOURCE_POLICY_FIELDS[resource_type]
    document = props.get(field)
    if document is None or isinstance(document, Unknown):
        yield from _resource_documents_check(resource_type, props, config)
        return
    trusted = names(config, "trustedPrincipals", frozenset())
    remaining, problems = without_default_statement(document, own_accounts(props, provider, trusted))
    yield from (f"{field}: {problem}" for problem in problems)
    yield from _resource_documents_check(resource_type, {**props, field: remaining}, config)


def _resource_policy_check(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any], provider: Mapping[str, Any]
) -> Iterator[Finding]:
    resolved = resolve(props)
    if resource_type == types.KMS_GRANT or resource_type in types.LAMBDA_PERMISSION_TYPES:
        yield from check_operations(resource_type, resolved)
    if resource_type in types.S3_ACL_TYPES:
        yield from check_acl(resolved)
    if resource_type in SHARE_CHECKS:
        yield from check_share(resource_type, resolved)
    if resource_type in types.KMS_KEY_TYPES:
        yield from _key_documents(resource_type, resolved, config, provider)
    else:
        yield from _resource_documents_check(resource_type, props, config)


SESSION_SCHEMA = {
    "type": "integer",
    "minimum": 900,
    "maximum": 43200,
    "default": DEFAULT_MAX_SESSION_SECONDS,
}
TRUSTED_PRINCIPALS_SCHEMA = {
    "type": "array",
    "items": {"type": "string"},
    "default": sorted(DEFAULT_TRUSTED_PRINCIPALS),
    "description": "exact user or role ARNs, or user names accepted in any account",
}
ROLE_NAMES_SCHEMA = {
    "type": "array",
    "items": {"type": "string"},
    "default": sorted(DEFAULT_ASSUMABLE_ROLE_NAMES),
    "description": "role names sts:AssumeRole may target, in exact role ARNs of any account",
}


def all_policies() -> list[Policy]:
    rules = _rule_policies()
    return [*rules, *known_types_policies(type_table.checked_types(read_types(rules)))]


def _rule_policies() -> list[Policy]:
    attachment_types = frozenset(ATTACHED_ARN_FIELDS)
    return [
        resource_policy(
            "iam-read-only-actions",
            "IAM documents grant only List/Read actions (sts:AssumeRole only on exact ARNs of accepted role names)",
            IDENTITY_DOCUMENT_TYPES,
            _documents_check(identity_documents, lambda found: found.problems),
            config_schema=PolicyConfigSchema(properties={"assumableRoleNames": ROLE_NAMES_SCHEMA}),
        ),
        resource_policy(
            "iam-resource-policies-read-only",
            "Resource-based policies, S3 ACLs, KMS grants and Lambda permissions give no one more than List/Read; "
            "nothing is shared, delegated or handed to identities outside IAM",
            RESOURCE_DOCUMENT_TYPES
            | {types.KMS_GRANT}
            | types.LAMBDA_PERMISSION_TYPES
            | types.S3_ACL_TYPES
            | frozenset(SHARE_CHECKS),
            None,
            provider_check=_resource_policy_check,
        ),
        resource_policy(
            "iam-no-sensitive-reads",
            "IAM documents and attached AWS managed policies grant no reads that expose data or credentials",
            IDENTITY_DOCUMENT_TYPES | RESOURCE_DOCUMENT_TYPES | attachment_types,
            _sensitive_check,
            level=EnforcementLevel.ADVISORY,
            config_schema=PolicyConfigSchema(
                properties={"allowedActions": {"type": "array", "items": {"type": "string"}, "default": []}}
            ),
        ),
        resource_policy(
            "iam-no-action-wildcards",
            "IAM documents list actions instead of wildcards",
            IDENTITY_DOCUMENT_TYPES | RESOURCE_DOCUMENT_TYPES,
            _documents_check(_all_documents, lambda found: found.wildcards),
            level=EnforcementLevel.ADVISORY,
        ),
        resource_policy(
            "iam-role-trust",
            "Roles trust only the principals the pack is configured to trust, for bounded sessions",
            set(TRUST_FIELDS) | types.CLOUDFORMATION_TEMPLATE_TYPES,
            _trust_check,
            config_schema=PolicyConfigSchema(
                properties={"maxSessionDuration": SESSION_SCHEMA, "trustedPrincipals": TRUSTED_PRINCIPALS_SCHEMA}
            ),
        ),
        resource_policy(
            "iam-managed-policy-attachments",
            "Attached AWS managed policies grant only List/Read",
            attachment_types | types.CLOUDFORMATION_TEMPLATE_TYPES,
            _attachment_check,
        ),
        resource_policy(
            "cloudformation-templates",
            "CloudFormation templates can be read, resolved and hold only IAM resources the pack checks",
            types.CLOUDFORMATION_TEMPLATE_TYPES,
            _template_check,
        ),
        resource_policy(
            "iam-unverifiable-resources",
            "Resources that grant access the pack cannot see into are rejected (templates, charts, pod "
            "identities, policies referenced by name, sharing with other accounts)",
            frozenset(UNVERIFIABLE),
            _unverifiable_check,
        ),
        resource_policy(
            "iam-adopted-identities",
            "Credentials and cluster mappings go only to the adapter's configured user and roles (an identity "
            "adopted with import may hold permissions this stack does not show)",
            TARGET_TYPES,
            _adopted_identities_check,
            config_schema=PolicyConfigSchema(
                properties={"trustedPrincipals": TRUSTED_PRINCIPALS_SCHEMA, "assumableRoleNames": ROLE_NAMES_SCHEMA}
            ),
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
            "kubernetes-no-grants-outside-rbac",
            "No service-account token Secrets, admission webhooks or policies, GitOps objects, workloads, certificate "
            "requests, APIServices or conversion webhooks; no manifests from files the pack cannot read",
            is_kubernetes_type,
            grants_check,
        ),
        resource_policy(
            "eks-identity-mappings",
            "EKS access entries and aws-auth entries map no reserved (system:) names and no nodes; view policy only; "
            "no IRSA role annotations or add-on pod identities",
            is_eks_identity_type,
            eks_check,
        ),
        StackValidationPolicy(
            name="iam-customer-policy-attachments",
            description="Attached customer managed policies are declared in this stack and grant only List/Read",
            validate=_never_raise(_customer_attachments),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(properties={"assumableRoleNames": ROLE_NAMES_SCHEMA}),
        ),
        ReadingStackPolicy(
            reads=DECLARED_TYPES,
            name="iam-declared-identities",
            description=(
                "Credentials, permission-set assignments and group memberships name identities declared here, "
                "through the same provider"
            ),
            validate=_never_raise(declared_identities),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ReadingStackPolicy(
            reads=hand_off_types(),
            name="iam-role-hand-offs",
            description="Compute and services run only as roles declared here, through the same provider",
            validate=_never_raise(role_hand_offs),
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ReadingStackPolicy(
            reads=types.STACK_INSTANCE_TYPES,
            name="cloudformation-stack-set-overrides",
            description="A StackSet's template passes again with each instance's parameter overrides",
            validate=_never_raise(_stack_set_overrides),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(
                properties={
                    "maxSessionDuration": SESSION_SCHEMA,
                    "trustedPrincipals": TRUSTED_PRINCIPALS_SCHEMA,
                    "assumableRoleNames": ROLE_NAMES_SCHEMA,
                }
            ),
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
