"""Checks of role trust policies and session settings: only specific users or roles may assume."""

from __future__ import annotations

import re
from typing import Any

from .iam_documents import as_list, parse_document, statements

TRUST_ACTIONS = frozenset({"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"})
DEFAULT_MAX_SESSION_SECONDS = 14400
PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(user|role)/[A-Za-z0-9_+=,.@/-]+")
# What AWS shows in place of a deleted principal: still one specific identity.
PRINCIPAL_UNIQUE_ID = re.compile(r"(AIDA|AROA)[A-Z0-9]{12,}")
ACCOUNT_PRINCIPAL = re.compile(r"\d{12}|arn:aws[a-z-]*:iam::\d{12}:root")


def _specific(principal: Any) -> bool:
    return isinstance(principal, str) and bool(
        PRINCIPAL_ARN.fullmatch(principal) or PRINCIPAL_UNIQUE_ID.fullmatch(principal)
    )


def _names_specific_principals(condition: Any) -> bool:
    """An `aws:PrincipalArn` equality condition that lists only specific ARNs narrows an account principal."""
    if not isinstance(condition, dict):
        return False
    for operator in ("StringEquals", "ArnEquals"):
        block = condition.get(operator)
        if isinstance(block, dict):
            for key, value in block.items():
                if key.lower() == "aws:principalarn" and all(_specific(v) for v in as_list(value)) and value:
                    return True
    return False


def check_trust_policy(document: Any) -> list[str]:
    parsed, error = parse_document(document)
    if parsed is None:
        return [f"trust policy: {error}"]
    problems = []
    for label, statement in statements(parsed):
        if not isinstance(statement, dict):
            problems.append(f"trust {label} is not a JSON object")
            continue
        if statement.get("Effect") == "Deny":
            continue
        if statement.get("Effect") != "Allow":
            problems.append(f'trust {label} has Effect {statement.get("Effect")!r}; use "Allow" or "Deny"')
            continue
        problems.extend(_check_trust_statement(label, statement))
    return problems


def _check_trust_statement(label: str, statement: dict[str, Any]) -> list[str]:
    problems = []
    if "NotPrincipal" in statement or "NotAction" in statement:
        problems.append(f"trust {label} uses NotPrincipal or NotAction with Allow; name the principal and actions")
    actions = as_list(statement.get("Action"))
    wrong = [a for a in actions if a not in TRUST_ACTIONS]
    if wrong or not actions:
        problems.append(
            f"trust {label} allows {wrong or 'no action'}; only {', '.join(sorted(TRUST_ACTIONS))} (spelled exactly)"
        )
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        problems.append(
            f"trust {label} has principal {principal!r}; trust only specific IAM user or role ARNs "
            '(Principal: {"AWS": [...]})'
        )
        return problems
    narrowed = _names_specific_principals(statement.get("Condition"))
    for value in as_list(principal["AWS"]):
        if _specific(value):
            continue
        if isinstance(value, str) and ACCOUNT_PRINCIPAL.fullmatch(value) and narrowed:
            continue
        problems.append(
            f"trust {label} trusts {value!r}; trust only specific IAM user or role ARNs, or an account root "
            "with an aws:PrincipalArn condition that names them"
        )
    return problems


def check_session_duration(value: Any, bound: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value > bound:
        shown = int(value) if isinstance(value, float) and value.is_integer() else value  # protobuf numbers are floats
        return [f"maxSessionDuration is {shown!r} seconds; at most {int(bound)} is allowed"]
    return []
