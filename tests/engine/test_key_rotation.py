"""The README's key rotation as real `pulumi up`s: after every step `verify` passes against moto (IAM authorization
on) with the key the adapter holds, and the old key is switched off before it is deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e.moto_deploy import rest_json_get_signatures_checked_as_aws_does

from .harness import HOME, Engine, account_session

USER = "Axonius-Readonly-Dev"
# (config key, value) of each README step, and the slot whose key Axonius holds after it.
STEPS = [
    ("user.otherKey", "active", 1),
    ("user.activeKey", "2", 2),
    ("user.otherKey", "inactive", 2),
    ("user.otherKey", "absent", 2),
]


@pytest.fixture
def checked_signatures() -> Iterator[None]:
    with rest_json_get_signatures_checked_as_aws_does():
        yield


def verify(engine: Engine, slot: int) -> dict:
    """`verify --outputs outputs.json --key-slot N --json`, as the README runs it after `pulumi stack output`."""
    outputs = engine.project / "outputs.json"
    outputs.write_text(json.dumps(engine.outputs("dev")))
    engine.authorization(on=True)
    try:
        done = engine.python(
            "-m", "automation", "verify", "--outputs", str(outputs), "--key-slot", str(slot), "--json", check=False
        )
    finally:
        engine.authorization(on=False)
    report = json.loads(done.stdout)
    failed = [check for check in report["checks"] if check["status"] == "FAIL"]
    assert done.returncode == 0 and report["passed"], failed
    return report


def key_statuses(engine: Engine) -> dict[str, str]:
    iam = account_session(engine.cloud, HOME).client("iam", endpoint_url=engine.cloud.endpoint)
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]}


def test_each_rotation_step_keeps_the_adapters_key_working(engine: Engine, checked_signatures: None) -> None:
    engine.pulumi("stack", "select", "dev", "--create")
    engine.pulumi("up", "-s", "dev", "--yes", *engine.with_pack("dev"))
    try:
        verify(engine, 1)
        first = engine.outputs("dev")["accessKeyId"]
        for key, value, held in STEPS:
            engine.pulumi("config", "set", "--path", f"axonius-aws-access:{key}", value, "-s", "dev")
            engine.pulumi("up", "-s", "dev", "--yes", *engine.with_pack("dev"))
            verify(engine, held)
            outputs = engine.outputs("dev")
            slots = {k["slot"]: k for k in outputs["accessKeys"]}
            assert outputs["accessKeyId"] == slots[held]["accessKeyId"]
            assert key_statuses(engine)[slots[held]["accessKeyId"]] == "Active"
            if value == "inactive":
                assert key_statuses(engine)[first] == "Inactive"
        assert first not in key_statuses(engine)  # deleted only at the last step
        assert set(key_statuses(engine)) == {engine.outputs("dev")["accessKeyId"]}
    finally:
        engine.pulumi("destroy", "-s", "dev", "--yes")
