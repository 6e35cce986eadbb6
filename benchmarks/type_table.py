"""The type table's coverage of the installed SDKs: tokens per SDK and how many are checked, inert, rejected.

venv/bin/python benchmarks/type_table.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from policy_pack.rules import type_table  # noqa: E402
from policy_pack.rules.policies import _rule_policies, read_types  # noqa: E402
from tests import sdk_tokens  # noqa: E402


def coverage() -> dict[str, dict[str, int]]:
    checked = type_table.checked_types(read_types(_rule_policies()))
    rows = {}
    for sdk, tokens in sdk_tokens.all_tokens().items():
        counts = Counter(type_table.place(token, {}, checked).placement.value for token in tokens)
        rows[sdk] = {"tokens": len(tokens), **{p.value: counts[p.value] for p in type_table.Placement}}
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    rows = coverage()
    if parser.parse_args().json:
        print(json.dumps(rows))
        return 0
    versions = sdk_tokens.versions()
    print(f"{'sdk':<20} {'version':<9} {'tokens':>6} {'checked':>7} {'inert':>5} {'rejected':>8} {'placed':>7}")
    for sdk, row in rows.items():
        placed = row["checked"] + row["inert"] + row["rejected"]
        share = f"{100 * placed / row['tokens']:.0f} %" if row["tokens"] else "-"
        print(
            f"{sdk:<20} {versions[sdk]:<9} {row['tokens']:>6} {row['checked']:>7} {row['inert']:>5} "
            f"{row['rejected']:>8} {share:>7}"
        )
    total = sum(row["tokens"] for row in rows.values())
    print(f"{'all':<30} {total:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
