"""The Kubernetes red-team cases (tests/redteam/cases/kubernetes.yaml), judged in-process by every policy.

Each resource goes through every resource policy (as `Analyze` runs them) and the whole case through every stack
policy (`AnalyzeStack`); a case is rejected when any finding is mandatory. The shared runner (tests/redteam/run.py)
judges the same file over gRPC once it exists; this keeps the cases checked until then.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_helpers import StackResource, analyze, analyze_stack, mandatory_messages

CASES_FILE = Path(__file__).parent / "redteam" / "cases" / "kubernetes.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text())


def stack_resources(case: dict[str, Any]) -> list[StackResource]:
    """The case's resources; `provider` names another resource of the case (a provider) or is a URN."""
    named = [(raw, raw.get("name", f"r{index}")) for index, raw in enumerate(case["resources"])]
    urns = {name: StackResource(raw["type"], {}, name).urn for raw, name in named}
    return [
        StackResource(
            raw["type"],
            raw.get("props", {}),
            name,
            {prop: [urns.get(n, n) for n in names] for prop, names in raw.get("dependencies", {}).items()},
            urns.get(raw["provider"], raw["provider"]) if "provider" in raw else None,
        )
        for raw, name in named
    ]


def rejections(case: dict[str, Any]) -> list[str]:
    resources = stack_resources(case)
    config = case.get("config")
    found = [v for r in resources for v in analyze(r.type, r.props, config, r.name)]
    return mandatory_messages([*found, *analyze_stack(resources, config)])


def test_the_cases_are_well_formed_and_a_quarter_accept():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert {case["expect"] for case in CASES} <= {"accept", "reject", "sensitive"}
    assert all(case.get("why") and case.get("resources") for case in CASES)
    assert len(CASES) >= 60 and sum(case["expect"] == "accept" for case in CASES) * 4 >= len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_each_case_gets_its_verdict(case):
    found = rejections(case)
    if case["expect"] == "reject":
        assert found, "expected a mandatory violation"
    else:
        assert found == []
