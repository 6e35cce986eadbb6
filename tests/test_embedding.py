"""Embedding without hacks, from a directory outside the project (no `sys.path` edits, no `cd` into it)."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from pulumi import automation as auto

from automation import plan
from tests.conftest import PROJECT_DIR
from tests.fake_pulumi import FakePulumiCommand
from tests.installed import installed_venv

README = (PROJECT_DIR / "README.md").read_text()


@pytest.fixture(scope="module")
def python(tmp_path_factory) -> Path:
    return installed_venv(tmp_path_factory.mktemp("user") / "venv")


def run(python: Path, cwd: Path, script: str) -> str:
    done = subprocess.run(
        [str(python), "-c", textwrap.dedent(script)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_automation_api_pointed_at_a_checkout_imports_nothing_of_ours(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    command = FakePulumiCommand()
    workspace = auto.LocalWorkspace(work_dir=str(PROJECT_DIR), pulumi_command=command)
    stack = auto.Stack.select("dev", workspace)
    stack.preview()
    (preview,) = [call for call in command.calls if "preview" in call["args"]]
    assert preview["cwd"] == str(PROJECT_DIR)  # the CLI runs the checkout's program, reading stacks/ itself
    assert workspace.project_settings().name == "axonius-aws-access"


def test_the_package_level_api_from_outside_the_project(python, tmp_path):
    out = run(
        python,
        tmp_path,
        """
        import inspect
        from automation import plan, preview, up, destroy, refresh, PlanError, PulumiCliMissingError
        assert all(inspect.isfunction(f) for f in (plan, preview, up, destroy, refresh))
        result = plan("dev")
        print(result.exit_code, len(result.resources), sorted(result.outputs)[:2])
        """,
    )
    assert out.split(" ", 2)[:2] == ["0", "17"]  # dev's 16 resources and the AxoniusAccess component


def test_the_component_in_a_users_own_python_program(python, tmp_path):
    """The README's example, as the `__main__.py` of a user's own project, run on the mock engine."""
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", README, re.DOTALL) if "AxoniusAccess(" in block]
    project = tmp_path / "my-infra"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: my-infra\nruntime: python\n")
    (project / "__main__.py").write_text(example)
    out = run(
        python,
        project,
        """
        import json
        from pathlib import Path
        from automation.mock_engine import AwsMocks, run_program
        result = run_program(Path("."), "dev", {"aws:region": "us-east-1"}, [], AwsMocks())
        output = result.outputs["roleArnFileJson"]
        print(json.dumps({"types": sorted({r.type for r in result.resources}), "file": output.value,
                          "secret": output.secret}))
        """,
    )
    found = json.loads(out)
    assert {"axonius-aws-access:index:AxoniusAccess", "aws:iam/role:Role", "aws:iam/user:User"} <= set(found["types"])
    assert json.loads(found["file"]) == [
        {"arn": "arn:aws:iam::222222222222:role/Axonius-Readonly-Role", "external_id": "my-external-id"}
    ]
    assert found["secret"]


def test_plan_takes_its_files_as_strings():
    """`plan(config_file="stacks/Pulumi.dev.yaml")`, as a script would call it (a `str` crashed before)."""
    stacks = PROJECT_DIR / "stacks"
    result = plan(
        "dev",
        config_file=str(stacks / "Pulumi.dev.yaml"),
        policy_pack_config=str(PROJECT_DIR / "policy_pack" / "policy-config.json"),
        organization_file=str(stacks / "organization.org.json"),
    )
    assert result.stack == "dev" and len(result.resources) == 17
