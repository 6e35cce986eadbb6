"""GitHub workflows: valid against GitHub's schema, and doing what the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
CHECK = [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]


def load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    return yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / name).read_text())


def test_every_workflow_validates_against_githubs_schema():
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy.yml", "preview.yml"]
    done = subprocess.run([*CHECK, *map(str, WORKFLOWS)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_validator_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: 42\n")
    assert subprocess.run([*CHECK, str(broken)], capture_output=True, check=False).returncode != 0


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def pulumi_step(workflow: dict, job: str) -> dict:
    (step,) = [s for s in steps(workflow, job) if s.get("uses", "").startswith("pulumi/actions@")]
    return step


@pytest.mark.parametrize(
    ("name", "job", "command"), [("preview.yml", "preview", "preview"), ("deploy.yml", "up", "up")]
)
def test_each_stack_is_set_up_planned_offline_then_run_with_the_policy_pack(name, job, command):
    workflow = load(name)
    assert workflow["jobs"][job]["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    runs = [s.get("run", "") for s in steps(workflow, job)]
    assert "make setup" in runs and "make plan STACK=${{ matrix.stack }}" in runs
    assert runs.index("make setup") < runs.index("make plan STACK=${{ matrix.stack }}")
    step = pulumi_step(workflow, job)["with"]
    assert step["command"] == command and step["stack-name"] == "${{ matrix.stack }}"
    assert step["policyPacks"] == "policy_pack" and step["policyPackConfigs"] == "pack-config.json"
    assert "venv/bin/python -m automation pack-config --stack ${{ matrix.stack }} > pack-config.json" in runs
    assert step["diff"] is True
    assert workflow["permissions"]["id-token"] == "write"  # credentials through GitHub's OIDC


def test_previews_comment_on_the_pull_request_and_deploys_wait_for_an_environment():
    preview = pulumi_step(load("preview.yml"), "preview")["with"]
    assert preview["comment-on-pr"] is True and preview["github-token"] == "${{ secrets.GITHUB_TOKEN }}"
    assert load("preview.yml")[True] == {"pull_request": None}
    deploy = load("deploy.yml")
    assert deploy[True] == {"push": {"branches": ["main"]}}
    assert deploy["jobs"]["up"]["environment"] == "${{ matrix.stack }}"


def test_no_credentials_live_in_the_repository():
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "PULUMI_ACCESS_TOKEN:" in line or "PASSPHRASE:" in line:
                assert "${{ secrets." in line, line
            assert "AKIA" not in line and "aws-secret-access-key" not in line


def test_ci_runs_the_readme_test_command():
    assert ".ci/run" in [s.get("run") for s in steps(load("ci.yml"), "test")]
    assert "make test" in (PROJECT_DIR / ".ci" / "run").read_text()


def aws_role(workflow: dict, job: str) -> str:
    (step,) = [
        s for s in steps(workflow, job) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    return step["with"]["role-to-assume"]


def test_pull_request_previews_hold_no_deploy_power_and_decrypt_no_outputs():
    text = (PROJECT_DIR / ".github" / "workflows" / "preview.yml").read_text()
    preview = load("preview.yml")
    assert aws_role(preview, "preview") == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert "AWS_DEPLOY_ROLE_ARN" not in text and "environment" not in preview["jobs"]["preview"]
    step = pulumi_step(preview, "preview")
    assert step["env"]["AXONIUS_AWS_ACCESS_PREVIEW_ROLE"] == "${{ vars.AWS_PREVIEW_MEMBER_ROLE }}"
    assert step["with"]["suppress-outputs"] is True and step["with"]["upsert"] is True
    assert "--show-secrets" not in text and "pulumi stack output" not in text
    assert "outputs" not in preview["jobs"]["preview"]  # nothing handed on to other jobs


def test_deploys_use_the_deploy_role_and_never_the_preview_role():
    deploy = load("deploy.yml")
    assert aws_role(deploy, "up") == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    step = pulumi_step(deploy, "up")
    assert "AXONIUS_AWS_ACCESS_PREVIEW_ROLE" not in step.get("env", {})
    assert step["with"]["suppress-outputs"] is True and step["with"]["upsert"] is True


def test_ci_plans_a_clone_with_nothing_beside_it():
    script = (PROJECT_DIR / ".ci" / "run").read_text()
    assert 'alone="$(mktemp -d)"' in script and "trap 'rm -rf \"$alone\"' EXIT" in script
    assert 'git clone --quiet "$PWD" "$alone/axonius-aws-access"' in script
    assert script.rstrip().endswith('make -C "$alone/axonius-aws-access" plan')
