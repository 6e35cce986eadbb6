"""What the real-engine tests share: the project copy and environment `pulumi` runs in, and snapshots of the
stand-in cloud to compare before and after."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
import yaml

from tests.conftest import PROJECT_DIR
from tests.standin.cloud import StandinCloud

ENGINE_ENV = PROJECT_DIR / ".engine" / "env"
PASSPHRASE = "engine-suite-passphrase"
HOME = "123456789012"  # moto's default account: the deploying credentials' account
MEMBER_ACCOUNTS = ("222222222222", "333333333333", "444444444444", "555555555555", "999999999999")
# aws-auth entries that are not ours, in every cluster's ConfigMap: they must survive every create and delete.
FOREIGN_AWS_AUTH = {
    "mapRoles": "- rolearn: arn:aws:iam::123456789012:role/eks-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups: [system:bootstrappers, system:nodes]\n",
    "mapUsers": "- userarn: arn:aws:iam::123456789012:user/admin\n  username: admin\n  groups: [system:masters]\n",
}
CLUSTERS = ("prod-eks", "legacy-eks", "data-eks")


def engine_environment() -> dict[str, str]:
    """`.engine/env` as a mapping (its lines are `export NAME="VALUE"`, with `$PATH` the only reference)."""
    env: dict[str, str] = {}
    for line in ENGINE_ENV.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0].replace("$PATH", os.environ.get("PATH", ""))
    return env


@dataclass
class Engine:
    """A copy of the project, a backend, and the environment `pulumi` runs in (engine + stand-in cloud)."""

    project: Path
    env: dict[str, str]
    cloud: StandinCloud
    runs: list[list[str]] = field(default_factory=list)

    def run(self, args: Sequence[str], *, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
        self.runs.append(list(args))
        done = subprocess.run(
            list(args), cwd=cwd or self.project, env=self.env, capture_output=True, text=True, timeout=600
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{shlex.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def pulumi(self, *args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.run(["pulumi", *args], check=check, cwd=cwd)

    def python(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run([str(self.project / "venv" / "bin" / "python"), *args], check=check)

    def outputs(self, stack: str) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "output", "-s", stack, "--json", "--show-secrets").stdout)

    def pack_config(self, stack: str) -> Path:
        """The per-stack policy config, as `python -m automation pack-config` prints it for plain pulumi (the home
        account given, as the README's offline commands give it: the stand-in cloud's STS is not always running)."""
        path = self.project / f"pack-config.{stack}.json"
        path.write_text(self.python("-m", "automation", "pack-config", "--stack", stack, "--home-account", HOME).stdout)
        return path

    def with_pack(self, stack: str) -> list[str]:
        """`--policy-pack policy_pack --policy-pack-config <the stack's pack config>`, as the README runs it."""
        return ["--policy-pack", "policy_pack", "--policy-pack-config", str(self.pack_config(stack))]

    def authorization(self, on: bool) -> None:
        """moto's IAM authorization: off while deploying (as an administrator would), on for verify."""
        count = b"0" if on else b"inf"
        requests.post(f"{self.cloud.endpoint}/moto-api/reset-auth", data=count, timeout=10).raise_for_status()


def copy_project(target: Path, source: Path = PROJECT_DIR) -> Path:
    """The project's tracked files, as a clone has them, with the clone's venv."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=source, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (source / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
    (target / "venv").symlink_to(PROJECT_DIR / "venv")
    return target


def iam_snapshot(cloud: StandinCloud, accounts: Sequence[str] = (HOME, *MEMBER_ACCOUNTS)) -> dict[str, Any]:
    """Every user, role, customer policy, attachment and key in each account, as names (to compare)."""
    snapshot: dict[str, Any] = {}
    for account in accounts:
        iam = account_session(cloud, account).client("iam", endpoint_url=cloud.endpoint)
        users = [u["UserName"] for u in iam.list_users()["Users"]]
        roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
        snapshot[account] = {
            "users": sorted(users),
            "roles": sorted(roles),
            "policies": sorted(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]),
            "keys": sorted(
                k["AccessKeyId"] for u in users for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]
            ),
            "attached": sorted(
                (r, p["PolicyArn"])
                for r in roles
                for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]
            ),
        }
    return snapshot


def account_session(cloud: StandinCloud, account: str) -> boto3.Session:
    """Administrator credentials in `account` (moto lands an assumed role in the role's account)."""
    env = cloud.env()
    sts = boto3.client(
        "sts",
        region_name=cloud.region,
        endpoint_url=cloud.endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    if account == HOME:
        return boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=cloud.region,
        )
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="suite")["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
        region_name=cloud.region,
    )


def clusters_snapshot(cloud: StandinCloud) -> dict[str, Any]:
    """Every cluster's objects and aws-auth data, parsed: entries must keep their content, not their spelling."""
    return {
        name: {**snapshot, "aws-auth": {k: yaml.safe_load(v) for k, v in (snapshot["aws-auth"] or {}).items()}}
        for name, snapshot in ((name, api.snapshot()) for name, api in cloud.clusters.items())
    }
