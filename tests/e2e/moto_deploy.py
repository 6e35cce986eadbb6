"""Apply what the program declares on the mock engine to a moto server, as `pulumi up` would to AWS.

Only the IAM resources (users, policies, roles, attachments, access keys), each in the account its provider
deploys into. Access keys are reconciled by slot, so applying the next step of a key rotation creates,
switches off or deletes keys as the engine would, and keeps every other key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import boto3
import requests
from moto.iam import access_control
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

from automation.display import presentable
from automation.mock_engine import DEFAULT_HOME_ACCOUNT, MockRun, provider_allowed_accounts

REGION = "us-east-1"
KINDS = ("user:User", "policy:Policy", "role:Role", "userPolicyAttachment", "rolePolicyAttachment")


def admin(url: str, account: str) -> boto3.Session:
    """Credentials in `account`: while authorization is off, moto lands an assumed role in the role's account."""
    sts = boto3.client(
        "sts", region_name=REGION, endpoint_url=url, aws_access_key_id="AKIAADMIN", aws_secret_access_key="x"
    )
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    return boto3.Session(
        aws_access_key_id=answer["AccessKeyId"],
        aws_secret_access_key=answer["SecretAccessKey"],
        aws_session_token=answer["SessionToken"],
        region_name=REGION,
    )


@contextmanager
def authorization_off(url: str) -> Iterator[None]:
    """Set-up calls go through unchecked; IAM authorization is on again afterwards."""
    requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
    try:
        yield
    finally:
        requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()


@dataclass
class MotoStack:
    """The deployed stack: moto's own access keys by slot, and the stack outputs carrying them."""

    url: str
    keys: dict[int, dict[str, str]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def iam(self, account: str):
        return admin(self.url, account).client("iam", endpoint_url=self.url)

    def apply(self, run: MockRun) -> None:
        """Create what is new in `run` (call inside `authorization_off`); reconcile the access keys by slot."""
        accounts = {
            r.urn: provider_allowed_accounts(r.inputs)[0] for r in run.resources if r.type == "pulumi:providers:aws"
        }
        clients: dict[str, Any] = {}
        for kind in KINDS:
            for resource in (r for r in run.resources if r.type.startswith("aws:iam/") and kind in r.type):
                account = accounts.get(resource.provider.rsplit("::", 1)[0], DEFAULT_HOME_ACCOUNT)
                if account not in clients:
                    clients[account] = self.iam(account)
                _create(clients[account], kind, presentable(resource.inputs, True))
        self._reconcile_keys(run, clients.get(DEFAULT_HOME_ACCOUNT) or self.iam(DEFAULT_HOME_ACCOUNT))
        self.outputs = copy.deepcopy({name: output.value for name, output in run.outputs.items()})
        self._put_moto_keys_in_outputs()

    def _reconcile_keys(self, run: MockRun, iam) -> None:
        wanted = {
            (2 if r.name.endswith("-key-2") else 1): presentable(r.inputs, True)
            for r in run.resources
            if r.type == "aws:iam/accessKey:AccessKey"
        }
        for slot in set(self.keys) - set(wanted):
            iam.delete_access_key(UserName=self.keys[slot]["UserName"], AccessKeyId=self.keys.pop(slot)["AccessKeyId"])
        for slot, inputs in wanted.items():
            if slot not in self.keys:
                self.keys[slot] = iam.create_access_key(UserName=inputs["user"])["AccessKey"]
            key = self.keys[slot]
            iam.update_access_key(UserName=key["UserName"], AccessKeyId=key["AccessKeyId"], Status=inputs["status"])

    def _put_moto_keys_in_outputs(self) -> None:
        if "activeKey" not in self.outputs:
            return
        active = self.keys[self.outputs["activeKey"]]
        self.outputs["accessKeyId"] = active["AccessKeyId"]
        self.outputs["secretAccessKey"] = active["SecretAccessKey"]
        for entry in self.outputs["accessKeys"]:
            entry["accessKeyId"] = self.keys[entry["slot"]]["AccessKeyId"]
            self.outputs[f"secretAccessKey{entry['slot']}"] = self.keys[entry["slot"]]["SecretAccessKey"]


def _create(iam, kind: str, inputs: dict[str, Any]) -> None:
    """Create one resource unless it exists (a later step of the same stack)."""
    try:
        if kind == "user:User":
            iam.create_user(UserName=inputs["name"], Path=inputs["path"])
        elif kind == "policy:Policy":
            iam.create_policy(PolicyName=inputs["name"], PolicyDocument=inputs["policy"])
        elif kind == "role:Role":
            iam.create_role(
                RoleName=inputs["name"],
                AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
                MaxSessionDuration=inputs["maxSessionDuration"],
            )
        elif kind == "userPolicyAttachment":
            iam.attach_user_policy(UserName=inputs["user"], PolicyArn=inputs["policyArn"])
        else:
            iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
    except iam.exceptions.EntityAlreadyExistsException:
        pass


@contextmanager
def rest_json_get_signatures_checked_as_aws_does() -> Iterator[None]:
    """moto 5.2 signs a GET's parsed parameters instead of its empty body when it checks a signature, so
    every rest-json GET (EKS, Lambda, GuardDuty, Macie2, Security Hub) fails with SignatureDoesNotMatch under
    authorization. Check those as AWS does: the empty body. Signatures stay checked; nothing else changes."""
    original = access_control.IAMRequestBase._create_aws_request

    def with_empty_body(self: access_control.IAMRequestBase) -> Any:
        request = original(self)
        if self._method in ("GET", "HEAD") and not self._body:
            request.data = b""
        return request

    with patch.object(access_control.IAMRequestBase, "_create_aws_request", with_empty_body):
        yield


def add_aws_managed_policy(account: str, name: str) -> str:
    """Make one AWS managed policy attachable in `account`, from moto's own copy of AWS's data.

    moto loads all ~1,300 of them into every account only with MOTO_IAM_LOAD_MANAGED_POLICIES, which makes each
    account's first IAM call take seconds; one is all these tests attach.
    """
    data = json.loads(aws_managed_policies_data)[name]
    policy = AWSManagedPolicy.from_data(name, account, REGION, data)
    iam_backends[account]["aws"].managed_policies[policy.arn] = policy
    return policy.arn
