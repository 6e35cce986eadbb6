"""Releases: one version, written once and carried everywhere, and a checkout that is not a pip library."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import yaml

from components.component_host import package_version
from tests.conftest import PROJECT_DIR

VERSION = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["version"]


def test_the_version_is_written_once_and_carried_by_the_schema_and_the_changelog():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert package_version() == VERSION
    assert json.loads((PROJECT_DIR / "component_provider" / "schema.json").read_text())["version"] == VERSION
    releases = re.findall(r"^## (\S+)", (PROJECT_DIR / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert releases[0] == VERSION and len(releases) == len(set(releases))


def test_the_release_workflow_publishes_the_tag_that_names_the_version():
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v*"]  # PyYAML reads `on:` as True
    assert workflow["permissions"] == {"contents": "write"}
    runs = "\n".join(step.get("run", "") for step in workflow["jobs"]["release"]["steps"])
    assert '"$GITHUB_REF_NAME" != "v$version"' in runs and "tests/test_release.py" in runs
    assert 'gh release create "$TAG"' in runs


def test_pip_install_of_the_checkout_fails_saying_how_to_reuse_it(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(PROJECT_DIR),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "axonius-aws-access is not a pip-installable library" in done.stdout + done.stderr
    assert (
        "pulumi package add https://github.com/<owner>/axonius-aws-access/component_provider@"
        in done.stdout + done.stderr
    )
    assert not list(tmp_path.iterdir())
