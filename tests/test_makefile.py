"""`make setup` with a Python it cannot use: one line saying so, and no half-built venv/ left behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

# Stand-ins for interpreters, answering only what the Makefile asks: the version check (-c), -V and -m venv.
OLD_PYTHON = '#!/bin/sh\ncase "$1" in -V) echo "Python 3.10.14";; -c) exit 1;; *) mkdir -p venv/bin; exit 1;; esac\n'
BROKEN_VENV = '#!/bin/sh\ncase "$1" in -V) echo "Python 3.12.1";; -c) exit 0;; *) mkdir -p venv/bin; exit 1;; esac\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    setup_inputs = (
        "requirements.txt",
        "requirements-dev.txt",
        "policy_pack/requirements.txt",
        "tests/node/package-lock.json",
    )
    for name in ("Makefile", *setup_inputs):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def make_setup(project: Path, interpreter: str) -> subprocess.CompletedProcess[str]:
    python = project / "python"
    python.write_text(interpreter)
    python.chmod(0o755)
    return subprocess.run(
        ["make", "setup", f"PYTHON={python}"], cwd=project, capture_output=True, text=True, check=False
    )


def test_an_old_python_is_named_in_one_line_and_nothing_is_built(project):
    done = make_setup(project, OLD_PYTHON)
    assert done.returncode != 0
    (ours,) = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours == f"error: Python 3.11 or newer is needed; {project / 'python'} is Python 3.10.14 " + (
        "(try: make setup PYTHON=python3.11)"
    )
    assert not (project / "venv").exists()


def test_a_venv_that_fails_to_build_is_removed(project):
    done = make_setup(project, BROKEN_VENV)
    assert done.returncode != 0
    assert not (project / "venv").exists()
