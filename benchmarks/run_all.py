"""`make bench`: every benchmark in one run, one table. Figures, never asserts.

venv/bin/python benchmarks/run_all.py [--accounts 30 300 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> Any:  # the script's JSON
    done = subprocess.run(
        [sys.executable, str(HERE / script), "--json", *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", nargs="+", default=["30", "300", "1000"])
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    scale = run("scale.py", "--accounts", *args.accounts)
    for row in scale if isinstance(scale, list) else [scale]:
        rows.append(
            (
                f"plan, {row['accounts']} accounts ({row['resources']} resources)",
                "program s / bare s",
                f"{row['program_seconds']} / {row['bare_seconds']}",
            )
        )
        rows.append(
            (f"plan, {row['accounts']} accounts", "overhead_ratio (target <= 1.2 at 300)", str(row["overhead_ratio"]))
        )
        rows.append((f"plan, {row['accounts']} accounts", "policy pack over gRPC, s", str(row["pack_seconds"])))
    pack = run("pack.py")
    rows += [
        ("policy pack", "cold start to port, s (target < 1.5)", str(pack["cold_start_seconds"])),
        (
            "policy pack",
            f"Analyze, largest policy ({pack['largest_policy_chars']} chars), p50 / p99 ms",
            f"{pack['analyze_p50_ms']} / {pack['analyze_p99_ms']}",
        ),
        (
            "classifier",
            "actions/s, 10,000 mixed case (target >= 250,000)",
            f"{pack['classifier_actions_per_second']:,}",
        ),
        (
            "classifier",
            "'*' expansion ms (target < 20) / with data load",
            f"{pack['star_expansion_ms']} / {pack['star_expansion_with_data_load_ms']}",
        ),
    ]
    for tool, row in run("classifier.py").items():
        rows.append(
            (
                f"vs peers: {tool}",
                "actions/s, x policy_sentry (target >= 3)",
                f"{row['actions_per_second']:,}, {row['ratio_to_policy_sentry']}",
            )
        )
        rows.append(
            (
                f"vs peers: {tool}",
                "tricky inputs right",
                f"{row['tricky_right']} {' '.join(row['tricky_wrong'])}".strip(),
            )
        )
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'benchmark':<{width[0]}}  {'figure':<{width[1]}}  value")
    for name, figure, value in rows:
        print(f"{name:<{width[0]}}  {figure:<{width[1]}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
