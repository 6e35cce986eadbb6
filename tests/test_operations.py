"""preview/up/destroy/refresh through the real Automation API, with a recording stand-in for the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import automation.__main__ as cli
from automation import operations
from automation.operations import StateDirectoryError, backend_environment, run_operation
from tests.aws_env import use_moto
from tests.conftest import PROJECT_DIR
from tests.e2e.moto_server import moto_server
from tests.fake_pulumi import FakePulumiCommand, Scenario

VIOLATION = {
    "message": "policy: statement #0 grants 1 action(s) beyond List/Read: s3:PutObject (Write)",
    "color": "never",
    "policyName": "iam-read-only-actions",
    "policyPackName": "axonius-read-only",
    "policyPackVersion": "",
    "policyPackVersionTag": "",
    "enforcementLevel": "mandatory",
    "resourceUrn": "urn:pulumi:dev::axonius-aws-access::aws:iam/policy:Policy::broad",
}
ADVISORY = VIOLATION | {"enforcementLevel": "advisory", "policyName": "iam-no-action-wildcards", "message": "w"}


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture(autouse=True)
def pulumi_home(monkeypatch, tmp_path, moto_url):
    """No `pulumi login` and no PULUMI_BACKEND_URL: the operations pick the project's file backend. Deploying
    credentials that moto's STS answers for: preview and up look the deploying account up."""
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    use_moto(monkeypatch, moto_url)


def command_args(fake: FakePulumiCommand, operation: str) -> list[str]:
    return next(call["args"] for call in fake.calls if operation in call["args"])


@pytest.mark.parametrize("version", ["3.272.0", "3.200.0"])  # events over gRPC, and through the log file
def test_preview_passes_stack_project_policy_pack_and_config(tmp_path, version):
    fake = FakePulumiCommand(Scenario(changes={"create": 13}, policy_events=[ADVISORY]), version=version)
    result = run_operation("preview", "dev", command=fake)
    args = command_args(fake, "preview")
    assert args[args.index("--stack") + 1] == "dev"
    assert args[args.index("--policy-pack") + 1] == str(PROJECT_DIR / "policy_pack")
    assert Path(args[args.index("--policy-pack-config") + 1]).name == "policy-config.json"  # with the stack's names
    assert "--diff" in args
    assert all(call["cwd"] == str(PROJECT_DIR) for call in fake.calls)  # Pulumi.yaml's stackConfigDir applies
    assert result.succeeded and result.exit_code == 0
    assert result.change_summary == {"create": 13}
    assert [v.policy for v in result.violations] == ["iam-no-action-wildcards"]


def test_a_state_folder_that_cannot_be_made_is_one_line(tmp_path, capsys, monkeypatch):
    checkout = tmp_path / "checkout"
    checkout.write_text("")  # not a folder: nothing can be made inside it (root ignores a read-only mode bit)
    with pytest.raises(StateDirectoryError) as raised:
        backend_environment(checkout, {"PULUMI_HOME": str(tmp_path / "home")})
    message = str(raised.value)
    assert message.startswith(f"cannot create the state folder {checkout / '.pulumi-state'}: ")
    assert "PULUMI_BACKEND_URL" in message and "\n" not in message
    monkeypatch.setattr(operations, "PROJECT_DIR", checkout)
    monkeypatch.setattr(operations, "backend_environment", lambda *_: backend_environment(checkout, {}))
    monkeypatch.setattr(operations.auto, "PulumiCommand", lambda: FakePulumiCommand())
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    assert cli.main(["refresh", "--stack", "dev"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"error: {message}"


def test_the_file_backend_in_the_project_is_the_default(tmp_path):
    env = backend_environment(tmp_path, {"PULUMI_HOME": str(tmp_path / "home")})
    assert env == {"PULUMI_BACKEND_URL": (tmp_path / ".pulumi-state").as_uri()}
    assert (tmp_path / ".pulumi-state").is_dir()
    assert backend_environment(tmp_path, {"PULUMI_BACKEND_URL": "s3://bucket"}) == {}
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "credentials.json").write_text('{"current": "https://api.pulumi.com"}')
    assert backend_environment(tmp_path, {"PULUMI_HOME": str(tmp_path / "home")}) == {}


def test_the_backend_reaches_every_cli_call(tmp_path):
    fake = FakePulumiCommand()
    run_operation("preview", "dev", command=fake)
    assert {call["env"].get("PULUMI_BACKEND_URL") for call in fake.calls} == {(PROJECT_DIR / ".pulumi-state").as_uri()}


def test_up_returns_outputs_with_secrets_kept_secret(tmp_path):
    scenario = Scenario(
        outputs={"userArn": "arn:aws:iam::1:user/A", "secretAccessKey": "s3cr3t"},
        secret_outputs=frozenset({"secretAccessKey"}),
    )
    result = run_operation("up", "prod", command=FakePulumiCommand(scenario))
    assert result.outputs == {"userArn": "arn:aws:iam::1:user/A", "secretAccessKey": "[secret]"}
    shown = run_operation("up", "prod", command=FakePulumiCommand(scenario), show_secrets=True)
    assert shown.outputs["secretAccessKey"] == "s3cr3t"
    fake = FakePulumiCommand(scenario)
    run_operation("up", "prod", command=fake)
    args = command_args(fake, "up")
    assert "--policy-pack" in args and "--yes" in args and args[args.index("--stack") + 1] == "prod"


@pytest.mark.parametrize("operation", ["destroy", "refresh"])
def test_destroy_and_refresh(tmp_path, operation):
    fake = FakePulumiCommand(Scenario(changes={"delete": 20} if operation == "destroy" else {"same": 20}))
    result = run_operation(operation, "dev", command=fake)
    assert result.succeeded and sum(result.change_summary.values()) == 20
    args = command_args(fake, operation)
    assert args[args.index("--stack") + 1] == "dev" and "--policy-pack" not in args


def test_a_mandatory_violation_fails_the_run_with_exit_1(tmp_path):
    scenario = Scenario(policy_events=[VIOLATION], fail_with="error: preview failed: 1 mandatory policy violation")
    result = run_operation("preview", "dev", command=FakePulumiCommand(scenario))
    assert not result.succeeded and result.exit_code == 1
    (violation,) = result.violations
    assert violation.level == "mandatory" and violation.urn.endswith("Policy::broad")
    assert "mandatory policy violation" in result.message


def test_a_config_error_from_the_program_exits_2(tmp_path):
    scenario = Scenario(fail_with="error: pulumi:pulumi:Stack: invalid configuration for stack dev:\nuser.name: ...")
    result = run_operation("up", "dev", command=FakePulumiCommand(scenario))
    assert result.exit_code == 2


def test_the_command_line_streams_progress_and_summarises(capsys, monkeypatch, tmp_path):
    fake = FakePulumiCommand(Scenario(changes={"create": 3}, policy_events=[VIOLATION], fail_with="boom"))
    monkeypatch.setattr(operations.auto, "PulumiCommand", lambda: fake)
    code = cli.main(["preview", "--stack", "dev"])
    captured = capsys.readouterr()
    assert code == 1
    assert "Previewing preview (fake engine)" in captured.out
    assert "preview of stack dev failed" in captured.err
    assert "[mandatory] iam-read-only-actions" in captured.err


def test_no_policy_pack_when_asked(capsys, monkeypatch, tmp_path):
    fake = FakePulumiCommand()
    monkeypatch.setattr(operations.auto, "PulumiCommand", lambda: fake)
    assert cli.main(["preview", "--stack", "dev", "--no-policy-pack"]) == 0
    assert "--policy-pack" not in command_args(fake, "preview")
    assert "preview of stack dev succeeded" in capsys.readouterr().out


def test_without_the_cli_preview_exits_2_with_how_to_install(tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent), "PULUMI_HOME": str(tmp_path)}
    assert not any((Path(p) / "pulumi").exists() for p in env["PATH"].split(os.pathsep))
    done = subprocess.run(
        [sys.executable, "-m", "automation", "preview", "--stack", "dev"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "the Pulumi CLI is not installed or not on PATH" in done.stderr
    assert "https://www.pulumi.com/docs/install/" in done.stderr and "plan --stack" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_path_whose_pulumi_cannot_be_executed_is_one_line(tmp_path):
    """A folder on PATH the user may not search, or a `pulumi` there without the execute bit: exec says EACCES
    (root may search any folder, so the file stands for both here)."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "pulumi").write_text("#!/bin/sh\necho v3.274.0\n")  # mode 644: not executable by anyone
    env = {**os.environ, "PATH": f"{blocked}:{Path(sys.executable).parent}", "PULUMI_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "automation", "verify", "--stack", "dev"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: cannot read the outputs of stack dev: the Pulumi CLI on PATH cannot be run (")
    assert "Permission denied" in line


@pytest.mark.parametrize("operation", ["preview", "up", "refresh", "destroy"])
def test_a_stack_without_a_stack_file_is_refused_before_the_cli_runs(capsys, monkeypatch, tmp_path, operation):
    fake = FakePulumiCommand()
    monkeypatch.setattr(operations.auto, "PulumiCommand", lambda: fake)
    assert cli.main([operation, "--stack", "prdo"]) == 2
    err = capsys.readouterr().err
    assert f"no stack file for stack 'prdo': {PROJECT_DIR / 'stacks' / 'Pulumi.prdo.yaml'} does not exist" in err
    assert "pass --create" in err
    assert fake.calls == []


def test_create_runs_a_stack_that_has_no_stack_file_yet(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    fake = FakePulumiCommand()
    with pytest.raises(operations.StackFileMissingError):
        run_operation("preview", "org/p/fresh", project_dir=project, command=fake)
    assert fake.calls == []
    # No pack here: the project folder holds only Pulumi.yaml.
    result = run_operation("preview", "org/p/fresh", project_dir=project, command=fake, create=True, policy_packs=[])
    args = command_args(fake, "preview")
    assert result.succeeded and args[args.index("--stack") + 1] == "org/p/fresh"
    # The SDK writes `Pulumi.<stack>.yaml` beside Pulumi.yaml (ignoring stackConfigDir, pulumi/pulumi#10305) only
    # for a workspace built with stack_settings=; ours is not, so the only file the run adds is the state folder.
    assert sorted(path.name for path in project.iterdir()) == [operations.STATE_DIR, "Pulumi.yaml"]
