"""Checks of IAM identity-policy documents: what an Allow statement could grant, after wildcard expansion.

Pure functions over plain data; they never raise on odd input (an exception inside a policy fails the
whole engine run without a useful message), they report it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .iam_actions import Action, ActionCatalog, is_pattern
from .organization_grant import organization_grant_problem

ASSUME_ROLE = "sts:AssumeRole"
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+")
SHOWN = 5


@dataclass(frozen=True)
class DocumentFindings:
    """What one document grants that it should not (`problems`), and what deserves a second look."""

    problems: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    wildcards: tuple[str, ...] = ()


@dataclass
class _Collector:
    problems: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    wildcards: list[str] = field(default_factory=list)

    def freeze(self) -> DocumentFindings:
        return DocumentFindings(tuple(self.problems), tuple(self.sensitive), tuple(self.wildcards))


def parse_document(document: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The document as a mapping, or why it is not one. Pulumi sends documents as JSON strings."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            return None, f"the policy document is not valid JSON ({error}); write it as JSON"
    if not isinstance(document, dict):
        return None, "the policy document is not a JSON object"
    return document, None


def statements(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, statement) pairs; `Statement` may be one object or a list."""
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    labelled = []
    for index, statement in enumerate(items):
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        labelled.append((f"statement {sid!r} (#{index})" if sid else f"statement #{index}", statement))
    return labelled


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def describe(actions: Sequence[Action]) -> str:
    """The first few actions with their access levels, and how many more."""
    shown = ", ".join(f"{a.name} ({a.level})" for a in actions[:SHOWN])
    return shown + (f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else "")


def is_specific_role_list(resource: Any) -> bool:
    return (
        isinstance(resource, (list, str))
        and bool(as_list(resource))
        and all(
            isinstance(arn, str) and "*" not in arn and "?" not in arn and ROLE_ARN.fullmatch(arn)
            for arn in as_list(resource)
        )
    )


def check_document(document: Any, catalog: ActionCatalog, sensitive: frozenset[str] = frozenset()) -> DocumentFindings:
    """Every Allow statement may grant only List/Read actions, or `sts:AssumeRole` on specific role ARNs."""
    parsed, error = parse_document(document)
    if parsed is None:
        return DocumentFindings(problems=(error or "invalid policy document",))
    found = _Collector()
    if "Statement" not in parsed:
        found.problems.append("the policy document has no Statement")
    for label, statement in statements(parsed):
        _check_statement(label, statement, catalog, sensitive, found)
    return found.freeze()


def _check_statement(
    label: str, statement: Any, catalog: ActionCatalog, sensitive: frozenset[str], found: _Collector
) -> None:
    if not isinstance(statement, dict):
        found.problems.append(f"{label} is not a JSON object")
        return
    effect = statement.get("Effect")
    if effect == "Deny":
        return  # a Deny never widens access; ignoring it is conservative
    if effect != "Allow":
        found.problems.append(f'{label} has Effect {effect!r}; use exactly "Allow" or "Deny" (case-sensitive)')
        return
    if "NotAction" in statement:
        found.problems.append(
            f"{label} uses NotAction with Allow, which grants every action not listed; list the actions instead"
        )
        return
    if "Action" not in statement:
        found.problems.append(f"{label} has no Action")
        return
    granted: list[Action] = []
    for pattern in as_list(statement["Action"]):
        if not isinstance(pattern, str):
            found.problems.append(f"{label} has an Action that is not a string: {pattern!r}")
            continue
        if pattern == ASSUME_ROLE:
            organization_problem = None
            if not is_specific_role_list(statement.get("Resource")):
                organization_problem = organization_grant_problem(statement)
            if organization_problem is not None:
                found.problems.append(
                    f"{label} allows {ASSUME_ROLE} on {statement.get('Resource', statement.get('NotResource'))!r}; "
                    "list the specific role ARNs it may assume (no wildcards), or one role name in one "
                    f"organization ({organization_problem})"
                )
            continue
        matches = catalog.expand(pattern)
        if not matches:
            found.problems.append(
                f"{label} has {pattern!r}, which matches no action in the IAM data "
                f"(version {catalog.data_version}); fix the spelling or remove it"
            )
            continue
        if is_pattern(pattern):
            found.wildcards.append(
                f"{label} has the wildcard {pattern!r} ({len(matches)} actions today); list the actions instead, "
                "as a new action it matches tomorrow may not be read-only"
            )
        granted.extend(matches)
    _report_levels(label, granted, sensitive, found)


def _report_levels(label: str, granted: Iterable[Action], sensitive: frozenset[str], found: _Collector) -> None:
    unique = sorted(set(granted), key=lambda action: action.name)
    beyond = [action for action in unique if not action.read_only]
    if beyond:
        found.problems.append(
            f"{label} grants {len(beyond)} action(s) beyond List/Read: {describe(beyond)}; "
            "grant only actions AWS labels List or Read"
        )
    exposed = [action for action in unique if action.read_only and action.name in sensitive]
    if exposed:
        found.sensitive.append(
            f"{label} grants {len(exposed)} read(s) that expose data or credentials: {describe(exposed)}; "
            "remove them, or allow them by name in this policy's config"
        )
