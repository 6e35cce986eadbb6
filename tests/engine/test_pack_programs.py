"""Programs other than ours, judged by the pack inside a real `pulumi preview`: one that grants too much is stopped
with the pack's own message, a read-only one passes (README, "Running with the real engine")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import PROJECT_DIR
from tests.policy_helpers import mandatory

from .harness import Engine

BROAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "iam:ListUsers"], "Resource": "*"}],
}


def program(folder: Path, document: dict) -> Path:
    """A one-policy Python program in `folder`, in the project's venv."""
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(
        "name: outsider\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        f"    virtualenv: {PROJECT_DIR / 'venv'}\n"
    )
    (folder / "__main__.py").write_text(
        "import json\nimport pulumi_aws as aws\n\n"
        f"aws.iam.Policy('outsider', policy=json.dumps({json.dumps(document)}))\n"
    )
    return folder


def preview(engine: Engine, folder: Path) -> tuple[int, str]:
    engine.pulumi("stack", "select", "outsider", "--create", cwd=folder)
    engine.pulumi("config", "set", "aws:region", "us-east-1", "-s", "outsider", cwd=folder)
    done = engine.pulumi(
        "preview", "-s", "outsider", "--policy-pack", str(PROJECT_DIR / "policy_pack"), check=False, cwd=folder
    )
    return done.returncode, done.stdout + done.stderr


def test_a_program_that_grants_too_much_is_stopped_with_the_packs_message(engine: Engine, tmp_path: Path) -> None:
    code, output = preview(engine, program(tmp_path / "broad", BROAD))
    expected = mandatory("aws:iam/policy:Policy", {"policy": json.dumps(BROAD)})  # the rule's own words
    assert code != 0
    assert "[mandatory]  iam-read-only-actions" in output
    assert expected and all(message in " ".join(output.split()) for message in expected), (expected, output)


def test_a_read_only_program_passes(engine: Engine, tmp_path: Path) -> None:
    code, output = preview(engine, program(tmp_path / "read-only", READ_ONLY))
    assert code == 0, output
    assert "[mandatory]" not in output
