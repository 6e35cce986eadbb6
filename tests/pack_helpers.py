"""Build the messages the engine sends the pack."""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from automation.pack_client import PolicyPackProcess, Violation, to_struct

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value not known during preview


def resource(
    type_: str, props: dict[str, Any], name: str = "r", depends: dict[str, list[str]] | None = None
) -> analyzer_pb2.AnalyzerResource:
    """As the engine sends it; `depends` maps a property to the URNs its value comes from (AnalyzeStack)."""
    message = analyzer_pb2.AnalyzerResource(
        type=type_, properties=to_struct(props), urn=f"urn:pulumi:t::p::{type_}::{name}", name=name
    )
    for key, urns in (depends or {}).items():
        message.propertyDependencies[key].urns.extend(urns)
    return message


def document(*statements: dict[str, Any], as_list: bool = True) -> str:
    body: Any = list(statements) if as_list else statements[0]
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def allow(action: Any, resource_: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource_, **extra}


def findings(pack: PolicyPackProcess, type_: str, props: dict[str, Any]) -> dict[str, list[Violation]]:
    by_policy: dict[str, list[Violation]] = {}
    for violation in pack.analyze(resource(type_, props)):
        by_policy.setdefault(violation.policy, []).append(violation)
    return by_policy


def mandatory(pack: PolicyPackProcess, type_: str, props: dict[str, Any]) -> list[str]:
    return [v.message for vs in findings(pack, type_, props).values() for v in vs if v.level == "mandatory"]


def policy_findings(pack: PolicyPackProcess, statement: dict[str, Any] | list, **kw: Any) -> dict[str, list]:
    statements = statement if isinstance(statement, list) else [statement]
    return findings(pack, "aws:iam/policy:Policy", {"policy": document(*statements, **kw)})
