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
from tests.conftest import PROJECT_DIR
from tests.fake_pulumi import FakePulumiCommand

CONFIG_FILE = PROJECT_DIR / "policy_pack" / "policy-config.json"
RENAMED = {
    "config": {
        "aws:region": "us-east-1",
        "axonius-aws-access:user": {"name": "Inventory-User", "path": "/inventory/"},
        "axonius-aws-access:roles": {"name": "Inventory-Role", "accounts": [{"id": "222222222222"}]},
    }
}


@pytest.fixture
def renamed_stack(tmp_path):
    path = tmp_path / "Pulumi.renamed.yaml"
    path.write_text(yaml.safe_dump(RENAMED))
    return path


def test_the_stack_names_join_the_config_file(renamed_stack):
    settings = read_stack_settings(renamed_stack)
    config = stack_pack_config(CONFIG_FILE, settings)
    assert config["iam-read-only-actions"] == {"assumableRoleNames": ["Inventory-Role"]}
    assert config["iam-customer-policy-attachments"] == {"assumableRoleNames": ["Inventory-Role"]}
    assert config["iam-role-trust"] == {
        "enforcementLevel": "mandatory",
        "maxSessionDuration": 14400,
        "trustedPrincipals": ["Inventory-User"],
    }
    assert config["iam-no-sensitive-reads"] == read_pack_config(CONFIG_FILE)["iam-no-sensitive-reads"]
    exact = "arn:aws:iam::111111111111:user/inventory/Inventory-User"
    assert stack_pack_config(CONFIG_FILE, settings, exact)["iam-role-trust"]["trustedPrincipals"] == [exact]


def test_names_the_config_file_lists_are_kept(tmp_path, renamed_stack):
    own = tmp_path / "config.json"
    own.write_text(json.dumps({"iam-read-only-actions": {"assumableRoleNames": ["Audit-Role"]}}))
    config = stack_pack_config(own, read_stack_settings(renamed_stack))
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


@pytest.mark.parametrize("operation", ["preview", "up"])
def test_preview_and_up_pass_the_stack_names(tmp_path, monkeypatch, operation):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path))
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: axonius-aws-access\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks" / "Pulumi.renamed.yaml").write_text(yaml.safe_dump(RENAMED))
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
    assert fake.pack_config == stack_pack_config(
        CONFIG_FILE, read_stack_settings(project / "stacks/Pulumi.renamed.yaml")
    )
    assert fake.pack_config["iam-role-trust"]["trustedPrincipals"] == ["Inventory-User"]


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


def test_pack_config_prints_what_preview_would_pass(capsys, renamed_stack):
    assert cli.main(["pack-config", "--stack", "dev"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = stack_pack_config(CONFIG_FILE, read_stack_settings(PROJECT_DIR / "stacks" / "Pulumi.dev.yaml"))
    assert printed == expected
    assert cli.main(["pack-config", "--stack", "dev", "--policy-pack-config", str(renamed_stack)]) == 2
    assert "policy config file" in capsys.readouterr().err


def test_a_names_entry_that_is_not_a_list_is_an_error(tmp_path, renamed_stack):
    own = tmp_path / "config.json"
    own.write_text(json.dumps({"iam-role-trust": {"trustedPrincipals": "Inventory-User"}}))
    with pytest.raises(PolicyPackError, match=r"iam-role-trust\.trustedPrincipals is 'Inventory-User'"):
        stack_pack_config(own, read_stack_settings(renamed_stack))
