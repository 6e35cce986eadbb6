"""What a resource hands out must be declared in this stack, in the same place: identities, groups and roles.

An access key for a user, a membership of a group, a Lambda function running as a role: each gives its holder
what the named identity can do. The pack checks every identity this stack declares, so naming a declared one
is safe; naming any other (an admin user, a group with policies attached elsewhere, an existing role) is not.
"Declared" is decided by place, never by name alone: the value comes from the target's output (property
dependencies, during preview), or equals the target's name or ARN with both created through the same provider
(one account and region), since the same name in another account is another identity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from . import resource_types as types
from .iam_documents import as_list, shown
from .role_hand_offs import role_hand_off_fields
from .unknowns import Unknown, resolve


@dataclass(frozen=True)
class Target:
    """Which declared resources a field may name, and the outputs (name, ARN) it may equal."""

    types: frozenset[str]
    keys: tuple[str, ...]
    what: str


USER = Target(frozenset({types.IAM_USER, types.NATIVE_USER}), ("name", "userName", "arn"), "user")
GROUP = Target(frozenset({types.IAM_GROUP, types.NATIVE_GROUP}), ("name", "groupName", "arn"), "group")
ROLE = Target(
    frozenset({types.IAM_ROLE, types.NATIVE_ROLE, types.INSTANCE_PROFILE}), ("name", "roleName", "arn"), "role"
)
PERMISSION_SET = Target(frozenset({types.SSO_PERMISSION_SET, types.NATIVE_PERMISSION_SET}), ("arn",), "permission set")
PERMISSION_SET_NATIVE = Target(PERMISSION_SET.types, ("arn", "permissionSetArn"), "permission set")

# Credentials and assignments, by the SDK's own field names (pulumi-aws spells the user field three ways).
CREDENTIAL_FIELDS: dict[str, tuple[str, Target]] = {
    types.IAM_ACCESS_KEY: ("user", USER),
    "aws:iam/userLoginProfile:UserLoginProfile": ("user", USER),
    "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": ("userName", USER),
    "aws:iam/signingCertificate:SigningCertificate": ("userName", USER),
    "aws:iam/sshKey:SshKey": ("username", USER),
    types.NATIVE_ACCESS_KEY: ("userName", USER),
    types.SSO_ACCOUNT_ASSIGNMENT: ("permissionSetArn", PERMISSION_SET),
    types.NATIVE_SSO_ASSIGNMENT: ("permissionSetArn", PERMISSION_SET_NATIVE),
}
# Memberships: the member gets what the group's policies grant; a declared group's policies are all checked here.
MEMBERSHIP_FIELDS: dict[str, str] = {
    "aws:iam/groupMembership:GroupMembership": "group",
    "aws:iam/userGroupMembership:UserGroupMembership": "groups",
    types.NATIVE_GROUP_MEMBERSHIP: "groupName",
    types.NATIVE_USER: "groups",
}
# Roles nested in objects or JSON text, which the generated table (top-level inputs) cannot see: keys ending in
# RoleArn (any case) or naming an instance profile.
NESTED_ROLE_FIELDS: dict[str, tuple[str, ...]] = {
    "aws:batch/jobDefinition:JobDefinition": (
        "containerProperties",
        "ecsProperties",
        "eksProperties",
        "nodeProperties",
    ),
    "aws:eks/addon:Addon": ("podIdentityAssociations",),
    "aws:ec2/spotFleetRequest:SpotFleetRequest": ("launchSpecifications",),
}
NESTED_PROFILE_KEYS = frozenset({"iaminstanceprofile", "iaminstanceprofilearn"})


def _provider(resource: PolicyResource) -> str | None:
    return resource.provider.urn if resource.provider is not None else None


def _declared_values(resources: Sequence[PolicyResource], target: Target, place: str | None) -> set[str]:
    values: set[str] = set()
    for resource in resources:
        if resource.resource_type in target.types and _provider(resource) == place:
            props = resolve(resource.props)
            values.update(props[key] for key in target.keys if isinstance(props.get(key), str))
    return values


def _from_declared(resource: PolicyResource, field: str, target: Target) -> bool:
    """During preview: the field's value comes only from declared targets' outputs."""
    sources = (resource.property_dependencies or {}).get(field) or []
    return bool(sources) and all(source.resource_type in target.types for source in sources)


def _undeclared(
    resources: Sequence[PolicyResource], resource: PolicyResource, field: str, names: Sequence[Any], target: Target
) -> list[str]:
    """The names in `names` that are not declared targets in the resource's place (`[]` when all are)."""
    if any(isinstance(name, Unknown) for name in names):
        return (
            []
            if _from_declared(resource, field, target)
            else [f"(not known yet, and not from a declared {target.what})"]
        )
    declared = _declared_values(resources, target, _provider(resource))
    return [shown(name) for name in names if not (isinstance(name, str) and name in declared)]


def _credential_findings(resources: Sequence[PolicyResource], resource: PolicyResource) -> Iterator[str]:
    field, target = CREDENTIAL_FIELDS[resource.resource_type]
    for name in _undeclared(resources, resource, field, [resolve(resource.props).get(field)], target):
        yield (
            f"{field} {name} is not declared in this stack through the same provider (a {target.what} there), so "
            "what its holder can do cannot be verified (an access key for an admin user is admin); declare that "
            "identity here, with read-only policies"
        )


def _membership_findings(resources: Sequence[PolicyResource], resource: PolicyResource) -> Iterator[str]:
    field = MEMBERSHIP_FIELDS[resource.resource_type]
    groups = as_list(resolve(resource.props).get(field) or [])
    for name in _undeclared(resources, resource, field, groups, GROUP):
        yield (
            f"{field} puts a user in group {name}, which this stack does not declare through the same provider: a "
            "member gets whatever the group's policies grant, including policies attached outside this stack; "
            "declare the group here with read-only policies, or attach read-only policies to the user itself"
        )


def _role_values(field: str, value: Any, nested: bool) -> list[Any]:
    """The role names or ARNs a field holds: itself, a list, an object's strings, or nested role keys (JSON too)."""
    if isinstance(value, Unknown) or (not nested and isinstance(value, str)):
        return [value]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, list):
        return [found for item in value for found in _role_values(field, item, nested)]
    if isinstance(value, dict):
        found: list[Any] = []
        for key, item in value.items():
            named = str(key).lower()
            if (
                nested
                and (named.endswith("rolearn") or named in NESTED_PROFILE_KEYS)
                and isinstance(item, (str, Unknown))
            ):
                found.append(item)
            elif isinstance(item, (dict, list)) or (not nested and isinstance(item, (str, Unknown))):
                found.extend(_role_values(field, item, nested))
        return found
    return []


def _hand_off_findings(resources: Sequence[PolicyResource], resource: PolicyResource) -> Iterator[str]:
    props = resolve(resource.props)
    fields = [(f, False) for f in role_hand_off_fields().get(resource.resource_type, ())]
    fields += [(f, True) for f in NESTED_ROLE_FIELDS.get(resource.resource_type, ())]
    for field, nested in fields:
        value = props.get(field)
        if value in (None, "", [], {}):
            continue
        roles = [role for role in _role_values(field, value, nested) if role != ""]
        for name in _undeclared(resources, resource, field, roles, ROLE):
            yield (
                f"{field} {name}: this {resource.resource_type.rsplit(':', 1)[-1]} runs as that role (or instance "
                "profile), so whoever controls what runs there gets what it grants, and it is not declared in this "
                "stack through the same provider, so it cannot be verified; declare the role here (read-only "
                "policies, trusted principals only) and take it from there, or remove it"
            )


CHECKED_TYPES = (
    frozenset(CREDENTIAL_FIELDS)
    | frozenset(MEMBERSHIP_FIELDS)
    | USER.types
    | GROUP.types
    | ROLE.types
    | PERMISSION_SET.types
)


def hand_off_types() -> frozenset[str]:
    """Every type the hand-off policy reads: the generated table's and the nested JSON ones."""
    return frozenset(role_hand_off_fields()) | frozenset(NESTED_ROLE_FIELDS)


def declared_identities(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Credentials, assignments and memberships name identities declared here, in the same place."""
    for resource in args.resources:
        if resource.resource_type in CREDENTIAL_FIELDS:
            for message in _credential_findings(args.resources, resource):
                report_violation(message, resource.urn)
        if resource.resource_type in MEMBERSHIP_FIELDS:
            for message in _membership_findings(args.resources, resource):
                report_violation(message, resource.urn)


def role_hand_offs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Compute and services run only as roles declared here, in the same place."""
    for resource in args.resources:
        if resource.resource_type in hand_off_types():
            for message in _hand_off_findings(args.resources, resource):
                report_violation(message, resource.urn)
