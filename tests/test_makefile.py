"""The Makefile: `make plan` installs only what the program needs (no npm), `make test` the test tools too;
a Python it cannot use, or a venv/ an older one left, is one line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from automation.stack_schema import write_schema
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
    (tmp_path / "component_provider").mkdir()
    return tmp_path


# A venv/ interpreter that records what it is asked to run and succeeds (Python 3.12 to the version check).
RECORDING = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../calls"\ncase "$1" in -V) echo "Python 3.12.1";; esac\nexit 0\n'
# What Python 3.10 left: an interpreter that works, but is too old for the project.
PYTHON_310 = (
    '#!/bin/sh\ncase "$1" in -V) echo "Python 3.10.14";; -c) exit 1;; esac\n'
    'echo "Traceback (most recent call last):" >&2; exit 1\n'
)


def venv_python(project: Path, script: str) -> Path:
    python = project / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(script)
    python.chmod(0o755)
    return project / "venv" / "calls"


def make(project: Path, *args: str, without_npm: bool = False) -> subprocess.CompletedProcess[str]:
    prefix = [str(PROJECT_DIR / ".ci" / "without-npm")] if without_npm else []
    return subprocess.run([*prefix, "make", *args], cwd=project, capture_output=True, text=True, check=False)


def test_make_plan_installs_only_the_program_and_needs_no_npm(project):
    calls = venv_python(project, RECORDING)
    done = make(project, "plan", without_npm=True)
    assert done.returncode == 0, done.stderr
    ran = calls.read_text().splitlines()
    assert "-m pip install --quiet -r requirements.txt" in ran
    assert not any("requirements-dev" in line for line in ran)
    assert ran[-1] == "-m automation plan --stack dev"
    assert "npm" not in done.stdout


def test_make_test_adds_the_test_tools_and_says_in_one_line_when_npm_is_missing(project):
    venv_python(project, RECORDING)
    done = make(project, "lint", without_npm=True)
    assert done.returncode != 0
    (ours,) = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours.startswith("error: make test needs npm (Node.js 20+)") and ours.endswith("make plan does not")
    dry = make(project, "-n", "test").stdout
    assert "pip install --quiet -r requirements-dev.txt" in dry and "npm ci --prefix tests/node" in dry


def test_make_plan_passes_the_organization_file(project):
    calls = venv_python(project, RECORDING)
    assert make(project, "plan", "STACK=org", "ORGANIZATION=stacks/organization.org.json").returncode == 0
    assert calls.read_text().splitlines()[-1] == (
        "-m automation plan --stack org --organization stacks/organization.org.json"
    )


@pytest.mark.parametrize("target", ["setup", "plan"])
def test_a_venv_left_by_python_310_is_one_line_and_kept(project, target):
    venv_python(project, PYTHON_310)
    if target == "plan":
        (project / "venv" / ".installed").touch()  # set up before, by the old interpreter
    done = make(project, target)
    assert done.returncode != 0
    (ours,) = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours == (
        "error: venv/ was made by Python 3.10.14; Python 3.11 or newer is needed: remove it (rm -rf venv) and run "
        "make again"
    )
    assert (project / "venv" / "bin" / "python").exists()  # the user's folder: not ours to delete


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


def test_make_schema_in_a_checkout_that_cannot_be_written_is_one_line(tmp_path, capsys):
    checkout = tmp_path / "checkout"
    checkout.write_text("")  # not a folder: nothing inside it can be written (root ignores read-only modes)
    assert write_schema(checkout / "stacks" / "schema.json") == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"error: cannot write {checkout / 'stacks' / 'schema.json'}: Not a directory"
