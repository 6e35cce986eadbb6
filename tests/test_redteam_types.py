"""The type table's red-team cases (tests/redteam/cases/types.yaml), each judged in-process as Analyze and
AnalyzeStack judge it; the shared gRPC runner judges the same file over the engine's protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_helpers import StackResource, analyze, analyze_stack, mandatory_messages

CASES = yaml.safe_load((Path(__file__).parent / "redteam" / "cases" / "types.yaml").read_text())


def stack(case: dict[str, Any]) -> list[StackResource]:
    urns = {r["name"]: StackResource(r["type"], {}, r["name"]).urn for r in case["resources"]}
    return [
        StackResource(
            r["type"],
            r.get("props") or {},
            r["name"],
            {prop: [urns[name] for name in names] for prop, names in (r.get("dependencies") or {}).items()},
            r.get("provider"),
        )
        for r in case["resources"]
    ]


def test_the_cases_are_many_and_a_quarter_accept():
    assert len(CASES) >= 60 and len({case["id"] for case in CASES}) == len(CASES)
    assert sum(case["expect"] == "accept" for case in CASES) * 4 >= len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_verdict(case):
    resources = stack(case)
    config = case.get("config")
    found = [v for r in resources for v in analyze(r.type, r.props, config, r.name)] + analyze_stack(resources, config)
    messages = mandatory_messages(found)
    assert bool(messages) == (case["expect"] == "reject"), messages
