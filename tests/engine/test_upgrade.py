"""Upgrading a deployed stack across the introduction of the `AxoniusAccess` component: `pulumi up` with the last
commit before it, then `pulumi up` with this checkout on the same stack file and state: nothing is replaced or
deleted (the component's aliases carry every resource over)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

from .harness import Engine

INTRODUCED = "components/axonius_access.py"
STACK = "prod"  # every kind of resource: roles in three accounts, access entries and an aws-auth mapping
CHANGED = ("replace", "create-replacement", "delete-replaced", "delete")


def commit_before_the_component() -> str:
    """The parent of the commit that added the component (`git log`), so the test follows the history."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", INTRODUCED],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    return f"{added}~1"


@pytest.fixture
def old_checkout(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "before-component"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), commit_before_the_component()],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    )
    (folder / "venv").symlink_to(PROJECT_DIR / "venv")
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=PROJECT_DIR, check=True)


def test_an_upgrade_across_the_component_replaces_and_deletes_nothing(engine: Engine, old_checkout: Path) -> None:
    assert not (old_checkout / INTRODUCED).exists()
    engine.pulumi("stack", "select", STACK, "--create", cwd=old_checkout)
    engine.pulumi("up", "-s", STACK, "--yes", cwd=old_checkout)
    # The user upgrades the code and keeps their stack file (with the salt the CLI wrote into it).
    stack_file = f"stacks/Pulumi.{STACK}.yaml"
    (engine.project / stack_file).write_text((old_checkout / stack_file).read_text())
    try:
        preview = json.loads(engine.pulumi("preview", "-s", STACK, "--json", *engine.with_pack(STACK)).stdout)
        operations = {step["op"] for step in preview["steps"]}
        assert not operations & set(CHANGED), [s["urn"] for s in preview["steps"] if s["op"] in CHANGED]
        engine.pulumi("up", "-s", STACK, "--yes", *engine.with_pack(STACK))
        after = json.loads(engine.pulumi("preview", "-s", STACK, "--json").stdout)
        assert set(after.get("changeSummary", {})) <= {"same"}, after.get("changeSummary")
    finally:
        engine.pulumi("destroy", "-s", STACK, "--yes")
