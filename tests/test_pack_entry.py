"""The pack starts as the engine starts it, importing its rules as `policy_pack.rules` from this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile

from tests.conftest import PROJECT_DIR

ENGINE_ENV = {"PULUMI_CONFIG": "{}", "PULUMI_PROJECT": "axonius-aws-access", "PULUMI_STACK": "dev"}


def start_pack(*python_options: str, extra_env: dict[str, str] | None = None) -> tuple[str, str]:
    """`python -u -m pulumi.policy <engine> .` in policy_pack/; the first line it prints, and what it logged."""
    command = [sys.executable, *python_options, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."]
    env = {**os.environ, **ENGINE_ENV, **(extra_env or {})}
    with tempfile.TemporaryFile("w+") as log:  # not a pipe: `-v` logs more than a pipe holds before the port
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR / "policy_pack", env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            first_line = process.stdout.readline().strip() if process.stdout else ""
        finally:
            process.kill()
            process.communicate()
        log.seek(0)
        return first_line, log.read()


def test_the_pack_imports_this_checkouts_rules_under_one_name():
    port, log = start_pack("-v")
    assert port.isdigit(), log[-2000:]
    assert f"code object from {PROJECT_DIR / 'policy_pack' / 'rules' / 'policies.py'}" in log
    assert "import 'policy_pack.rules.policies'" in log
    assert "import 'rules" not in log  # never a second name for the same files


def test_the_pack_starts_in_a_venv_without_the_project_on_its_path():
    """`-S` skips site-packages' .pth files (make setup writes one naming the project root); the libraries stay."""
    port, log = start_pack("-S", extra_env={"PYTHONPATH": sysconfig.get_paths()["purelib"]})
    assert port.isdigit(), log[-2000:]
