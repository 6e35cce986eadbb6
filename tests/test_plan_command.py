"""`python -m automation plan`: text, JSON, role file, secrets and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import automation.__main__ as cli
from automation.plan import plan
from tests.conftest import PROJECT_DIR

SECURE_EXTERNAL_ID = (
    "config:\n"
    "  aws:region: us-east-1\n"
    "  axonius-aws-access:roles:\n"
    "    accounts:\n"
    "      - id: '222222222222'\n"
    "        externalId:\n"
    "          secure: v1:AAAAbm90IHJlYWxseSBjaXBoZXJ0ZXh0\n"
)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["plan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_lists_resources_by_account_outputs_and_verdicts(capsys):
    code, out, _ = run_cli(capsys, "--stack", "prod")
    assert code == 0
    assert out.startswith("Stack prod: 40 resources in 4 account(s)")
    assert "Account 111111111111 (home: the inventory user)" in out
    assert "Account 222222222222 (deployed through arn:aws:iam::222222222222:role/OrganizationAccountAccessRole)" in out
    assert "policy Axonius-Readonly-ReadOnly-1 (6,137 chars)" in out
    assert re.search(r"\n  secretAccessKey +\[secret\]", out) and re.search(r"\n  roleArnFileJson +\[secret\]", out)
    assert "Policy pack: 0 finding(s), 0 mandatory" in out


def test_json_is_one_object_with_secrets_hidden(capsys):
    code, out, _ = run_cli(capsys, "--stack", "dev", "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"stack", "resources", "outputs", "violations", "providerProcesses"}
    assert result["stack"] == "dev" and result["violations"] == []
    resource = result["resources"][0]
    assert set(resource) == {"urn", "type", "name", "parent", "provider", "inputs"}
    assert result["outputs"]["secretAccessKey"] == "[secret]"
    assert result["outputs"]["roleArns"] == ["arn:aws:iam::222222222222:role/Axonius-Readonly-Dev-Role"]


def test_show_secrets_reveals_them(capsys):
    _, out, _ = run_cli(capsys, "--stack", "prod", "--json", "--show-secrets")
    outputs = json.loads(out)["outputs"]
    assert len(outputs["secretAccessKey"]) == 40
    assert {"arn": "arn:aws:iam::222222222222:role/Axonius-Readonly-Role", "external_id": "axonius-prod-workloads"} in (
        json.loads(outputs["roleArnFileJson"])
    )


def test_role_file_is_written_in_the_json_format(capsys, tmp_path):
    role_file = tmp_path / "roles.json"
    code, out, _ = run_cli(capsys, "--stack", "prod", "--role-file", str(role_file))
    assert code == 0 and f"Role file written to {role_file}" in out
    entries = json.loads(role_file.read_text())
    assert [entry.get("external_id") for entry in entries] == ["axonius-prod-workloads", "axonius-prod-data", None]


def test_secure_values_become_placeholders_and_stay_secret(capsys, tmp_path):
    stack = tmp_path / "Pulumi.sec.yaml"
    stack.write_text(SECURE_EXTERNAL_ID)
    code, out, _ = run_cli(capsys, "--stack", "sec", "--config-file", str(stack), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["outputs"]["roleArnFileJson"] == "[secret]"
    assert result["violations"] == []  # the pack reads the secret trust policy, as the engine lets it
    (role,) = [r for r in result["resources"] if r["type"] == "aws:iam/role:Role"]
    assert role["inputs"]["assumeRolePolicy"] == "[secret]"


def test_no_role_file_from_a_placeholder_external_id(capsys, tmp_path):
    stack = tmp_path / "Pulumi.sec.yaml"
    stack.write_text(SECURE_EXTERNAL_ID)
    role_file = tmp_path / "roles.json"
    code, out, err = run_cli(capsys, "--stack", "sec", "--config-file", str(stack), "--role-file", str(role_file))
    assert code == 2 and out == ""
    assert "an external ID is a `secure:` value" in err
    assert "pulumi stack output roleArnFileJson --show-secrets -s sec" in err
    assert not role_file.exists()


@pytest.mark.parametrize("where", ["missing-folder/roles.json", "."])
def test_a_role_file_that_cannot_be_written_exits_2(capsys, tmp_path, where):
    target = tmp_path / where
    code, out, err = run_cli(capsys, "--stack", "dev", "--role-file", str(target))
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot write the role file {target}: ")


def test_bad_config_exits_2_with_every_problem(capsys, tmp_path):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  axonius-aws-access:user:\n    name: bad name\n    acessKey: true\n")
    code, out, err = run_cli(capsys, "--stack", "bad", "--config-file", str(stack))
    assert code == 2 and out == ""
    assert "user.name: 'bad name' is not accepted" in err
    assert "user.acessKey: unknown key (did you mean accessKey?); accepted keys are name, path, accessKey" in err


def test_missing_stack_and_bad_usage_exit_2_without_a_traceback():
    command = [sys.executable, "-m", "automation", "plan", "--stack", "nope"]
    missing = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert missing.returncode == 2
    assert "cannot read stack file" in missing.stderr and "Traceback" not in missing.stderr
    usage = subprocess.run(command[:4], cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "--stack" in usage.stderr


@pytest.fixture
def broad_project(tmp_path: Path) -> Path:
    """A copy of the project whose program declares a policy the pack must reject."""
    for name in ("components", "policy_pack", "stacks", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    (tmp_path / "__main__.py").write_text(
        "import json\nimport pulumi_aws as aws\n"
        "aws.iam.Policy('broad', policy=json.dumps({'Version': '2012-10-17', 'Statement': "
        "[{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))\n"
    )
    return tmp_path


def test_a_mandatory_violation_exits_1(capsys, broad_project, monkeypatch):
    real_plan = plan
    monkeypatch.setattr(cli, "plan", lambda stack, **kw: real_plan(stack, project_dir=broad_project, **kw))
    code, out, _ = run_cli(capsys, "--stack", "dev")
    assert code == 1
    assert "[mandatory] iam-read-only-actions" in out
    assert "action(s) beyond List/Read: s3:AbortMultipartUpload (Write)" in out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_our_own_stacks_have_no_findings_at_any_level(stack):
    result = plan(stack)
    assert result.violations == ()
    assert result.exit_code == 0
    assert sum(r.custom for r in result.resources) > 10


def exit_and_error(capsys, argv: list[str]) -> tuple[int, list[str]]:
    try:
        code = cli.main(argv)
    except SystemExit as stopped:  # argparse's usage errors
        code = int(stopped.code or 0)
    return code, capsys.readouterr().err.splitlines()


NO_REGION = "config:\n  axonius-aws-access:user: {name: No-Region}\n"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["plan", "--stack", "dev", "--home-account", "1234"], "--home-account: '1234' is not accepted"),
        (["deployer-policy", "--stack", "dev", "--home-account", "12345678901x"], "--home-account"),
        (["preview", "--stack", "dev", "--home-account", "1"], "--home-account"),
        (["pack-config", "--stack", "dve", "--home-account", "111111111111"], "--stack 'dve'"),
        (["plan", "--stack", "../../etc/passwd"], "--stack: '../../etc/passwd' is not accepted"),
        (["up", "--stack", "dev prod"], "--stack"),
        (["plan", "--stack", "org"], "--organization FILE"),
        (
            ["deployer-policy", "--stack", "dev", "--home-account", "111111111111", "--preview-role", "no!"],
            "--preview-role",
        ),
        (
            ["destroy", "--stack", "dev", "--policy-pack-config", "x.json"],
            "unrecognized arguments: --policy-pack-config",
        ),
        (["refresh", "--stack", "dev", "--no-policy-pack"], "unrecognized arguments: --no-policy-pack"),
        (["preview", "--stack", "dev", "--no-policy-pack", "--policy-pack-config", "x.json"], "not allowed with"),
        (["verify", "--outputs", "o.json", "--connect-timeout", "soon"], "--connect-timeout"),
        (["verify", "--outputs", "o.json", "--key-slot", "3"], "--key-slot"),
        (["verify", "--stack", "dev;rm"], "--stack: 'dev;rm' is not accepted"),
        (["up", "--stack", "dev", "--no-policy-pack", "--home-account", "111111111111"], "--home-account"),
    ],
)
def test_each_bad_option_is_exit_2_and_one_line_naming_it(capsys, argv, named):
    code, lines = exit_and_error(capsys, argv)
    assert code == 2
    (line,) = lines
    assert named in line


def test_a_stack_without_a_region_does_not_plan(capsys, tmp_path):
    stack = tmp_path / "Pulumi.bare.yaml"
    stack.write_text(NO_REGION)
    code, lines = exit_and_error(capsys, ["plan", "--stack", "bare", "--config-file", str(stack)])
    assert code == 2
    assert lines == [
        "error: stack bare sets no aws:region, which the AWS provider needs to preview or deploy: "
        "`pulumi config set aws:region us-east-1 -s bare`"
    ]
    stack.write_text(NO_REGION + "  aws:region: eu-west-1\n")
    assert exit_and_error(capsys, ["plan", "--stack", "bare", "--config-file", str(stack)])[0] == 0
