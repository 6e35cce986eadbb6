"""`python -m automation preview|up|refresh|destroy|verify --stack dev` (the Automation API) against the built CLI."""

from __future__ import annotations

import json

from tests.e2e.moto_deploy import rest_json_get_signatures_checked_as_aws_does

from .harness import Engine, iam_snapshot


def automation(engine: Engine, *args: str) -> str:
    done = engine.python("-m", "automation", *args, check=False)
    assert done.returncode == 0, f"automation {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_automation_commands_run_on_the_real_engine(engine: Engine) -> None:
    before = iam_snapshot(engine.cloud)
    assert "0 mandatory" in automation(engine, "preview", "--stack", "dev")
    up = automation(engine, "up", "--stack", "dev")
    assert "up of stack dev succeeded" in up and "0 mandatory" in up
    assert "refresh of stack dev succeeded" in automation(engine, "refresh", "--stack", "dev")
    # What refresh read back from the cloud is what the program declares: nothing to change.
    engine.pulumi("preview", "-s", "dev", "--expect-no-changes")

    engine.authorization(on=True)
    try:
        with rest_json_get_signatures_checked_as_aws_does():
            report = json.loads(automation(engine, "verify", "--stack", "dev", "--json"))
    finally:
        engine.authorization(on=False)
    assert report["passed"] is True

    assert "destroy of stack dev succeeded" in automation(engine, "destroy", "--stack", "dev")
    assert iam_snapshot(engine.cloud) == before
