"""The README's commands run: `sh` blocks line by line (CI runs `make test` itself), the Python example as is."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from automation import operations
from tests.conftest import PROJECT_DIR
from tests.fake_pulumi import FakePulumiCommand

README = (PROJECT_DIR / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


SH_COMMANDS = [line for block in blocks("sh") for line in block.splitlines() if line.strip()]


def test_the_readme_shows_the_two_commands():
    assert SH_COMMANDS[:2] == ["make plan", "make test"]


@pytest.mark.parametrize("command", [c for c in SH_COMMANDS if c != "make test"])
def test_each_shell_command_runs(command, tmp_path):
    done = subprocess.run(command, shell=True, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (PROJECT_DIR / "roles.json").unlink(missing_ok=True)


def test_the_policy_config_example_is_valid_json():
    (example,) = blocks("json")
    assert set(json.loads(example)) == {"iam-no-sensitive-reads"}


def test_the_automation_api_example_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(operations.auto, "PulumiCommand", lambda: FakePulumiCommand())
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    (example,) = blocks("python")
    exec(compile(example, "README.md", "exec"), {})


def test_every_automation_command_in_the_readme_is_a_real_subcommand():
    from automation.__main__ import parser

    subcommands = set(parser()._subparsers._group_actions[0].choices)
    for match in re.findall(r"python -m automation ([\w-]+)", README):
        assert match in subcommands
