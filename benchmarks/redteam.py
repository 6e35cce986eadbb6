"""The red-team corpus over the engine's gRPC protocol: verdict figures and time per case.

    venv/bin/python benchmarks/redteam.py [--json]

Prints cases, false accepts, false rejects, sensitive reads flagged / expected, and p50 and max seconds per case
(target: under 2 s each), per case file and in total. Exit 1 when any case gets the wrong verdict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from tests.redteam.run import Outcome, explain, load_cases, run_case, start_pack  # noqa: E402


def figures(outcomes: list[Outcome]) -> dict[str, object]:
    times = [o.seconds for o in outcomes]
    sensitive = [o for o in outcomes if o.case.expect == "sensitive"]
    return {
        "cases": len(outcomes),
        "false_accepts": sum(o.case.expect == "reject" and o.verdict != "reject" for o in outcomes),
        "false_rejects": sum(o.case.expect != "reject" and o.verdict == "reject" for o in outcomes),
        "sensitive_flagged": sum(o.verdict == "sensitive" for o in sensitive),
        "sensitive_expected": len(sensitive),
        "p50_seconds": round(statistics.median(times), 4) if times else 0.0,
        "max_seconds": round(max(times), 4) if times else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    cases = load_cases()
    with start_pack() as pack:
        outcomes = [run_case(pack, case) for case in cases]
    report = {"total": figures(outcomes)}
    for source in sorted({o.case.source for o in outcomes}):
        report[source] = figures([o for o in outcomes if o.case.source == source])
    wrong = [o for o in outcomes if not o.passed]
    if args.json:
        print(json.dumps({**report, "wrong": [o.case.id for o in wrong]}))
    else:
        for name, values in report.items():
            print(
                f"{name}: {values['cases']} cases, {values['false_accepts']} false accepts, "
                f"{values['false_rejects']} false rejects, sensitive flagged {values['sensitive_flagged']}/"
                f"{values['sensitive_expected']}, p50 {values['p50_seconds']} s, max {values['max_seconds']} s"
            )
        for outcome in wrong:
            print(explain(outcome))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
