"""Adopting the vendor's guide with the real engine: `pulumi import --file` then `pulumi up`, the key handover,
then `adopt --detach-unmanaged`, against moto and the stand-in cloud's Kubernetes API (`make engine`).

The guide is performed by hand first (`tests/e2e/manual_setup.py`). At every step the adapter's own key (the one
the guide made, which Axonius holds) signs in and reads, with IAM authorization on, until the handover gives
Axonius the stack's key; after the handover and the detach, the user and the role hold only the stack's own
policies. The first `up` after the import creates the stack's policies and attachments and nothing it adopted.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
import yaml

import automation.__main__ as cli
from automation.adopt import run_adopt
from automation.adopt_cloud import Cloud, Cluster
from automation.mock_engine import CERTIFICATE
from tests.e2e.manual_setup import (
    ADAPTER_POLICY,
    ASSUME_POLICY,
    NODES,
    ROLE,
    USER,
    ManualSetup,
    allow_assuming_roles,
    create_role,
    create_user_with_key,
    kubectl_as,
    kubectl_steps,
)
from tests.e2e.moto_deploy import admin
from tests.e2e.moto_server import moto_server
from tests.standin.kube_api import StandinKubeApi

ROOT = Path(__file__).resolve().parents[2]
# Accounts of their own: moto keeps one backend per account in this process, which other suites share.
HOME, MEMBER, CLUSTER = "555555555555", "666666666666", "adopted-eks"
STACK = "adopted"
CONFIG = {
    "aws:region": "us-east-1",
    "axonius-aws-access:roles": {"accounts": [{"id": MEMBER}]},
    "axonius-aws-access:eks": {"clusters": [{"name": CLUSTER, "region": "us-east-1", "mode": "awsAuth"}]},
}
# The program and what it imports; the stack file is the test's own.
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "policy_pack", "venv")


class StandinClusters(Cloud):
    """adopt's reads, each cluster answered as the stand-in aws provider answers the program (endpoint, CA)."""

    def __init__(self, session: boto3.Session, endpoint: str) -> None:
        super().__init__(session)
        self.endpoint = endpoint

    def cluster(self, account: str, region: str, name: str) -> Cluster | None:
        found = super().cluster(account, region, name)
        return found and replace(found, endpoint=self.endpoint, certificate_authority=CERTIFICATE)


@dataclass
class Engine:
    project: Path
    env: dict[str, str]

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["pulumi", *args, "-s", STACK, "--non-interactive"],
            cwd=self.project, env=self.env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done

    def configure(self, **user: Any) -> None:
        config = {**CONFIG, "axonius-aws-access:user": user} if user else CONFIG
        (self.project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}))

    def preview(self) -> dict[str, str]:
        """What `pulumi up` would do: URN to operation (`create`, `update`, `replace`, ...; `same` may be left out)."""
        steps = json.loads(self.pulumi("preview", "--json").stdout).get("steps", [])
        return {step["urn"]: step["op"] for step in steps}

    def state(self) -> set[str]:
        """The URNs the stack's state holds."""
        exported = json.loads(self.pulumi("stack", "export").stdout)
        return {resource["urn"] for resource in exported["deployment"].get("resources", [])}

    def up(self) -> None:
        self.pulumi("up", "--yes", "--skip-preview")

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "output", "--json", "--show-secrets").stdout)


def engine_env(tmp: Path, moto_url: str, key: dict[str, str], clusters: dict[str, Any]) -> dict[str, str]:
    subprocess.run(["make", "engine"], cwd=ROOT, check=True, capture_output=True, timeout=1200)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    for line in (ROOT / ".engine" / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip('"').replace("$PATH", env["PATH"])
    env.update(
        PULUMI_BACKEND_URL=f"file://{tmp / 'state'}",
        PULUMI_CONFIG_PASSPHRASE="adopt-test",
        AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID=key["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        STANDIN_CLUSTERS=json.dumps(clusters),
    )
    return env


def project_copy(tmp: Path) -> Path:
    project = tmp / "project"
    (project / "stacks").mkdir(parents=True)
    (tmp / "state").mkdir()
    for name in PROJECT_FILES:
        (project / name).symlink_to(ROOT / name)
    return project


def reads_with(url: str, key_id: str, secret: str) -> tuple[str, bool]:
    """With IAM authorization on, as the adapter signs in: who it is, and whether a write is denied."""
    requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        who = session.client("sts", endpoint_url=url).get_caller_identity()["Arn"]
        session.client("ec2", endpoint_url=url).describe_instances()
        iam = session.client("iam", endpoint_url=url)
        try:
            iam.create_user(UserName="not-allowed")
            denied = False
        except iam.exceptions.ClientError:
            denied = True
        return who, denied
    finally:
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
        yield url


def attached(iam: Any, kind: str, name: str) -> set[str]:
    listing = (
        iam.list_attached_user_policies(UserName=name)
        if kind == "user"
        else iam.list_attached_role_policies(RoleName=name)
    )
    return {p["PolicyName"] for p in listing["AttachedPolicies"]}


def test_import_then_up_takes_over_and_the_adapter_key_works_throughout(
    moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    home = admin(moto_url, HOME)
    iam = home.client("iam", endpoint_url=moto_url)
    member_iam = admin(moto_url, MEMBER).client("iam", endpoint_url=moto_url)
    # The deploying identity: a user moto knows, so the clusters accept the EKS tokens it signs.
    iam.create_user(UserName="deployer")
    deployer = iam.create_access_key(UserName="deployer")["AccessKey"]
    home.client("eks", endpoint_url=moto_url).create_cluster(
        name=CLUSTER, roleArn=f"arn:aws:iam::{HOME}:role/eks", resourcesVpcConfig={}
    )
    with StandinKubeApi(CLUSTER, {"mapRoles": NODES}) as api:
        setup: ManualSetup = create_user_with_key(iam, HOME)
        create_role(member_iam, MEMBER, HOME, setup)
        allow_assuming_roles(iam, setup)
        with kubectl_as(home, api.endpoint, CLUSTER) as kubectl:
            kubectl_steps(kubectl, setup.user_arn)
        original = (setup.access_key_id, setup.secret_access_key)
        assert reads_with(moto_url, *original) == (setup.user_arn, True)

        engine = Engine(project_copy(tmp_path), engine_env(tmp_path, moto_url, deployer, {
            CLUSTER: {"endpoint": api.endpoint, "authenticationMode": "CONFIG_MAP"}
        }))  # fmt: skip
        engine.configure()
        engine.pulumi("stack", "init")

        deploying = boto3.Session(
            aws_access_key_id=deployer["AccessKeyId"],
            aws_secret_access_key=deployer["SecretAccessKey"],
            region_name="us-east-1",
        )
        out = tmp_path / "import.json"
        stack_file = engine.project / "stacks" / f"Pulumi.{STACK}.yaml"
        args = cli.parser().parse_args(
            ["adopt", "--stack", STACK, "--config-file", str(stack_file), "--out", str(out), "--json"]
        )
        assert run_adopt(args, StandinClusters(deploying, api.endpoint)) == 0, capsys.readouterr().err
        adopted = {a["urn"] for a in json.loads(capsys.readouterr().out)["adopted"]}

        for file in (out.with_name("import.parents.json"), out):
            engine.pulumi("import", "--file", str(file), "--protect=false", "--generate-code=false", "--yes")
        assert reads_with(moto_url, *original) == (setup.user_arn, True)

        assert adopted <= engine.state(), "every adopted resource is in the stack, under the URN the program declares"
        ops = engine.preview()
        assert {urn: op for urn, op in ops.items() if urn in adopted and op not in ("same", "update")} == {}
        created = {urn.rsplit("::", 2)[-2].rsplit("$", 1)[-1] for urn, op in ops.items() if op == "create"}
        assert created <= {"aws:iam/policy:Policy", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                           "aws:iam/rolePolicyAttachment:RolePolicyAttachment"}, created  # fmt: skip
        engine.up()
        assert reads_with(moto_url, *original) == (setup.user_arn, True)
        outputs = engine.outputs()
        assert [k["secretKnown"] for k in outputs["accessKeys"]] == [False]
        assert outputs["accessKeys"][0]["accessKeyId"] == setup.access_key_id

        # The handover, as README "Rotating the access key" runs it; the adapter's key works until it is handed over.
        engine.configure(otherKey="active")
        engine.up()
        assert reads_with(moto_url, *original) == (setup.user_arn, True)
        new_key = next(k for k in engine.outputs()["accessKeys"] if k["slot"] == 2)
        new_secret = engine.outputs()["secretAccessKey2"]
        assert reads_with(moto_url, new_key["accessKeyId"], new_secret) == (setup.user_arn, True)
        engine.configure(activeKey=2, otherKey="active")
        engine.up()
        assert reads_with(moto_url, *original) == (setup.user_arn, True)
        engine.configure(activeKey=2, otherKey="inactive")
        engine.up()
        engine.configure(activeKey=2, otherKey="absent")
        engine.up()
        keys = iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [new_key["accessKeyId"]]

        args = cli.parser().parse_args(
            ["adopt", "--stack", STACK, "--config-file", str(stack_file), "--detach-unmanaged"]
        )
        assert run_adopt(args, StandinClusters(deploying, api.endpoint)) == 0, capsys.readouterr().err
        assert reads_with(moto_url, new_key["accessKeyId"], new_secret) == (setup.user_arn, True)
        own = {p.rsplit("/", 1)[-1] for p in engine.outputs()["policyArns"]}
        assert attached(iam, "user", USER) == own and not own & {ADAPTER_POLICY, ASSUME_POLICY}
        assert ADAPTER_POLICY not in attached(member_iam, "role", ROLE)
        assert set(engine.preview().values()) <= {"same"}  # the stack is settled: nothing left to change
