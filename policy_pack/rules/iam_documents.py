"""Checks of IAM policy documents: what an Allow statement could grant, after wildcard expansion.

Pure functions over plain data; they never raise on odd input (an exception inside a policy fails the
whole engine run without a useful message), they report it. The same check reads identity policies and
resource-based policies: whoever a statement names gets what it allows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .iam_actions import Action, ActionCatalog, is_pattern
from .organization_grant import organization_grant_problem
from .unknowns import Unknown

ASSUME_ROLE = "sts:AssumeRole"
# The program's default role name: what `assumableRoleNames` accepts unless the pack is configured.
DEFAULT_ASSUMABLE_ROLE_NAMES = frozenset({"Axonius-Readonly-Role"})
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[!-~]*/)?([A-Za-z0-9_+=,.@-]{1,64})")
SHOWN = 5


@dataclass(frozen=True)
class DocumentFindings:
    """What one document grants that it should not (`problems`), what deserves a second look, what is unknown."""

    problems: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()
    wildcards: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    exposed: tuple[str, ...] = ()  # the names of the sensitive reads granted


@dataclass
class _Collector:
    problems: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    wildcards: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)

    def freeze(self) -> DocumentFindings:
        lists = (self.problems, self.sensitive, self.wildcards, self.unknown, sorted(set(self.exposed)))
        return DocumentFindings(*(tuple(items) for items in lists))


class _Null:
    def __repr__(self) -> str:
        return "null"


def _without_none(value: Any) -> Any:
    if value is None:
        return _Null()
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def shown(value: Any, limit: int = 120) -> str:
    """A value as a message shows it: never `None` (a missing value is "nothing", a JSON null "null"), short."""
    if value is None:
        return "nothing"
    text = repr(_without_none(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateKeyError(key)
        document[key] = value
    return document


def parse_document(document: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The document as a mapping, or why it is not one. Pulumi sends documents as JSON strings."""
    if document is None:
        return None, "the policy document is missing; give a JSON policy document"
    if isinstance(document, str):
        try:
            document = json.loads(document, object_pairs_hook=unique_keys)
        except DuplicateKeyError as error:
            return None, (
                f"the policy document repeats the key {error.key!r}; AWS and this pack could read different "
                "values, so write each key once"
            )
        except ValueError as error:
            return None, f"the policy document is not valid JSON ({error}); write it as JSON"
    if not isinstance(document, dict):
        return None, f"the policy document is {shown(document)}, not a JSON object; write it as one"
    return document, None


def statements(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, statement) pairs; `Statement` may be one object or a list."""
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    labelled = []
    for index, statement in enumerate(items):
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        labelled.append(
            (f"statement {sid!r} (#{index})" if isinstance(sid, str) and sid else f"statement #{index}", statement)
        )
    return labelled


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def describe(actions: Sequence[Action]) -> str:
    """The first few actions with their access levels, and how many more."""
    names = ", ".join(f"{a.name} ({a.level})" for a in actions[:SHOWN])
    return names + (f" and {len(actions) - SHOWN} more" if len(actions) > SHOWN else "")


def assumable_role_arn(arn: Any, role_names: frozenset[str]) -> bool:
    """An exact role ARN (no wildcard, any account and path) whose role name the pack accepts."""
    if not isinstance(arn, str) or "*" in arn or "?" in arn:
        return False
    match = ROLE_ARN.fullmatch(arn)
    return match is not None and match.group(1) in role_names


# The shapes of an `sts:AssumeRole` statement the pack accepts: each takes the statement and the accepted role
# names and says whether the statement has that shape. Another shape is one more function in this tuple.
AssumeRoleShape = Callable[[Mapping[str, Any], frozenset[str]], bool]


def exact_role_arns(statement: Mapping[str, Any], role_names: frozenset[str]) -> bool:
    """`Resource` lists only exact ARNs of roles with accepted names (no `NotResource`)."""
    resources = as_list(statement.get("Resource"))
    return (
        "NotResource" not in statement
        and bool(resources)
        and all(assumable_role_arn(arn, role_names) for arn in resources)
    )


def organization_role(statement: Mapping[str, Any], role_names: frozenset[str]) -> bool:
    """One ARN of an accepted role name in any account of one organization (organization mode's grant)."""
    return organization_grant_problem(dict(statement), role_names) is None


ASSUME_ROLE_SHAPES: tuple[AssumeRoleShape, ...] = (exact_role_arns, organization_role)


def check_document(
    document: Any,
    catalog: ActionCatalog,
    sensitive: frozenset[str] = frozenset(),
    role_names: frozenset[str] = DEFAULT_ASSUMABLE_ROLE_NAMES,
) -> DocumentFindings:
    """Every Allow statement may grant only List/Read actions, or `sts:AssumeRole` on accepted role ARNs."""
    if isinstance(document, Unknown):
        return DocumentFindings(unknown=(document.path,))
    parsed, error = parse_document(document)
    if parsed is None:
        return DocumentFindings(problems=(error or "invalid policy document",))
    found = _Collector()
    if "Statement" not in parsed:
        found.problems.append('the policy document has no Statement; add "Statement": [...]')
    for label, statement in statements(parsed):
        _check_statement(label, statement, catalog, sensitive, role_names, found)
    return found.freeze()


def _check_statement(
    label: str,
    statement: Any,
    catalog: ActionCatalog,
    sensitive: frozenset[str],
    role_names: frozenset[str],
    found: _Collector,
) -> None:
    if isinstance(statement, Unknown):
        found.unknown.append(statement.path)
        return
    if not isinstance(statement, dict):
        found.problems.append(f"{label} is {shown(statement)}, not a JSON object; write each statement as an object")
        return
    effect = statement.get("Effect")
    if isinstance(effect, Unknown):
        found.unknown.append(effect.path)
        return
    if effect == "Deny":
        return  # a Deny never widens access; ignoring it is conservative
    if effect != "Allow":
        state = "no Effect" if effect is None else f"Effect {shown(effect)}"
        found.problems.append(f'{label} has {state}; use exactly "Allow" or "Deny" (case-sensitive)')
        return
    if "NotAction" in statement:
        found.problems.append(
            f"{label} uses NotAction with Allow, which grants every action not listed; list the actions instead"
        )
        return
    if "Action" not in statement:
        found.problems.append(f'{label} has no Action; list the actions it allows in "Action"')
        return
    granted: list[Action] = []
    for pattern in as_list(statement["Action"]):
        if isinstance(pattern, Unknown):
            found.unknown.append(pattern.path)
        elif not isinstance(pattern, str):
            found.problems.append(f"{label} has an Action that is not a string: {shown(pattern)}; write action names")
        elif pattern == ASSUME_ROLE:
            _check_assume_role(label, statement, role_names, found)
        else:
            granted.extend(_expand(label, pattern, catalog, found))
    _report_levels(label, granted, sensitive, found)


def _check_assume_role(label: str, statement: dict[str, Any], role_names: frozenset[str], found: _Collector) -> None:
    unknown = [arn.path for arn in as_list(statement.get("Resource")) if isinstance(arn, Unknown)]
    if unknown:
        found.unknown.extend(unknown)
        return
    if any(shape(statement, role_names) for shape in ASSUME_ROLE_SHAPES):
        return
    resources = as_list(statement.get("Resource"))
    offending = [arn for arn in resources if not assumable_role_arn(arn, role_names)] or resources
    wildcard_account = any(isinstance(arn, str) and ":iam::*:" in arn for arn in resources)
    why = f" ({organization_grant_problem(dict(statement), role_names)})" if wildcard_account else ""
    target = offending if "NotResource" not in statement else {"NotResource": statement["NotResource"]}
    found.problems.append(
        f"{label} allows {ASSUME_ROLE} on {shown(target, 400)}; list exact role ARNs (no wildcards, no NotResource) "
        f"of roles named {sorted(role_names)} (the policy's assumableRoleNames), or one such role name in one "
        "organization (arn:<partition>:iam::*:role/<name> with StringEquals aws:ResourceOrgID): assuming any other "
        f"role grants whatever that role can do{why}"
    )


def _expand(label: str, pattern: str, catalog: ActionCatalog, found: _Collector) -> tuple[Action, ...]:
    matches = catalog.expand(pattern)
    if not matches:
        found.problems.append(
            f"{label} has {pattern!r}, which matches no action in the IAM data "
            f"(version {catalog.data_version}); fix the spelling or remove it"
        )
    elif is_pattern(pattern):
        found.wildcards.append(
            f"{label} has the wildcard {pattern!r} ({len(matches)} actions today); list the actions instead, "
            "as a new action it matches tomorrow may not be read-only"
        )
    return matches


def _report_levels(label: str, granted: Iterable[Action], sensitive: frozenset[str], found: _Collector) -> None:
    unique = sorted(set(granted), key=lambda action: action.name)
    beyond = [action for action in unique if not action.read_only]
    if beyond:
        spelling = (
            f" ({ASSUME_ROLE} is accepted only spelled exactly so, case-sensitive and without wildcards, "
            "on accepted role ARNs)"
            if any(action.name == ASSUME_ROLE for action in beyond)
            else ""
        )
        found.problems.append(
            f"{label} grants {len(beyond)} action(s) beyond List/Read: {describe(beyond)}; "
            f"grant only actions AWS labels List or Read{spelling}"
        )
    exposed = [action for action in unique if action.read_only and action.name in sensitive]
    found.exposed.extend(action.name for action in exposed)
    if exposed:
        found.sensitive.append(
            f"{label} grants {len(exposed)} read(s) that expose data or credentials: {describe(exposed)}; "
            "remove them, or allow them by name in the iam-no-sensitive-reads config (allowedActions)"
        )
