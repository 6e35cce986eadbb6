"""Grants that are not policy documents: KMS grant operations, Lambda permission actions and S3 ACLs.

Pure functions over resolved properties (see unknowns.py); they yield messages, and `Unknown` markers for what
cannot be read yet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import resource_types as types
from .iam_actions import default_catalog
from .iam_documents import as_list, shown
from .unknowns import Unknown

Finding = str | Unknown


def check_operations(resource_type: str, resolved: Mapping[str, Any]) -> Iterator[Finding]:
    """KMS grant operations (as `kms:<operation>`) and Lambda permission actions must be List/Read."""
    if resource_type == types.KMS_GRANT:
        field, values, service = "operations", resolved.get("operations"), "kms"
    else:
        field, values, service = "action", resolved.get("action"), None
    for value in as_list(values):
        if isinstance(value, Unknown):
            yield value
            continue
        name = f"{service}:{value}" if service and isinstance(value, str) else value
        action = default_catalog().lookup(name) if isinstance(name, str) and ":" in name else None
        if action is None or not action.read_only:
            level = f"{action.name} is {action.level}" if action else "it is not an IAM action in the IAM data"
            yield (
                f"{field} grants {shown(value)} to {shown(resolved.get('granteePrincipal', resolved.get('principal')))}"
                f" ({level}); grant only actions AWS labels List or Read"
            )


# Canned ACLs that let someone else write, and ACL permissions beyond reading.
WRITING_CANNED_ACLS = frozenset({"public-read-write", "log-delivery-write", "bucket-owner-full-control"})
READ_ACL_PERMISSIONS = frozenset({"READ", "READ_ACP"})


def check_acl(resolved: Mapping[str, Any]) -> Iterator[Finding]:
    """A canned ACL never lets others write; ACL grants give only READ or READ_ACP."""
    acl = resolved.get("acl")
    if isinstance(acl, Unknown):
        yield acl
    elif acl is not None and not isinstance(acl, str):
        yield f"acl is {shown(acl)}, not a canned ACL name; use 'private'"
    elif acl in WRITING_CANNED_ACLS:
        yield f"acl {acl!r} lets another account or everyone write; use 'private' (or a read-only bucket policy)"
    policy = resolved.get("accessControlPolicy")
    listed = [policy.get("grants") if isinstance(policy, dict) else policy, resolved.get("grants")]
    grants = [grant for value in listed if value is not None for grant in as_list(value)]
    for index, grant in enumerate(grants):
        if isinstance(grant, Unknown) or not isinstance(grant, dict):
            yield grant if isinstance(grant, Unknown) else f"grants[{index}] is {shown(grant)}, not a grant object"
            continue
        permissions = as_list(grant.get("permissions", grant.get("permission")))
        beyond = [p for p in permissions if p not in READ_ACL_PERMISSIONS and not isinstance(p, Unknown)]
        if beyond:
            yield (
                f"grants[{index}] gives {shown(beyond)} to {shown(grant.get('grantee') or grant.get('id'))}; "
                "only READ and READ_ACP are read-only"
            )
