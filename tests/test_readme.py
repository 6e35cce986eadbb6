"""The README's commands run: `sh` blocks line by line (CI runs `make test` itself), the Python example as is."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from automation import operations
from automation.pack_client import evaluate_stack, mandatory, read_pack_config
from automation.plan import plan
from tests.aws_env import MOTO_ACCOUNT, use_moto
from tests.conftest import PROJECT_DIR
from tests.e2e.moto_server import moto_server
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
    (example,) = [block for block in blocks("python") if "from automation import" in block]
    exec(compile(example, "README.md", "exec"), {})


def test_every_automation_command_in_the_readme_is_a_real_subcommand():
    from automation.__main__ import parser

    subcommands = set(parser()._subparsers._group_actions[0].choices)
    for match in re.findall(r"python -m automation ([\w-]+)", README):
        assert match in subcommands


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_the_deploy_commands_give_the_dev_stack_no_mandatory_finding(monkeypatch):
    """The README's preview for dev, offline: its pack-config line as written (STS is moto's), then the pack and
    config its `pulumi preview` line names, on what the program declares in that account."""
    (commands,) = re.findall(r"```text\n(.*?)```", section("Deploying for real"), flags=re.DOTALL)[:1]
    lines = [line.split("  #")[0].strip() for line in commands.splitlines()]
    (pack_config,) = [line for line in lines if "automation pack-config --stack dev" in line]
    (preview,) = [line for line in lines if line.startswith("pulumi preview -s dev ")]
    words = preview.split()
    pack, config_file = words[words.index("--policy-pack") + 1], words[words.index("--policy-pack-config") + 1]
    written = PROJECT_DIR / config_file  # the command runs in the checkout, as the README's reader does
    try:
        with moto_server() as url:
            use_moto(monkeypatch, url)
            done = subprocess.run(pack_config, shell=True, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        config = read_pack_config(written)
    finally:
        written.unlink(missing_ok=True)
    assert config["iam-role-trust"]["trustedPrincipals"] == [f"arn:aws:iam::{MOTO_ACCOUNT}:user/Axonius-Readonly-Dev"]
    resources = plan("dev", home_account=MOTO_ACCOUNT, policies=False).resources
    assert mandatory(evaluate_stack(PROJECT_DIR / pack, "dev", resources, config)) == ()
    assert "policy_pack/policy-config.json" not in preview  # the shipped file alone: three mandatory findings


def test_the_configuration_table_names_each_key_once():
    keys = re.findall(r"^\| `([a-zA-Z.\[\]]+)`", section("Configuration reference"), flags=re.MULTILINE)
    assert len(keys) > 20
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_every_error_and_result_the_readme_says_automation_gives_is_exported():
    import automation

    named = set(re.findall(r"`([A-Z]\w+(?:Error|Result))`", section("Embedding")))
    assert {"PlanError", "StackFileMissingError", "OperationResult"} <= named
    assert named <= set(automation.__all__)


def test_every_stack_file_names_the_schema_and_passes_it_as_check_jsonschema_reads_it(tmp_path):
    stacks = sorted((PROJECT_DIR / "stacks").glob("Pulumi.*.yaml"))
    assert len(stacks) >= 3
    for stack in stacks:
        assert stack.read_text().splitlines()[0] == "# yaml-language-server: $schema=./schema.json", stack.name
    check = [str(PROJECT_DIR / "venv" / "bin" / "check-jsonschema"), "--schemafile"]
    schema = str(PROJECT_DIR / "stacks" / "schema.json")
    done = subprocess.run([*check, schema, *map(str, stacks)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    escaped = tmp_path / "escaped.json"  # the validator's default regex mode refuses `\-`, as it did ours
    escaped.write_text(json.dumps({"propertyNames": {"pattern": "^(?!axonius\\-aws:)"}}))
    refused = subprocess.run([*check, str(escaped), str(stacks[0])], capture_output=True, text=True, check=False)
    assert refused.returncode != 0
