"""GitHub workflows: valid against GitHub's schema, and doing what the README says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from automation.pack_client import evaluate_stack, mandatory, read_pack_config
from automation.plan import plan
from tests.aws_env import MOTO_ACCOUNT, use_moto
from tests.conftest import PROJECT_DIR
from tests.e2e.moto_server import moto_server

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
CHECK = [str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]


def load(name: str) -> dict:
    # PyYAML reads the `on:` key as True.
    return yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / name).read_text())


def test_every_workflow_validates_against_githubs_schema():
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy.yml", "policy-gate.yml", "preview.yml", "release.yml"]
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


JOBS = [("preview.yml", "preview", "preview"), ("deploy.yml", "up", "up")]


def run_steps(workflow: dict, job: str) -> list[str]:
    return [s["run"] for s in steps(workflow, job) if "run" in s]


def gate_checkout(workflow: dict, job: str) -> dict:
    (step,) = [s for s in steps(workflow, job) if s.get("uses", "").startswith("actions/checkout@") and "with" in s]
    return step


def pack_config_step(workflow: dict, job: str) -> dict:
    (step,) = [s for s in steps(workflow, job) if "automation pack-config" in s.get("run", "")]
    return step


@pytest.mark.parametrize(("name", "job", "command"), JOBS)
def test_each_stack_is_set_up_planned_offline_then_run_with_the_policy_pack(name, job, command):
    workflow = load(name)
    assert workflow["jobs"][job]["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    runs = run_steps(workflow, job)
    assert "make setup" in runs and "make plan STACK=${{ matrix.stack }}" in runs
    assert runs.index("make setup") < runs.index("make plan STACK=${{ matrix.stack }}")
    step = pulumi_step(workflow, job)["with"]
    assert step["command"] == command and step["stack-name"] == "${{ matrix.stack }}"
    assert step["diff"] is True
    assert workflow["permissions"]["id-token"] == "write"  # credentials through GitHub's OIDC


@pytest.mark.parametrize(
    ("name", "job", "ref"),
    [
        ("preview.yml", "preview", "${{ github.event.pull_request.base.sha }}"),
        ("deploy.yml", "up", "${{ github.event.before }}"),
    ],
)
def test_the_pack_and_its_config_come_from_the_base_commit_not_the_change(name, job, ref):
    workflow = load(name)
    assert gate_checkout(workflow, job)["with"] == {"ref": ref, "path": "base"}
    names = [s.get("uses") or s.get("run") for s in steps(workflow, job)]
    venv = "python -m venv base/venv && base/venv/bin/python -m pip install --quiet -r base/requirements.txt"
    assert venv in names  # the pack's own venv: PulumiPolicy.yaml runs ../venv, so base/venv
    config = pack_config_step(workflow, job)
    assert config["working-directory"] == "base" and config["run"].startswith("venv/bin/python -m automation ")
    assert "--config-file ../stacks/Pulumi.${{ matrix.stack }}.yaml" in config["run"]  # the change's stack file
    assert config["run"].endswith("> ../pack-config.json")
    credentials = names.index(next(n for n in names if n.startswith("aws-actions/configure-aws-credentials@")))
    assert credentials < names.index(config["run"])  # the exact ARN needs the deploying account
    step = pulumi_step(workflow, job)["with"]
    assert step["policyPacks"] == "base/policy_pack" and step["policyPackConfigs"] == "pack-config.json"
    assert "policy_pack/policy-config.json" not in (PROJECT_DIR / ".github" / "workflows" / name).read_text()


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


def base_checkout(workspace: Path) -> Path:
    """This commit as the workflow's `base/` checkout, beside a copy of the stack files as the change has them."""
    base = workspace / "base"
    for folder in ("automation", "components", "policy_pack", "stacks"):
        shutil.copytree(PROJECT_DIR / folder, base / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", base / "Pulumi.yaml")
    (base / "venv").symlink_to(PROJECT_DIR / "venv")
    shutil.copytree(PROJECT_DIR / "stacks", workspace / "stacks")
    return base


@pytest.mark.parametrize(("name", "job", "command"), JOBS)
def test_the_workflows_commands_give_the_dev_stack_no_mandatory_finding(
    tmp_path, monkeypatch, moto_url, name, job, command
):
    """The offline part of the job for `dev`, which renames its user and role: the pack config step as written,
    then the pack and config the pulumi step names, on what the program declares in the deploying account."""
    workflow = load(name)
    use_moto(monkeypatch, moto_url)  # the deploying credentials: moto's account
    base = base_checkout(tmp_path)
    step = pack_config_step(workflow, job)
    line = step["run"].replace("${{ matrix.stack }}", "dev")
    done = subprocess.run(line, shell=True, cwd=tmp_path / step["working-directory"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    inputs = pulumi_step(workflow, job)["with"]
    config = read_pack_config(tmp_path / inputs["policyPackConfigs"])
    assert config["iam-role-trust"]["trustedPrincipals"] == [f"arn:aws:iam::{MOTO_ACCOUNT}:user/Axonius-Readonly-Dev"]
    resources = plan("dev", home_account=MOTO_ACCOUNT, policies=False).resources
    pack = tmp_path / inputs["policyPacks"]
    assert pack == base / "policy_pack"
    assert mandatory(evaluate_stack(pack, "dev", resources, config)) == ()
    shipped = read_pack_config(pack / "policy-config.json")  # what the workflows attached before
    assert len(mandatory(evaluate_stack(pack, "dev", resources, shipped))) == 4  # trust, attachment, adopted key


# The latest majors, each running on Node 24 (checked against the actions' release notes, 2026-12).
CURRENT_ACTIONS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/setup-node": "v6",
    "aws-actions/configure-aws-credentials": "v6",
    "pulumi/actions": "v7",
}
# The CLI the engine tests build (make engine); the Python SDK pinned in requirements must not be newer.
PULUMI_CLI = "3.274.0"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_actions_are_pinned_to_current_releases_and_the_cli_to_one_version():
    used = [
        s["uses"] for path in WORKFLOWS for job in load(path.name)["jobs"].values() for s in job["steps"] if "uses" in s
    ]
    assert used
    for uses in used:
        action, _, ref = uses.partition("@")
        assert CURRENT_ACTIONS.get(action) == ref, uses
    sdk = re.search(r"^pulumi==(\S+)$", (PROJECT_DIR / "policy_pack" / "requirements.txt").read_text(), re.M)
    assert sdk and version(sdk.group(1)) <= version(PULUMI_CLI)
    for name, job, _ in JOBS:
        assert pulumi_step(load(name), job)["with"]["pulumi-version"] == PULUMI_CLI


def test_pip_and_npm_downloads_are_cached_by_their_lock_files():
    for path in WORKFLOWS:
        for job in load(path.name)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/setup-python@"):
                    assert step["with"]["cache"] == "pip"
                    files = step["with"]["cache-dependency-path"].split()
                    assert "requirements.txt" in files
                    assert all((PROJECT_DIR / f.removeprefix("base/")).exists() for f in files), files
    (node,) = [s for s in steps(load("ci.yml"), "test") if s.get("uses", "").startswith("actions/setup-node@")]
    assert node["with"]["cache"] == "npm" and node["with"]["cache-dependency-path"] == "tests/node/package-lock.json"


def test_no_step_runs_regardless_of_failures_before_it():
    for path in WORKFLOWS:
        assert "always()" not in path.read_text(), path.name


def test_a_change_to_the_gate_is_its_own_reviewed_check():
    gate = load("policy-gate.yml")
    assert set(gate[True]["pull_request"]["types"]) >= {"opened", "synchronize", "labeled", "unlabeled"}
    (step,) = [s for s in steps(gate, "gate-change") if "run" in s]
    assert step["run"] == '.ci/policy-gate-changes "$BASE" HEAD'
    assert step["env"]["BASE"] == "${{ github.event.pull_request.base.sha }}"
    owned = [
        line.split()[0]
        for line in (PROJECT_DIR / ".github" / "CODEOWNERS").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert {"/policy_pack/", "/.github/", "/automation/pack_client.py"} <= set(owned)
    assert all((PROJECT_DIR / path.strip("/")).exists() for path in owned)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / ".github" / "CODEOWNERS", repo / ".github" / "CODEOWNERS")
    (repo / "policy_pack").mkdir()
    (repo / "policy_pack" / "policy-config.json").write_text("{}")
    (repo / "stacks").mkdir()
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "base", "--allow-empty")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    return repo


def gate_changes(repo: Path, base: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = PROJECT_DIR / ".ci" / "policy-gate-changes"
    environment = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run([str(script), base, "HEAD"], cwd=repo, capture_output=True, text=True, env=environment)


def commit(repo: Path, path: str, text: str) -> None:
    (repo / path).write_text(text)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", path)


def test_the_gate_check_passes_a_stack_change_and_stops_a_pack_change_until_reviewed(repository, tmp_path):
    base = git(repository, "rev-parse", "HEAD")
    commit(repository, "stacks/Pulumi.dev.yaml", "config: {aws:region: us-east-1}\n")
    assert gate_changes(repository, base).returncode == 0
    commit(repository, "policy_pack/policy-config.json", '{"iam-role-trust": {"enforcementLevel": "disabled"}}')
    done = gate_changes(repository, base)
    assert done.returncode == 1 and "  policy_pack/policy-config.json" in done.stdout
    assert "must review" in done.stderr
    summary = tmp_path / "summary.md"
    reviewed = gate_changes(repository, base, REVIEWED="true", GITHUB_STEP_SUMMARY=str(summary))
    assert reviewed.returncode == 0 and "policy_pack/policy-config.json" in summary.read_text()


def test_the_gate_paths_are_the_base_branchs_not_the_changes(repository):
    base = git(repository, "rev-parse", "HEAD")
    commit(repository, ".github/CODEOWNERS", "# nothing is owned any more\n")
    commit(repository, "policy_pack/policy-config.json", '{"iam-role-trust": {"enforcementLevel": "disabled"}}')
    done = gate_changes(repository, base)
    assert done.returncode == 1 and ".github/CODEOWNERS" in done.stdout and "policy_pack/" in done.stdout


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
    assert script.rstrip().endswith('.ci/without-npm make -C "$alone/axonius-aws-access" plan')
