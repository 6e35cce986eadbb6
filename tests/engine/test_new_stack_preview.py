"""A stack file of this project under a new stack name, previewed with nothing but `.engine/env` (no moto, no
cluster: the stand-in plugins answer offline): exactly the URNs the offline plan declares, home account
123456789012 (README, "Running with the real engine")."""

from __future__ import annotations

import json
import shutil

import pytest

from .harness import HOME, Engine, engine_environment

STACK = "bar"


@pytest.mark.parametrize("source", ["prod", "dev"])
def test_a_stack_file_previews_as_a_new_stack_with_the_plans_urns(engine: Engine, source: str) -> None:
    stacks = engine.project / "stacks"
    shutil.copy(stacks / f"Pulumi.{source}.yaml", stacks / f"Pulumi.{STACK}.yaml")
    plan = json.loads(
        engine.python("-m", "automation", "plan", "--stack", STACK, "--json", "--home-account", HOME).stdout
    )
    offline = {**engine.env}
    for name in ("AWS_ENDPOINT_URL", "STANDIN_CLUSTERS", "STANDIN_ORGANIZATION", "AWS_ACCESS_KEY_ID"):
        offline.pop(name, None)
    offline.update(engine_environment())
    saved, engine.env = engine.env, offline
    try:
        engine.pulumi("stack", "select", STACK, "--create")
        preview = json.loads(engine.pulumi("preview", "-s", STACK, "--json", *engine.with_pack(STACK)).stdout)
        engine.pulumi("stack", "rm", STACK, "--yes", "--force")
    finally:
        engine.env = saved
    previewed = {
        step["urn"]
        for step in preview["steps"]
        if step["urn"].split("::")[2] != "pulumi:pulumi:Stack"
        and not step["urn"].rsplit("::", 1)[-1].startswith("default")
    }
    assert previewed == {r["urn"] for r in plan["resources"]}
    assert not [d for d in preview.get("diagnostics", []) if d.get("severity") == "error"]
