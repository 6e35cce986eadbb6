"""What the prod stack means in AWS: applied to a moto server on 127.0.0.1 with IAM authorization on.

We create exactly what `python -m automation plan --json` declares (users, policies, attachments,
access key, roles in each account), then act as the created user with its own access key.

moto's known gaps, covered by the policy pack's tests instead (tests/test_pack_other_rules.py):
- cross-account trust policies and `sts:ExternalId` are not evaluated (a missing external ID passes);
- `DurationSeconds` is not capped by the role's maximum session duration;
- create_role does not validate the trust document; name, path and size limits are not enforced;
- EKS access entries are not implemented, and rest-json GETs fail signature checks under authorization,
  so the EKS parts are proven on the mock engine and the local Kubernetes API server instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.e2e.moto_server import moto_server
from tests.plan_runs import plan_json

REGION = "us-east-1"
HOME = "111111111111"
ROLE_NAME = "Axonius-Readonly-Role"


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    return plan_json("prod")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def client(service: str, url: str, credentials: dict[str, str]):
    return boto3.client(service, region_name=REGION, endpoint_url=url, **credentials)


def account_credentials(url: str, account: str) -> dict[str, str]:
    """Admin credentials in `account`: with authorization off, moto lands an assumed role in its account."""
    sts = client("sts", url, {"aws_access_key_id": "AKIAADMIN", "aws_secret_access_key": "x"})
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="setup")["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def resource_account(resource: dict, providers: dict[str, str]) -> str:
    return providers.get(resource["provider"].rsplit("::", 1)[0], HOME)


@pytest.fixture(scope="module")
def deployed(declared, moto_url) -> dict[str, Any]:
    """Apply the plan to moto in dependency order; return the user's key and what was created."""
    resources = [r for r in declared["resources"] if r["type"].startswith("aws:iam/")]
    providers = {
        r["urn"]: json.loads(r["inputs"]["allowedAccountIds"])[0]
        for r in declared["resources"]
        if r["type"] == "pulumi:providers:aws"
    }
    iam = {}
    created: dict[str, list[str]] = {"policies": [], "roles": []}

    def iam_in(account: str):
        if account not in iam:
            iam[account] = client("iam", moto_url, account_credentials(moto_url, account))
        return iam[account]

    order = ["user:User", "policy:Policy", "role:Role", "userPolicyAttachment", "rolePolicyAttachment", "accessKey"]
    key = None
    for kind in order:
        for resource in (r for r in resources if kind in r["type"]):
            inputs, api = resource["inputs"], iam_in(resource_account(resource, providers))
            if kind == "user:User":
                api.create_user(UserName=inputs["name"], Path=inputs["path"])
            elif kind == "policy:Policy":
                arn = api.create_policy(PolicyName=inputs["name"], PolicyDocument=inputs["policy"])["Policy"]["Arn"]
                created["policies"].append(arn)
            elif kind == "role:Role":
                arn = api.create_role(
                    RoleName=inputs["name"],
                    AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
                    MaxSessionDuration=inputs["maxSessionDuration"],
                )["Role"]["Arn"]
                created["roles"].append(arn)
            elif kind == "userPolicyAttachment":
                api.attach_user_policy(UserName=inputs["user"], PolicyArn=inputs["policyArn"])
            elif kind == "rolePolicyAttachment":
                api.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
            else:
                key = api.create_access_key(UserName=inputs["user"])["AccessKey"]
    admin = account_credentials(moto_url, HOME)
    ec2 = client("ec2", moto_url, admin)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
    s3 = client("s3", moto_url, admin)
    s3.create_bucket(Bucket="inventory-data")
    s3.put_object(Bucket="inventory-data", Key="secret.txt", Body=b"not for the adapter")
    requests.post(f"{moto_url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    assert key is not None
    return {
        "user": {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
        **created,
    }


def denied(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
    return False


def test_every_document_was_accepted_by_motos_policy_validator(deployed):
    # 4 in the home account (3 read-only and the assume-role policy), 3 in each of 3 role accounts
    assert len(deployed["policies"]) == 13
    assert sorted(deployed["roles"]) == [
        f"arn:aws:iam::{a}:role/{ROLE_NAME}" for a in ("222222222222", "333333333333", "444444444444")
    ]


def test_the_user_can_describe_and_list(deployed, moto_url):
    user = deployed["user"]
    ec2, iam, s3 = (client(s, moto_url, user) for s in ("ec2", "iam", "s3"))
    assert len(ec2.describe_instances()["Reservations"]) == 1
    ec2.describe_vpcs()
    ec2.describe_security_groups()
    ec2.describe_volumes()
    assert "Axonius-Readonly" in [u["UserName"] for u in iam.list_users()["Users"]]
    iam.list_roles()
    iam.list_policies(Scope="Local")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["inventory-data"]


def test_the_user_cannot_write_or_read_data(deployed, moto_url):
    user = deployed["user"]
    ec2, iam, s3 = (client(s, moto_url, user) for s in ("ec2", "iam", "s3"))
    volume = "vol-00000000000000000"
    assert denied(ec2.run_instances, ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    assert denied(ec2.create_snapshot, VolumeId=volume)
    assert denied(iam.create_user, UserName="intruder")
    assert denied(
        iam.attach_user_policy, UserName="Axonius-Readonly", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    assert denied(s3.put_object, Bucket="inventory-data", Key="x", Body=b"x")
    assert denied(s3.get_object, Bucket="inventory-data", Key="secret.txt")


def test_the_user_assumes_the_roles_and_they_read_but_do_not_write(deployed, moto_url):
    sts = client("sts", moto_url, deployed["user"])
    for role in deployed["roles"]:
        answer = sts.assume_role(RoleArn=role, RoleSessionName="axonius", DurationSeconds=3600)["Credentials"]
        credentials = {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }
        ec2, iam = client("ec2", moto_url, credentials), client("iam", moto_url, credentials)
        ec2.describe_instances()
        iam.list_roles()
        assert denied(iam.create_user, UserName="intruder")
        assert denied(ec2.run_instances, ImageId="ami-12c6146b", MinCount=1, MaxCount=1)


def test_the_user_cannot_assume_a_role_outside_the_stack(deployed, moto_url):
    sts = client("sts", moto_url, deployed["user"])
    assert denied(sts.assume_role, RoleArn="arn:aws:iam::555555555555:role/Admin", RoleSessionName="axonius")
