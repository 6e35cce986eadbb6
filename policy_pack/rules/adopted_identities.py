"""Credentials and cluster mappings go only to the identities the pack is configured to know as the adapter's.

A resource adopted with `import` may already hold permissions the stack does not show (an admin user imported,
then given an access key). The analyzer protocol does not say a resource was imported: `AnalyzeRequest` and
`AnalyzerResource` carry type, URN, name, properties, options (protect, ignoreChanges, deleteBeforeReplace,
aliases, customTimeouts, additionalSecretOutputs, parent) and the provider, but no import ID and no resource ID;
the engine analyzes an imported resource after its import step, on the program's inputs, like any other. So
"declared in this stack" cannot mean "created by this stack", and an access key, login or other credential, an
EKS access entry or an aws-auth mapping is accepted only for the user in `trustedPrincipals` or a role named in
`assumableRoleNames`: the identities whose permissions this stack declares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import resource_types as types
from .declared import CREDENTIAL_FIELDS, USER
from .iam_documents import shown
from .unknowns import Unknown

# Where each type names the identity it hands credentials to (a user name) or maps into a cluster (an ARN).
USER_NAME_FIELDS = {
    resource_type: field for resource_type, (field, target) in CREDENTIAL_FIELDS.items() if target is USER
}
PRINCIPAL_ARN_FIELDS = {**dict.fromkeys(types.ACCESS_ENTRY_TYPES, "principalArn"), types.AWS_AUTH_MAPPING: "arn"}
TARGET_TYPES = frozenset(USER_NAME_FIELDS) | frozenset(PRINCIPAL_ARN_FIELDS)


def _user_names(trusted: frozenset[str]) -> frozenset[str]:
    """User names the trusted principals give: a plain name, or the name in a user ARN."""
    return frozenset(p.rsplit("/", 1)[-1] if ":user/" in p else p for p in trusted if ":" not in p or ":user/" in p)


def _accepted_arn(arn: str, trusted: frozenset[str], role_names: frozenset[str]) -> bool:
    if arn in trusted:
        return True
    kind, _, path = arn.partition(":")[2].rpartition(":")[2].partition("/")
    name = path.rsplit("/", 1)[-1]
    if kind == "user":
        return name in _user_names(frozenset(p for p in trusted if ":" not in p))
    return kind == "role" and name in role_names


def target_findings(
    resource_type: str, props: Mapping[str, Any], trusted: frozenset[str], role_names: frozenset[str]
) -> Iterator[str | Unknown]:
    """`props` resolved; a message when the target is not a configured identity, the Unknown while unknown."""
    if resource_type in USER_NAME_FIELDS:
        field = USER_NAME_FIELDS[resource_type]
        value, accepted = props.get(field), _user_names(trusted)
        is_accepted = isinstance(value, str) and value in accepted
    elif resource_type in PRINCIPAL_ARN_FIELDS:
        field = PRINCIPAL_ARN_FIELDS[resource_type]
        value = props.get(field)
        is_accepted = isinstance(value, str) and _accepted_arn(value, trusted, role_names)
    else:
        return
    if isinstance(value, Unknown):
        yield value
    elif not is_accepted:
        yield (
            f"{field} {shown(value)} is not the adapter's identity (pack config trustedPrincipals "
            f"{shown(sorted(trusted))}, assumableRoleNames {shown(sorted(role_names))}): the pack cannot tell an "
            "identity adopted with `import`, which may hold permissions this stack does not show, from one this "
            "stack creates, so credentials and cluster mappings go only to the configured identities"
        )
