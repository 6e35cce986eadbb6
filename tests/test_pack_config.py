"""plan, preview and up give the pack one config: the policy config file plus the stack's own names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import automation.__main__ as cli
from automation.operations import run_operation
from automation.pack_client import PolicyPackError, evaluate_stack, mandatory, read_pack_config, stack_pack_config
from automation.plan import plan
from automation.stack_file import read_stack_settings
from tests.aws_env import MOTO_ACCOUNT, use_moto, use_no_credentials
from tests.conftest import PROJECT_DIR
from tests.e2e.moto_server import moto_server
from tests.fake_pulumi import FakePulumiCommand

CONFIG_FILE = PROJECT_DIR / "policy_pack" / "policy-config.json"
RENAMED = {
    "config": {
        "aws:region": "us-east-1",
        "axonius-aws-access:user": {"name": "Inventory-User", "path": "/inventory/"},
        "axonius-aws-access:roles": {"name": "Inventory-Role", "accounts": [{"id": "222222222222"}]},
    }
}


EXACT = "arn:aws:iam::111111111111:user/inventory/Inventory-User"
AT_MOTO = f"arn:aws:iam::{MOTO_ACCOUNT}:user/inventory/Inventory-User"


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture
def renamed_stack(tmp_path):
    path = tmp_path / "Pulumi.renamed.yaml"
    path.write_text(yaml.safe_dump(RENAMED))
    return path


def test_the_stack_names_join_the_config_file(renamed_stack):
    settings = read_stack_settings(renamed_stack)
    config = stack_pack_config(CONFIG_FILE, settings, EXACT)
    assert config["iam-read-only-actions"] == {"assumableRoleNames": ["Inventory-Role"]}
    assert config["iam-customer-policy-attachments"] == {"assumableRoleNames": ["Inventory-Role"]}
    assert config["iam-role-trust"] == {
        "enforcementLevel": "mandatory",
        "maxSessionDuration": 14400,
        "trustedPrincipals": [EXACT],  # never the bare name: that would trust a user of it in any account
    }
    assert config["iam-no-sensitive-reads"] == read_pack_config(CONFIG_FILE)["iam-no-sensitive-reads"]


def test_names_the_config_file_lists_are_kept(tmp_path, renamed_stack):
    own = tmp_path / "config.json"
    own.write_text(json.dumps({"iam-read-only-actions": {"assumableRoleNames": ["Audit-Role"]}}))
    config = stack_pack_config(own, read_stack_settings(renamed_stack), EXACT)
    assert config["iam-read-only-actions"]["assumableRoleNames"] == ["Audit-Role", "Inventory-Role"]


def test_a_renamed_stack_plans_clean_and_would_not_without_its_names(renamed_stack):
    result = plan("renamed", config_file=renamed_stack)
    assert result.violations == ()
    without_names = evaluate_stack(
        PROJECT_DIR / "policy_pack", "renamed", result.resources, read_pack_config(CONFIG_FILE)
    )
    rejected = {v.policy for v in mandatory(without_names)}
    assert rejected == {
        "iam-read-only-actions",
        "iam-role-trust",
        "iam-customer-policy-attachments",
        "iam-adopted-identities",
    }


def test_plan_applies_the_policy_config_file(tmp_path, capsys):
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"iam-no-sensitive-reads": {"enforcementLevel": "mandatory"}}))
    assert cli.main(["plan", "--stack", "dev"]) == 0  # the project's file allows apigateway:GET by name
    assert cli.main(["plan", "--stack", "dev", "--policy-pack-config", str(strict)]) == 1
    assert "apigateway:GET (Read)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ('{"no-such-policy": {}}', "'no-such-policy', which is not a policy of this pack"),
        ('{"iam-role-trust": {"enforcementLevel": "strict"}}', "enforcementLevel is 'strict'"),
    ],
)
def test_a_bad_policy_config_file_exits_2(tmp_path, capsys, content, expected):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert cli.main(["plan", "--stack", "dev", "--policy-pack-config", str(bad)]) == 2
    assert expected in capsys.readouterr().err


class ConfigRecordingCommand(FakePulumiCommand):
    """Reads the policy config file while the operation runs (it is a temporary file)."""

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        if "--policy-pack-config" in args:
            self.pack_config = json.loads(Path(args[args.index("--policy-pack-config") + 1]).read_text())
        return super().run(args, cwd, additional_env, on_output, on_error)


def renamed_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: axonius-aws-access\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks" / "Pulumi.renamed.yaml").write_text(yaml.safe_dump(RENAMED))
    return project


@pytest.mark.parametrize("operation", ["preview", "up"])
def test_preview_and_up_trust_the_users_exact_arn_in_the_deploying_account(tmp_path, monkeypatch, moto_url, operation):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    use_moto(monkeypatch, moto_url)  # STS answers for the deploying credentials: account 123456789012
    project = renamed_project(tmp_path)
    fake = ConfigRecordingCommand()
    result = run_operation(
        operation,
        "renamed",
        project_dir=project,
        policy_packs=[PROJECT_DIR / "policy_pack"],
        policy_pack_config=CONFIG_FILE,
        command=fake,
    )
    assert result.succeeded
    settings = read_stack_settings(project / "stacks/Pulumi.renamed.yaml")
    assert fake.pack_config == stack_pack_config(CONFIG_FILE, settings, AT_MOTO)
    assert fake.pack_config["iam-role-trust"]["trustedPrincipals"] == [AT_MOTO]
    given = ConfigRecordingCommand()
    options = {"project_dir": project, "policy_pack_config": CONFIG_FILE, "command": given}
    assert run_operation(operation, "renamed", home_account="111111111111", **options).succeeded
    assert given.pack_config["iam-role-trust"]["trustedPrincipals"] == [EXACT]


def test_preview_without_deploying_credentials_stops_before_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    use_no_credentials(monkeypatch, tmp_path)
    fake = FakePulumiCommand()
    result = run_operation("preview", "renamed", project_dir=renamed_project(tmp_path), command=fake)
    assert result.exit_code == 2 and fake.calls == []
    assert "cannot look up the deploying account" in result.message and "--home-account" in result.message


def test_an_sts_endpoint_that_does_not_answer_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    use_moto(monkeypatch, "http://127.0.0.1:1")  # nothing listens on port 1
    result = run_operation("up", "renamed", project_dir=renamed_project(tmp_path), command=FakePulumiCommand())
    assert result.exit_code == 2
    assert result.message.startswith("cannot reach AWS STS at http://127.0.0.1:1: ")


def test_a_bad_stack_config_stops_preview_before_the_cli_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: axonius-aws-access\nruntime: python\nstackConfigDir: stacks\n")
    bad = {"config": {"axonius-aws-access:roles": {"name": "not a name!"}}}
    (project / "stacks" / "Pulumi.bad.yaml").write_text(yaml.safe_dump(bad))
    fake = FakePulumiCommand()
    result = run_operation("preview", "bad", project_dir=project, command=fake)
    assert result.exit_code == 2 and "roles.name" in result.message and fake.calls == []


def test_pack_config_prints_what_preview_would_pass(capsys, monkeypatch, moto_url, renamed_stack):
    use_moto(monkeypatch, moto_url)
    assert cli.main(["pack-config", "--stack", "dev"]) == 0
    printed = json.loads(capsys.readouterr().out)
    settings = read_stack_settings(PROJECT_DIR / "stacks" / "Pulumi.dev.yaml")
    expected = stack_pack_config(CONFIG_FILE, settings, f"arn:aws:iam::{MOTO_ACCOUNT}:user/Axonius-Readonly-Dev")
    assert printed == expected
    assert cli.main(["pack-config", "--stack", "renamed", "--config-file", str(renamed_stack)]) == 0
    assert json.loads(capsys.readouterr().out)["iam-role-trust"]["trustedPrincipals"] == [AT_MOTO]
    assert cli.main(["pack-config", "--stack", "dev", "--policy-pack-config", str(renamed_stack)]) == 2
    assert "policy config file" in capsys.readouterr().err


def test_pack_config_without_credentials_says_so_and_takes_the_account(capsys, monkeypatch, tmp_path, renamed_stack):
    use_no_credentials(monkeypatch, tmp_path)
    assert cli.main(["pack-config", "--stack", "dev"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no name-only config to fall back on
    (line,) = captured.err.splitlines()
    assert line.startswith("error: cannot look up the deploying account") and "--home-account ID" in line
    arguments = ["pack-config", "--stack", "renamed", "--config-file", str(renamed_stack)]
    assert cli.main([*arguments, "--home-account", "111111111111"]) == 0
    assert json.loads(capsys.readouterr().out)["iam-role-trust"]["trustedPrincipals"] == [EXACT]


def test_pack_config_of_a_stack_without_a_file_is_a_usage_error(capsys):
    assert cli.main(["pack-config", "--stack", "dve", "--home-account", "111111111111"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: no stack file for --stack 'dve': ") and line.endswith("does not exist")


def test_a_names_entry_that_is_not_a_list_is_an_error(tmp_path, renamed_stack):
    own = tmp_path / "config.json"
    own.write_text(json.dumps({"iam-role-trust": {"trustedPrincipals": "Inventory-User"}}))
    with pytest.raises(PolicyPackError, match=r"iam-role-trust\.trustedPrincipals is 'Inventory-User'"):
        stack_pack_config(own, read_stack_settings(renamed_stack), EXACT)
