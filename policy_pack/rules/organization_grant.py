"""The one wildcard-account `sts:AssumeRole` shape the pack accepts: a role by exact name, in one organization.

    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/<path><name>",
     "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-..."},
                   "ForAnyValue:StringLike": {"aws:ResourceOrgPaths": ["o-.../..."]}}}   # optional narrowing

`aws:ResourceOrgID` is a single-valued global key describing the account that owns the role; in an Allow,
`StringEquals` on a key missing from the request never matches, so a role outside any organization is never
assumable through this statement. `...IfExists` (matches when the key is missing), a pattern on the
organization ID, or any other operator or key would widen it, so they are refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

ORG_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\*:role(/(?:[A-Za-z0-9_+=,.@-]+/)*)([A-Za-z0-9_+=,.@-]+)")
ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
ORG_ID_KEY = "aws:resourceorgid"
ORG_PATHS_KEY = "aws:resourceorgpaths"
ORG_ID_OPERATOR = "StringEquals"
ORG_PATHS_OPERATOR = "ForAnyValue:StringLike"


def _single(value: Any) -> Any:
    """A value or a list of exactly one value, as the value itself; anything else as None."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


def _block(condition: dict[str, Any], operator: str, key: str) -> tuple[Any, str | None]:
    block = condition.get(operator)
    if not isinstance(block, dict) or len(block) != 1 or next(iter(block)).lower() != key:
        return None, f"{operator} must hold only {key}"
    return next(iter(block.values())), None


def organization_grant_problem(statement: dict[str, Any], role_names: Collection[str] | None = None) -> str | None:
    """None when `statement` is the accepted org-scoped AssumeRole shape, else why it is not."""
    if "NotResource" in statement:
        return "NotResource cannot be scoped to one organization"
    match = (
        ORG_ROLE_ARN.fullmatch(resource) if isinstance(resource := _single(statement.get("Resource")), str) else None
    )
    if match is None:
        return (
            "the only wildcard-account form accepted is one ARN arn:<partition>:iam::*:role/<path><name> "
            "with an exact path and name"
        )
    if role_names is not None and match.group(2) not in role_names:
        return f"role name {match.group(2)!r} is not one of the assumable role names {sorted(role_names)}"
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not set(condition) <= {ORG_ID_OPERATOR, ORG_PATHS_OPERATOR}:
        return (
            f"the condition must be {ORG_ID_OPERATOR} aws:ResourceOrgID (one organization ID), optionally with "
            f"{ORG_PATHS_OPERATOR} aws:ResourceOrgPaths; no ...IfExists, no other operator"
        )
    organization_id, problem = _block(condition, ORG_ID_OPERATOR, ORG_ID_KEY)
    organization_id = _single(organization_id)
    if problem or not isinstance(organization_id, str) or not ORGANIZATION_ID.fullmatch(organization_id):
        return f"aws:ResourceOrgID must name exactly one organization ID (o-...), not {organization_id!r}"
    if ORG_PATHS_OPERATOR in condition:
        paths, problem = _block(condition, ORG_PATHS_OPERATOR, ORG_PATHS_KEY)
        path_list = paths if isinstance(paths, list) else [paths]
        if (
            problem
            or not path_list
            or not all(isinstance(p, str) and p.startswith(f"{organization_id}/") for p in path_list)
        ):
            return f"aws:ResourceOrgPaths must list paths that start with {organization_id}/, not {paths!r}"
    return None
