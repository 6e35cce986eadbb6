"""Regenerate `rules/sensitive_reads_seed.json`: the maintained public lists of reads that expose credentials or data.

    venv/bin/python -m pip install cloudsplaining==0.9.1     # in requirements-dev.txt (test-only)
    venv/bin/python -m policy_pack.generate_sensitive_reads

The seed is Salesforce's cloudsplaining (MIT; on PyPI): its `ACTIONS_THAT_RETURN_CREDENTIALS` ("credentials
exposure") and `READ_ONLY_DATA_EXFILTRATION_ACTIONS` ("data exfiltration") lists in
`cloudsplaining/shared/constants.py`, read as Python source (nothing of the package is imported or run). Each entry
is looked up in the pinned IAM data: those AWS labels List or Read are the seed (the read-only rule rejects the
others already); the rest are recorded with why they were left out. The pack reads only the generated file; a test
fails when the installed cloudsplaining or the IAM data gives another seed (regenerate and review the diff).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from policy_pack.rules.iam_actions import ActionCatalog, default_catalog
from policy_pack.rules.sensitive_actions import SEED_PATH

SOURCE_PACKAGE = "cloudsplaining"
SOURCE_FILE = "cloudsplaining/shared/constants.py"
SOURCE_LISTS = {
    "credentials exposure": "ACTIONS_THAT_RETURN_CREDENTIALS",
    "data exfiltration": "READ_ONLY_DATA_EXFILTRATION_ACTIONS",
}


class SourceMissingError(RuntimeError):
    """cloudsplaining is not installed: the seed cannot be regenerated or compared."""


def source_text() -> tuple[str, str]:
    """(version, constants.py text) of the installed cloudsplaining, found without importing it."""
    try:
        found = distribution(SOURCE_PACKAGE)
    except PackageNotFoundError as error:
        raise SourceMissingError(
            f"{SOURCE_PACKAGE} is not installed; install requirements-dev.txt (it pins the version)"
        ) from error
    return found.version, Path(str(found.locate_file(SOURCE_FILE))).read_text()


def source_lists(text: str) -> dict[str, list[str]]:
    """The named module-level list literals of the source, by their assignment."""
    wanted = {name: category for category, name in SOURCE_LISTS.items()}
    lists: dict[str, list[str]] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in wanted:
                lists[wanted[name]] = [str(item) for item in ast.literal_eval(node.value)]
    missing = set(SOURCE_LISTS) - set(lists)
    if missing:
        raise SourceMissingError(f"{SOURCE_FILE} no longer defines {sorted(SOURCE_LISTS[m] for m in missing)}")
    return lists


def seed(version: str, text: str, catalog: ActionCatalog) -> dict[str, Any]:
    reads: dict[str, list[str]] = {}
    left_out: dict[str, str] = {}
    for category, names in source_lists(text).items():
        kept = set()
        for name in names:
            action = catalog.lookup(name)
            if action is None:
                left_out[name] = "not in the IAM data"
            elif not action.read_only:
                left_out[action.name] = f"{action.level}: the read-only rule rejects it already"
            else:
                kept.add(action.name)
        reads[category] = sorted(kept)
    return {
        "source": f"{SOURCE_PACKAGE} {version} (MIT), {SOURCE_FILE}: {', '.join(SOURCE_LISTS.values())}",
        "sourceSha256": hashlib.sha256(text.encode()).hexdigest(),
        "iamDataVersion": catalog.data_version,
        "reads": reads,
        "leftOut": dict(sorted(left_out.items())),
    }


def generated() -> str:
    version, text = source_text()
    return json.dumps(seed(version, text, default_catalog()), indent=2) + "\n"


def main() -> int:
    SEED_PATH.write_text(generated())
    print(f"wrote {SEED_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
