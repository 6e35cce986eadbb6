from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from automation.mock_engine import AwsMocks, MockRun, run_program
from policy_pack.rules.iam_actions import ActionCatalog, default_catalog

PROJECT_DIR = Path(__file__).resolve().parent.parent
NAMESPACE = "axonius-aws-access"


@pytest.fixture(scope="session")
def catalog() -> ActionCatalog:
    return default_catalog()


def stack_config(values: dict[str, Any]) -> dict[str, str]:
    config = {"aws:region": "us-east-1"}
    config.update({f"{NAMESPACE}:{key}": json.dumps(value) for key, value in values.items()})
    return config


RunStack = Callable[..., MockRun]


@pytest.fixture
def run_stack() -> RunStack:
    """Run the real `__main__.py` on the mock engine with the given config objects."""

    def run(values: dict[str, Any], *, secret: tuple[str, ...] = (), mocks: AwsMocks | None = None) -> MockRun:
        return run_program(
            PROJECT_DIR,
            "test",
            stack_config(values),
            [f"{NAMESPACE}:{key}" for key in secret],
            mocks or AwsMocks(),
        )

    return run


def of_type(run: MockRun, type_: str) -> list:
    return [resource for resource in run.resources if resource.type == type_]


@pytest.fixture(scope="session")
def pack():
    """The policy pack, started exactly as the Pulumi engine starts it."""
    from automation.pack_client import PolicyPackProcess

    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as process:
        yield process
