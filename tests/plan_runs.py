"""The real `python -m automation plan` command, run as a user runs it, for tests that read its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_DIR


def run(command: list[str], cwd: Path, stdin: str = "") -> str:
    """A command's stdout; a failure raises with the command and its stderr."""
    completed = subprocess.run(command, input=stdin, cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {completed.returncode}: {completed.stderr}")
    return completed.stdout


def plan_json(stack: str, *options: str) -> dict[str, Any]:
    """`plan --json --show-secrets` for `stack`, with any further options (e.g. `--organization FILE`)."""
    command = [sys.executable, "-m", "automation", "plan", "--stack", stack, "--json", "--show-secrets", *options]
    return json.loads(run(command, PROJECT_DIR))
