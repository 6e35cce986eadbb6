"""Policy pack speed: cold start, Analyze latency over gRPC, classifier throughput, `*` expansion.

    venv/bin/python benchmarks/pack.py [--json]

Targets (issue 3): classifier >= 250,000 actions/s, `*` under 20 ms, cold start under 1.5 s.
Issue 9: the adversarial wildcard (`?*` pairs that make backtracking matchers explode) under 5 ms per Analyze.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from pulumi.runtime.proto import analyzer_pb2  # noqa: E402

from automation.pack_client import PolicyPackProcess, to_struct  # noqa: E402
from components.permission_sets import PermissionSet, select_actions  # noqa: E402
from components.policy_documents import compact_json, read_only_documents  # noqa: E402
from policy_pack.rules.iam_actions import ActionCatalog  # noqa: E402

PACK_DIR = PROJECT_DIR / "policy_pack"


def mixed_case_actions(catalog: ActionCatalog, count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    names = sorted(a.name for s in catalog.services() for a in catalog.actions_of(s).values())
    picked = [rng.choice(names) for _ in range(count)]
    return ["".join(c.upper() if rng.random() < 0.3 else c for c in name) for name in picked]


def cold_start_seconds(runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with PolicyPackProcess(PACK_DIR):
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def analyze_latency_ms(requests: int = 300) -> tuple[float, float, int]:
    catalog = ActionCatalog()
    documents = read_only_documents(select_actions(PermissionSet, [], [], catalog))
    largest = max(documents, key=lambda d: len(compact_json(d)))
    # A fresh name each time defeats the pack's per-document cache: the worst case, a new document.
    latencies = []
    with PolicyPackProcess(PACK_DIR) as pack:
        for number in range(requests):
            document = compact_json(largest).replace("AxoniusReadOnly", f"AxoniusReadOnly{number}")
            request = analyzer_pb2.AnalyzeRequest(
                type="aws:iam/policy:Policy", properties=to_struct({"policy": document}), urn="urn:x", name="x"
            )
            started = time.perf_counter()
            pack.stub.Analyze(request)
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1], len(compact_json(largest))


ADVERSARIAL = {
    "one_service": "iam:*?*?*?*?*?*?*?*?*Z{}",  # the example: minutes with a backtracking regex
    "every_service": "*:*?*?*?*?*?*?*?*?*Z{}",  # the same against all 22,000 actions
}


def adversarial_analyze_ms(requests: int = 50) -> dict[str, tuple[float, float]]:
    """Median and worst Analyze of a policy whose one action is an adversarial pattern, new each time (no cache)."""
    figures = {}
    with PolicyPackProcess(PACK_DIR) as pack:
        warm = analyzer_pb2.AnalyzeRequest(
            type="aws:iam/policy:Policy", properties=to_struct({"policy": _policy("*:Describe*")}), urn="u", name="x"
        )
        pack.stub.Analyze(warm)  # every service's data loaded, as after the first wildcard of a stack
        for label, template in ADVERSARIAL.items():
            latencies = []
            for number in range(requests):
                pattern = template.format(chr(ord("a") + number % 26) * (1 + number // 26))
                request = analyzer_pb2.AnalyzeRequest(
                    type="aws:iam/policy:Policy", properties=to_struct({"policy": _policy(pattern)}), urn="u", name="x"
                )
                started = time.perf_counter()
                pack.stub.Analyze(request)
                latencies.append((time.perf_counter() - started) * 1000)
            figures[label] = (statistics.median(latencies), max(latencies))
    return figures


def _policy(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def classifier_throughput(actions: list[str]) -> tuple[float, float]:
    catalog = ActionCatalog()
    started = time.perf_counter()
    for action in actions:
        found = catalog.lookup(action)
        _ = found is not None and found.read_only
    cold = len(actions) / (time.perf_counter() - started)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for action in actions:
            found = catalog.lookup(action)
            _ = found is not None and found.read_only
        runs.append(len(actions) / (time.perf_counter() - started))
    return cold, statistics.median(runs)


def star_expansion_ms() -> tuple[float, float, int]:
    catalog = ActionCatalog()
    for service in catalog.services():
        catalog.actions_of(service)  # data loaded, as in a pack that has already analyzed a stack
    times = []
    for _ in range(5):
        catalog._expansions.clear()
        started = time.perf_counter()
        count = len(catalog.expand("*"))
        times.append((time.perf_counter() - started) * 1000)
    cold_catalog = ActionCatalog()
    started = time.perf_counter()
    cold_catalog.expand("*")
    cold = (time.perf_counter() - started) * 1000
    return statistics.median(times), cold, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    catalog = ActionCatalog()
    actions = mixed_case_actions(catalog, 10_000)
    cold_rate, warm_rate = classifier_throughput(actions)
    p50, p99, size = analyze_latency_ms()
    star, star_cold, star_count = star_expansion_ms()
    adversarial = adversarial_analyze_ms()
    figures = {
        "cold_start_seconds": round(cold_start_seconds(), 3),
        "analyze_p50_ms": round(p50, 2),
        "analyze_p99_ms": round(p99, 2),
        "largest_policy_chars": size,
        "classifier_actions_per_second": round(warm_rate),
        "classifier_first_pass_actions_per_second": round(cold_rate),
        "star_expansion_ms": round(star, 2),
        "star_expansion_with_data_load_ms": round(star_cold, 2),
        "star_actions": star_count,
        **{f"adversarial_{label}_analyze_p50_ms": round(p50, 2) for label, (p50, _) in adversarial.items()},
        **{f"adversarial_{label}_analyze_max_ms": round(worst, 2) for label, (_, worst) in adversarial.items()},
        "iam_data_version": catalog.data_version,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:<42} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
