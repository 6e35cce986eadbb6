"""An independent, brute-force reading of IAM matching, to check the classifier against.

fnmatch with `[` escaped gives IAM's rules (`*` any run, `?` one character, all else literal);
it shares no code with policy_pack.rules.iam_actions.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from policy_pack.rules.iam_actions import default_catalog


@cache
def all_actions() -> dict[str, str]:
    """Lower-case action name to access level, every action in the IAM data."""
    catalog = default_catalog()
    return {
        action.name.lower(): action.level
        for service in catalog.services()
        for action in catalog.actions_of(service).values()
    }


@cache
def by_service() -> dict[str, dict[str, str]]:
    grouped: dict[str, dict[str, str]] = {}
    for name, level in all_actions().items():
        grouped.setdefault(name.split(":")[0], {})[name] = level
    return grouped


@cache
def oracle_expand(pattern: str) -> tuple[tuple[str, str], ...]:
    lowered = pattern.lower()
    if lowered == "*":
        lowered = "*:*"
    regex = re.compile(fnmatch.translate(lowered.replace("[", "[[]")))
    service = lowered.split(":")[0]
    candidates = by_service().get(service, {}) if ":" in lowered and not set("*?") & set(service) else all_actions()
    return tuple((name, level) for name, level in candidates.items() if regex.match(name))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants_beyond_read(statements: Iterable[dict[str, Any]]) -> bool:
    """True when an Allow statement could grant anything but List/Read (sts:AssumeRole aside), or is unreadable."""
    for statement in statements:
        if statement.get("Effect") != "Allow":
            if statement.get("Effect") != "Deny":
                return True
            continue
        if "NotAction" in statement:
            return True
        for pattern in as_list(statement.get("Action")):
            if pattern == "sts:AssumeRole":
                resources = as_list(statement.get("Resource"))
                if any("*" in r or ":role/" not in r for r in resources):
                    return True
                continue
            matches = oracle_expand(pattern)
            if not matches or any(level not in ("List", "Read") for _, level in matches):
                return True
    return False
