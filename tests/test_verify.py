"""verify without the cloud: reading the stack's outputs, usage errors, the pure checks and the report.

The checks against AWS semantics run against moto in tests/e2e/test_verify_moto.py.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

import automation.__main__ as cli
from automation.aws_client import Timeouts
from automation.verify import (
    FAIL,
    PASS,
    WARN,
    CheckResult,
    ClusterEntry,
    RoleEntry,
    VerifyUsageError,
    action_matches,
    aws_session,
    document_allows,
    exit_code,
    key_age_result,
    read_stack_outputs,
    render_matrix,
    target_from_outputs,
    to_json,
)
from tests.aws_env import use_moto
from tests.e2e.moto_server import free_port, moto_server
from tests.fake_pulumi import FakePulumiCommand, Scenario

STACK = {
    "permissions": {"sets": ["adapter", "security-services"]},
    "roles": {"accounts": [{"id": "222222222222"}, {"id": "333333333333", "externalId": "MY-SECRET"}]},
    "eks": {"clusters": [{"name": "prod-eks", "region": "eu-west-1", "account": "222222222222"}]},
    "user": {"activeKey": 2, "otherKey": "inactive"},
}


@pytest.fixture(scope="module")
def outputs() -> dict:
    from automation.mock_engine import AwsMocks, run_program
    from tests.conftest import PROJECT_DIR, stack_config

    run = run_program(PROJECT_DIR, "test", stack_config(STACK), [], AwsMocks())
    return {name: output.value for name, output in run.outputs.items()}


def test_the_stack_outputs_say_what_to_verify(outputs):
    target = target_from_outputs(outputs, environ={})
    assert target.user_arn == "arn:aws:iam::111111111111:user/Axonius-Readonly"
    assert target.access_key_id == outputs["accessKeyId"] == outputs["accessKeys"][1]["accessKeyId"]
    assert target.secret_access_key == outputs["secretAccessKey2"]
    assert target.permission_sets == ("adapter", "security-services")
    assert target.max_session_duration == 14400 and target.region == "us-east-1"
    assert target.roles == (
        RoleEntry("arn:aws:iam::222222222222:role/Axonius-Readonly-Role", None),
        RoleEntry("arn:aws:iam::333333333333:role/Axonius-Readonly-Role", "MY-SECRET"),
    )
    (cluster,) = target.clusters
    assert cluster == ClusterEntry(
        "prod-eks",
        "eu-west-1",
        "222222222222",
        "arn:aws:iam::222222222222:role/Axonius-Readonly-Role",
        outputs["eksEndpoints"][0]["endpoint"],
        outputs["eksEndpoints"][0]["certificateAuthority"],
    )
    assert cluster.endpoint.startswith("https://") and cluster.endpoint.endswith(".eu-west-1.eks.amazonaws.com")


def test_a_key_slot_picks_that_slots_key(outputs):
    target = target_from_outputs(outputs, key_slot=1)
    assert target.access_key_id == outputs["accessKeys"][0]["accessKeyId"] != outputs["accessKeyId"]
    assert target.secret_access_key == outputs["secretAccessKey1"]


@pytest.mark.parametrize(
    ("change", "slot", "message"),
    [
        ({"secretAccessKey": "[secret]"}, None, "output 'secretAccessKey' is hidden; write the file with"),
        ({"roleArnFileJson": "[secret]"}, None, "output 'roleArnFileJson' is hidden"),
        ({"permissionSets": None}, None, "the stack outputs are not as this program exports them"),
        ({"accessKeys": [{"slot": 2, "accessKeyId": "AKIA", "status": "Active"}]}, 1, "key slot 1 holds no key"),
        ({"eksEndpoints": []}, None, "no endpoint for cluster prod-eks in the output 'eksEndpoints'"),
    ],
)
def test_outputs_that_cannot_be_verified_are_usage_errors(outputs, change, slot, message):
    with pytest.raises(VerifyUsageError, match=message):
        target_from_outputs({**outputs, **change}, key_slot=slot)


def test_an_output_from_an_older_program_is_named(outputs):
    older = {name: value for name, value in outputs.items() if name != "maxSessionDuration"}
    with pytest.raises(VerifyUsageError, match="the stack has no output 'maxSessionDuration'; deploy this version"):
        target_from_outputs(older)


def test_the_command_exits_2_on_usage_errors(tmp_path, capsys, outputs):
    assert cli.main(["verify", "--outputs", str(tmp_path / "missing.json")]) == 2
    assert "cannot read outputs from" in capsys.readouterr().err
    hidden = tmp_path / "hidden.json"
    hidden.write_text(json.dumps({**outputs, "secretAccessKey": "[secret]"}))
    assert cli.main(["verify", "--outputs", str(hidden)]) == 2
    assert "is hidden" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["verify"])  # neither --stack nor --outputs
    assert usage.value.code == 2


def test_stack_outputs_come_through_the_automation_api_with_secrets(outputs, tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", tmp_path.as_uri())
    command = FakePulumiCommand(Scenario(outputs=outputs, secret_outputs=frozenset({"secretAccessKey"})))
    read = read_stack_outputs("dev", command=command)
    assert read == outputs  # the secret in plain text, as --show-secrets gives it
    assert any(call["args"][:2] == ["stack", "output"] and "--show-secrets" in call["args"] for call in command.calls)


def test_without_the_cli_stack_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("HOME", "/nonexistent")
    assert cli.main(["verify", "--stack", "dev"]) == 2
    assert "Pulumi CLI is not installed" in capsys.readouterr().err


NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "age_days", "expected"),
    [("Active", 0, PASS), ("Active", 90, PASS), ("Active", 91, WARN), ("Inactive", 1, FAIL)],
)
def test_key_age_warns_past_90_days_and_an_inactive_key_fails(status, age_days, expected):
    result = key_age_result("111111111111", "AKIAEXAMPLE", status, NOW - timedelta(days=age_days, hours=1), NOW)
    assert result.status == expected


ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(
    ("document", "action", "allows"),
    [
        (ADMIN, "iam:CreateUser", True),
        ({"Statement": {"Effect": "Allow", "Action": ["IAM:create*"], "Resource": "*"}}, "iam:CreateUser", True),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:Put?bject"}]}, "s3:PutObject", True),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:Get*"}]}, "s3:PutObject", False),
        ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*"}]}, "ec2:RunInstances", True),
        ({"Statement": [{"Effect": "Allow", "NotAction": "ec2:*"}]}, "ec2:RunInstances", False),
        ({"Statement": [{"Effect": "Deny", "Action": "*"}]}, "ec2:RunInstances", False),
    ],
)
def test_which_policy_allowed_a_write_is_found_by_iams_matching(document, action, allows):
    assert document_allows(document, action) is allows


def test_brackets_are_literal_as_in_iam():
    assert not action_matches("s3:[P]utObject", "s3:PutObject")


RESULTS = [
    CheckResult("111111111111", "identity", PASS, "arn:aws:iam::111111111111:user/Axonius-Readonly"),
    CheckResult("111111111111", "key", WARN, "AKIA is 120 days old; rotate it (over 90)"),
    CheckResult("222222222222", "assume-role", PASS, "ok"),
    CheckResult("222222222222", "deny iam:CreateUser", FAIL, "iam:CreateUser is ALLOWED; allowed by Admin"),
]


def test_the_matrix_has_a_row_per_account_and_lists_what_did_not_pass():
    lines = render_matrix(RESULTS).splitlines()
    assert lines[0].split() == ["account", "identity", "key", "assume-role", "deny"]
    assert lines[1].split() == ["111111111111", "PASS", "WARN", "-", "-"]
    assert lines[2].split() == ["222222222222", "-", "-", "PASS", "FAIL"]
    assert "4 checks: 2 passed, 1 failed, 1 warnings" in lines
    assert "  FAIL 222222222222 deny iam:CreateUser: iam:CreateUser is ALLOWED; allowed by Admin" in lines
    assert not any(line.startswith("  PASS") for line in lines)


def test_several_checks_of_a_kind_share_a_cell_with_the_worst_status_and_a_count():
    reads = [CheckResult("1", f"read {s}", status, "") for s, status in (("ec2", PASS), ("s3", FAIL), ("iam", PASS))]
    assert render_matrix(reads).splitlines()[1].split() == ["1", "FAIL", "2/3"]


def test_json_and_exit_code_follow_the_failures():
    assert to_json(RESULTS)["passed"] is False and len(to_json(RESULTS)["checks"]) == 4
    assert exit_code(RESULTS) == 1
    assert exit_code(RESULTS[:3]) == 0  # a warning does not fail


def write_outputs(tmp_path, outputs: dict, **changes) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({**outputs, **changes}))
    return str(path)


FAST = ["--connect-timeout", "0.5", "--read-timeout", "0.5"]


def test_an_endpoint_that_accepts_and_never_answers_is_one_line_within_the_timeouts(
    tmp_path, monkeypatch, capsys, outputs
):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes each connection; nothing ever reads or answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        use_moto(monkeypatch, url)
        assert cli.main(["verify", "--outputs", write_outputs(tmp_path, outputs), *FAST]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"error: cannot reach AWS STS at {url}: Read timeout on endpoint URL")
    assert captured.out == ""


def test_a_closed_port_is_one_line_not_a_failure_per_check(tmp_path, monkeypatch, capsys, outputs):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    use_moto(monkeypatch, url)
    assert cli.main(["verify", "--outputs", write_outputs(tmp_path, outputs), *FAST, "--json"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"error: cannot reach AWS STS at {url}: Could not connect to the endpoint URL")
    assert captured.out == ""


def test_the_standard_retry_mode_and_the_timeouts_reach_every_client():
    session = aws_session("us-east-1", "AKIAIOSFODNN7EXAMPLE", "secret", timeouts=Timeouts(connect=1, read=2))
    config = session.client("ec2").meta.config
    assert (config.connect_timeout, config.read_timeout) == (1, 2)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_each_account_is_reported_as_it_is_done_and_json_stays_one_object(tmp_path, monkeypatch, capsys, outputs):
    with moto_server() as url:
        use_moto(monkeypatch, url)  # moto answers every call; the key signs in as moto's own user
        source = write_outputs(tmp_path, outputs, eksClusters=[], eksEndpoints=[])
        assert cli.main(["verify", "--outputs", source, "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    progress = captured.err.splitlines()
    assert [line.split(":")[1].strip() for line in progress] == ["111111111111", "222222222222", "333333333333"]
    for line in progress:
        account = line.split(":")[1].strip()
        checks = [c for c in report["checks"] if c["account"] == account]
        failed = sum(c["status"] == FAIL for c in checks)
        assert line == f"verify: {account}: {len(checks)} checks, {len(checks) - failed} passed, {failed} failed"


@pytest.mark.parametrize("value", ["0", "-1", "soon", "3601"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as raised:
        cli.main(["verify", "--outputs", "x.json", "--read-timeout", value])
    assert raised.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"argument --read-timeout: {value!r} is not accepted" in line
