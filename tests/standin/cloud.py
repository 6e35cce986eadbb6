"""The stand-in cloud the stand-in plugins talk to: one moto server and one fake API server per EKS cluster.

In tests: `with StandinCloud(clusters={"legacy-eks": foreign_aws_auth}) as cloud:` and run `pulumi` with
`cloud.env()`. By hand (README, "Running with the real engine"):

    venv/bin/python -m tests.standin.cloud --cluster legacy-eks --organization stacks/organization.org.json

prints the environment to export and serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Self

import boto3
import requests
from moto.server import ThreadedMotoServer

from tests.e2e.moto_server import free_port

from .kube_api import StandinKubeApi

# The deploying identity: an administrator user in moto's default account, 123456789012, with a key moto issued
# (EKS tokens it signs must be checkable, as aws-iam-authenticator checks them).
DEPLOYER = "deployer"
ADMINISTRATOR = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'


class StandinCloud:
    def __init__(
        self,
        clusters: Mapping[str, Mapping[str, str] | None] | None = None,
        organization: Path | None = None,
        region: str = "us-east-1",
    ) -> None:
        """`clusters`: name to the aws-auth data it starts with (None: no aws-auth ConfigMap)."""
        self.port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.clusters = {name: StandinKubeApi(name, dict(data) if data is not None else None)
                         for name, data in (clusters or {}).items()}  # fmt: skip
        self.organization = organization
        self.region = region
        self._stack = ExitStack()
        self.credentials: dict[str, str] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.moto.start()
        self._stack.callback(self.moto.stop)
        # moto's accounts live in the process, shared with any other moto server in it (the e2e tests'): start empty.
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        # ... and so is IAM authorization: off, as an administrator deploys (tests turn it on for verify).
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
        iam = boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="setup",
            aws_secret_access_key="x",
        )
        iam.create_user(UserName=DEPLOYER)
        iam.put_user_policy(UserName=DEPLOYER, PolicyName="administrator", PolicyDocument=ADMINISTRATOR)
        key = iam.create_access_key(UserName=DEPLOYER)["AccessKey"]
        self.credentials = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        for api in self.clusters.values():
            self._stack.enter_context(api)
        return self

    def __exit__(self, *_: object) -> None:
        self._stack.close()

    def env(self) -> dict[str, str]:
        """What the CLI (and so every plugin it starts) needs in its environment to use this cloud."""
        clusters = {name: {"endpoint": api.endpoint} for name, api in self.clusters.items()}
        env = {
            **self.credentials,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "STANDIN_CLUSTERS": json.dumps(clusters),
        }
        if self.organization:
            env["STANDIN_ORGANIZATION"] = str(self.organization.resolve())
        return env


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.standin.cloud", description=__doc__)
    parser.add_argument("--cluster", action="append", default=[], help="an EKS cluster to serve (repeatable)")
    parser.add_argument("--organization", type=Path, help="organization file answering Organizations calls")
    args = parser.parse_args()
    with StandinCloud(clusters={name: {} for name in args.cluster}, organization=args.organization) as cloud:
        for key, value in cloud.env().items():
            print(f"export {key}='{value}'", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()


if __name__ == "__main__":
    main()
