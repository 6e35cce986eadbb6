"""The real-engine suite: the Pulumi CLI from `make engine`, a file backend with a passphrase, and the stand-in
cloud (one moto server and one fake API server per EKS cluster, shared by the session).

Each test module works in its own copy of the project (the CLI writes each new stack's `encryptionsalt` into its
stack file, and the clone must stay clean) with its own backend folder, and destroys what it deployed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.standin.cloud import StandinCloud

from .harness import CLUSTERS, ENGINE_ENV, FOREIGN_AWS_AUTH, PASSPHRASE, Engine, copy_project, engine_environment


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the built engine every test here is skipped, saying so (CI builds it: `.ci/run` runs make engine)."""
    if ENGINE_ENV.is_file():
        return
    reason = f"the real-engine suite needs the built engine: run make engine ({ENGINE_ENV} is missing)"
    for item in items:
        if Path(item.path).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def cloud() -> Iterator[StandinCloud]:
    with StandinCloud(
        clusters=dict.fromkeys(CLUSTERS, FOREIGN_AWS_AUTH),
        organization=PROJECT_DIR / "stacks" / "organization.org.json",
    ) as standin:
        yield standin


@pytest.fixture(scope="module")
def engine(cloud: StandinCloud, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    project = copy_project(tmp_path_factory.mktemp("project"))
    backend = tmp_path_factory.mktemp("backend")
    env = {
        **os.environ,
        **engine_environment(),
        **cloud.env(),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    }
    return Engine(project=project, env=env, cloud=cloud)
