"""The pull-request workflow's preview, run as `.github/workflows/preview.yml` runs it: its `pulumi/actions` step's
inputs turned into the command line the action runs, for every stack of its matrix, after the workflow's own
steps that write the per-stack pack config. Read from the workflow file, so a change there is tested here."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR

from .harness import Engine, copy_project

WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "preview.yml"
# Repository settings the workflow reads, as a repository would set them for this cloud.
SETTINGS = {"vars.AWS_PREVIEW_MEMBER_ROLE": "OrganizationAccountAccessRole", "vars.AWS_REGION": "us-east-1"}


def job() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["preview"]


def action_step(steps: list[dict[str, Any]]) -> dict[str, Any]:
    found = [step for step in steps if str(step.get("uses", "")).startswith("pulumi/actions@")]
    assert len(found) == 1, f"expected one pulumi/actions step in {WORKFLOW}"
    return found[0]


def expand(text: str, stack: str, engine: Engine) -> str:
    """`${{ matrix.stack }}` and the repository settings; the backend and passphrase are the suite's."""
    values = {
        "matrix.stack": stack,
        **SETTINGS,
        "vars.PULUMI_BACKEND_URL": engine.env["PULUMI_BACKEND_URL"],
        "secrets.PULUMI_CONFIG_PASSPHRASE": engine.env["PULUMI_CONFIG_PASSPHRASE"],
    }
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values.get(m.group(1), ""), text)


def action_command(inputs: dict[str, Any], stack: str, engine: Engine) -> list[str]:
    """The command line pulumi/actions runs for these inputs (its README: one flag per input)."""
    get = {k: expand(str(v), stack, engine) for k, v in inputs.items()}
    command = ["pulumi", get["command"], "--stack", get["stack-name"], "--non-interactive"]
    for flag in ("diff", "refresh", "suppress-outputs"):
        if get.get(flag, "").lower() == "true":  # YAML reads `true` as a boolean
            command.append(f"--{flag}")
    for key, flag in (("policyPacks", "--policy-pack"), ("policyPackConfigs", "--policy-pack-config")):
        for value in filter(None, re.split(r"[\s,]+", get.get(key, ""))):
            command += [flag, value]
    return command


@pytest.mark.parametrize("stack", job()["strategy"]["matrix"]["stack"])
def test_the_pull_request_preview_runs_as_the_workflow_runs_it(engine: Engine, stack: str) -> None:
    steps = job()["steps"]
    step = action_step(steps)
    for earlier in steps[: steps.index(step)]:
        if "pack-config" in str(earlier.get("run", "")):  # the workflow's own per-stack pack config
            workdir = engine.project / str(earlier.get("working-directory", "."))
            if not workdir.exists():  # the base branch's checkout: here, this checkout is that branch too
                copy_project(workdir)
            engine.run(["bash", "-euo", "pipefail", "-c", expand(earlier["run"], stack, engine)], cwd=workdir)
    inputs = step["with"]
    assert inputs["command"] == "preview"
    env = {name: expand(str(value), stack, engine) for name, value in (step.get("env") or {}).items()}
    saved = dict(engine.env)
    engine.env.update({name: value for name, value in env.items() if value})
    try:
        workdir = engine.project / expand(str(inputs.get("work-dir", ".")), stack, engine)
        if str(inputs.get("upsert")).lower() == "true":
            engine.pulumi("stack", "select", expand(str(inputs["stack-name"]), stack, engine), "--create", cwd=workdir)
        command = action_command(inputs, stack, engine)
        packs = [value for flag, value in itertools.pairwise(command) if flag == "--policy-pack"]
        for pack in packs:
            if not (workdir / pack).exists() and Path(pack).name == "policy_pack":
                # A pack from another checkout (the base branch's): here, this checkout is that branch too.
                copy_project(workdir / Path(pack).parent)
        done = engine.run(command, cwd=workdir)
    finally:
        engine.env.clear()
        engine.env.update(saved)
    assert "axonius-read-only@v0.0.1" in done.stdout
    assert "[mandatory]" not in done.stdout, done.stdout
