"""The README's commands for dev, prod and org against the real CLI: preview and up with the policy pack and the
stack's own pack config, outputs as the offline plan computes them, and a destroy that leaves the cloud as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from .harness import HOME, Engine, clusters_snapshot, iam_snapshot

ORGANIZATION_FILE = "stacks/organization.org.json"
# Values only the cloud decides: moto's key IDs are random (the plan derives them from names), and the clusters'
# endpoints are the fake API servers'.
CLOUD_CHOSEN = ("accessKeyId", "endpoint")


def offline_plan(engine: Engine, stack: str) -> dict[str, Any]:
    args = ["-m", "automation", "plan", "--stack", stack, "--json", "--home-account", HOME]
    if stack == "org":
        args += ["--organization", ORGANIZATION_FILE]
    return json.loads(engine.python(*args).stdout)


def comparable(outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs with the cloud-chosen key IDs blanked and secrets as the plan prints them."""

    def blank(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<cloud>" if k in CLOUD_CHOSEN else blank(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v) for v in value]
        return value

    return {k: "<cloud>" if k in CLOUD_CHOSEN else blank(v) for k, v in outputs.items()}


def is_default_provider(urn: str) -> bool:
    return ":pulumi:providers:" in urn and urn.rsplit("::", 1)[-1].startswith("default")


def aws_auth_entries(data: dict[str, str] | None) -> dict[str, list[dict[str, Any]]]:
    return {key: yaml.safe_load(value) for key, value in (data or {}).items() if key in ("mapUsers", "mapRoles")}


@pytest.mark.parametrize("stack", ["dev", "prod", "org"])
def test_a_stack_previews_deploys_and_destroys_with_the_pack(engine: Engine, stack: str) -> None:
    iam_before, clusters_before = iam_snapshot(engine.cloud), clusters_snapshot(engine.cloud)
    plan = offline_plan(engine, stack)
    assert plan["violations"] == [] or all(v["enforcementLevel"] != "mandatory" for v in plan["violations"])

    engine.pulumi("stack", "select", stack, "--create")
    preview = engine.pulumi("preview", "-s", stack, *engine.with_pack(stack))
    assert "axonius-read-only@v0.0.1 (local: policy_pack)" in preview.stdout
    assert "mandatory" not in preview.stdout.lower(), preview.stdout

    engine.pulumi("up", "-s", stack, "--yes", *engine.with_pack(stack))
    outputs = engine.outputs(stack)
    plan_outputs = {k: v for k, v in plan["outputs"].items() if v != "[secret]"}
    assert comparable({k: outputs[k] for k in plan_outputs}) == comparable(plan_outputs)
    assert set(outputs) == set(plan["outputs"])
    # The same URNs as the plan declared; the engine adds the stack and its default providers.
    state = json.loads(engine.pulumi("stack", "export", "-s", stack).stdout)["deployment"]["resources"]
    deployed = {r["urn"] for r in state if r["type"] != "pulumi:pulumi:Stack" and not is_default_provider(r["urn"])}
    assert deployed == {r["urn"] for r in plan["resources"]}

    for cluster in outputs.get("eksClusters", []):
        data = engine.cloud.clusters[cluster["name"]].data if cluster["name"] in engine.cloud.clusters else None
        entries = aws_auth_entries(data)
        foreign = clusters_before[cluster["name"]]["aws-auth"]
        for key, listed in foreign.items():
            assert all(entry in entries[key] for entry in listed), (cluster, entries)
        if cluster["mode"] == "awsAuth":
            kind = "mapUsers" if cluster["identity"].split(":")[5].startswith("user/") else "mapRoles"
            assert any(cluster["identity"] in entry.values() for entry in entries[kind])

    engine.pulumi("destroy", "-s", stack, "--yes")
    assert iam_snapshot(engine.cloud) == iam_before
    assert clusters_snapshot(engine.cloud) == clusters_before
