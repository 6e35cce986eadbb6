"""Shares, delegations and hand-offs: grants whose effect lives outside the stack, rejected with why and what to do.

A resource policy in the IAM language is read by the document rules (resource_types.RESOURCE_POLICY_FIELDS);
what is here grants access in another shape: sharing a snapshot, image, document or resource with other accounts
(or everyone), making another account the delegated administrator of a security service, handing roles or
policies to identities that are not IAM's own (Identity Center groups, Cognito identities, Roles Anywhere
certificates, IoT things), and Lake Formation grants, which are checked: only DESCRIBE is metadata.
Pure functions over resolved properties (see unknowns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from . import resource_types as types
from .iam_documents import as_list, shown
from .unknowns import Unknown

Finding = str | Unknown
# Lake Formation permissions that expose only metadata; SELECT reads table data, the others write or administer.
LAKE_FORMATION_READ = frozenset({"DESCRIBE"})


def _shared(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    target = next((props[k] for k in ("principal", "grantee", "accountId", "principalArn") if k in props), None)
    yield (
        f"{resource_type} shares access with {shown(target) if target is not None else 'another principal'}: what "
        "the shared resource exposes, and to whom, is decided outside this stack, so the pack cannot verify it; the "
        "inventory needs no sharing: remove it"
    )


def _delegated(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    keys = ("adminAccountId", "accountId", "delegatedAdminAccount", "delegatedAdminAccountId", "masterAccountId")
    target = next((props[key] for key in (*keys, "servicePrincipal") if props.get(key) is not None), None)
    yield (
        f"{resource_type} makes {shown(target) if target is not None else 'another account'} an administrator of a "
        "service across accounts (delegated administration, an accepted invitation, or trusted access), which "
        "lets it read and change that service's data and settings; the pack cannot verify what it may do: remove "
        "it (the inventory reads with its own role)"
    )


def _hands_identity(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    yield (
        f"{resource_type} hands roles, policies or administrator rights to identities outside IAM (Identity Center "
        "groups, Cognito identities, Roles Anywhere certificates, IoT things, Lake Formation admins), whose "
        "permissions the pack cannot see, so it cannot be verified; the inventory needs none of these: remove it"
    )


def _sharing_flag(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    field = types.SHARING_FIELDS[resource_type]
    value = props.get(field)
    if isinstance(value, Unknown):
        yield value
    elif value not in (None, False, [], "", {}):
        yield (
            f"{field} {shown(value)} shares this {resource_type.rsplit(':', 1)[-1]} with other accounts or everyone; "
            f"what it holds is not verified by the pack: leave {field} unset"
        )


def _lake_formation(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    for field in ("permissions", "permissionsWithGrantOptions"):
        for value in as_list(props.get(field) or []):
            if isinstance(value, Unknown):
                yield value
            elif value not in LAKE_FORMATION_READ:
                yield (
                    f"{field} grants {shown(value)} to {shown(props.get('principal'))}; only DESCRIBE is "
                    "metadata-only (SELECT reads the data, the others write or administer): grant DESCRIBE"
                )


Check = Callable[[str, Mapping[str, Any]], Iterator[Finding]]
SHARE_CHECKS: dict[str, Check] = {
    **dict.fromkeys(types.SHARED_WITH_OTHERS, _shared),
    **dict.fromkeys(types.DELEGATED_ADMIN_TYPES, _delegated),
    **dict.fromkeys(types.IDENTITY_HAND_OFF_TYPES, _hands_identity),
    **dict.fromkeys(types.SHARING_FIELDS, _sharing_flag),
    types.LAKE_FORMATION_PERMISSIONS: _lake_formation,
}


def check_share(resource_type: str, props: Mapping[str, Any]) -> Iterator[Finding]:
    """Findings for one sharing, delegating or hand-off resource; `props` resolved."""
    yield from SHARE_CHECKS[resource_type](resource_type, props)
