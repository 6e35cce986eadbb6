"""Checks of role trust policies and session settings: only the principals the pack is configured to trust."""

from __future__ import annotations

import re
from typing import Any

from .iam_documents import as_list, parse_document, shown, statements
from .unknowns import Unknown

TRUST_ACTIONS = frozenset({"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"})
DEFAULT_MAX_SESSION_SECONDS = 14400
# The program's default user name: what `trustedPrincipals` accepts unless the pack is configured.
DEFAULT_TRUSTED_PRINCIPALS = frozenset({"Axonius-Readonly"})
PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(user|role)/(?:[!-~]*/)?([A-Za-z0-9_+=,.@-]{1,64})")
# Operators that narrow aws:PrincipalArn to exact ARNs: is_trusted refuses `*` and `?`, so the Like operators
# see no pattern there and compare as equality (ArnLike with an exact ARN is ArnEquals).
EXACT_OPERATORS = ("StringEquals", "ArnEquals", "ArnLike", "StringLike")
ACCOUNT_PRINCIPAL = re.compile(r"\d{12}|arn:aws[a-z-]*:iam::\d{12}:root")


def is_trusted(principal: Any, trusted: frozenset[str]) -> bool:
    """An exact ARN listed in `trusted`, or a user ARN (any account, any path) whose name is listed there."""
    if not isinstance(principal, str) or "*" in principal or "?" in principal:
        return False
    match = PRINCIPAL_ARN.fullmatch(principal)
    if match is None:
        return False
    return principal in trusted or (match.group(1) == "user" and match.group(2) in trusted)


def _condition_names_trusted(condition: Any, trusted: frozenset[str]) -> bool:
    """An `aws:PrincipalArn` equality condition listing only trusted ARNs narrows an account principal."""
    if not isinstance(condition, dict):
        return False
    for operator in EXACT_OPERATORS:
        block = condition.get(operator)
        if isinstance(block, dict):
            for key, value in block.items():
                if key.lower() == "aws:principalarn" and value and all(is_trusted(v, trusted) for v in as_list(value)):
                    return True
    return False


def check_trust_policy(
    document: Any, trusted: frozenset[str] = DEFAULT_TRUSTED_PRINCIPALS
) -> tuple[list[str], list[str]]:
    """(problems, unknown paths) of a trust policy."""
    if isinstance(document, Unknown):
        return [], [document.path]
    parsed, error = parse_document(document)
    if parsed is None:
        return [f"trust policy: {error}"], []
    problems: list[str] = []
    unknown: list[str] = []
    for label, statement in statements(parsed):
        if isinstance(statement, Unknown):
            unknown.append(statement.path)
        elif not isinstance(statement, dict):
            problems.append(f"trust {label} is {shown(statement)}, not a JSON object; write it as one")
        elif statement.get("Effect") != "Deny":
            problems.extend(_check_trust_statement(label, statement, trusted, unknown))
    return problems, unknown


def _check_trust_statement(
    label: str, statement: dict[str, Any], trusted: frozenset[str], unknown: list[str]
) -> list[str]:
    if statement.get("Effect") != "Allow":
        state = "no Effect" if "Effect" not in statement else f"Effect {shown(statement.get('Effect'))}"
        return [f'trust {label} has {state}; use exactly "Allow" or "Deny"']
    problems = []
    if "NotPrincipal" in statement or "NotAction" in statement:
        problems.append(f"trust {label} uses NotPrincipal or NotAction with Allow; name the principal and actions")
    actions = as_list(statement.get("Action"))
    unknown.extend(a.path for a in actions if isinstance(a, Unknown))
    wrong = [a for a in actions if a not in TRUST_ACTIONS and not isinstance(a, Unknown) and a is not None]
    if wrong or None in actions:
        problems.append(
            f"trust {label} allows {shown(wrong) if wrong else 'no action'}; "
            f"only {', '.join(sorted(TRUST_ACTIONS))} (spelled exactly)"
        )
    principal = statement.get("Principal")
    if isinstance(principal, Unknown):
        unknown.append(principal.path)
        return problems
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        problems.append(
            f"trust {label} has principal {shown(principal)}; trust only IAM user or role ARNs "
            'the pack is configured to trust (Principal: {"AWS": [...]})'
        )
        return problems
    narrowed = _condition_names_trusted(statement.get("Condition"), trusted)
    for value in as_list(principal["AWS"]):
        if isinstance(value, Unknown):
            unknown.append(value.path)
        elif is_trusted(value, trusted) or (isinstance(value, str) and ACCOUNT_PRINCIPAL.fullmatch(value) and narrowed):
            continue
        else:
            problems.append(
                f"trust {label} trusts {shown(value)}; trust only the principals in the policy's trustedPrincipals "
                f"config ({', '.join(sorted(trusted))}: exact ARNs, or user names in any account), or an account "
                "root with an aws:PrincipalArn condition naming only those"
            )
    return problems


def check_session_duration(value: Any, bound: int) -> list[str]:
    if value is None or isinstance(value, Unknown):
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"maxSessionDuration is {shown(value)}, not a number of seconds; at most {int(bound)} is allowed"]
    if value > bound:
        number = int(value) if isinstance(value, float) and value.is_integer() else value  # protobuf numbers are floats
        return [f"maxSessionDuration is {number!r} seconds; at most {int(bound)} is allowed"]
    return []
