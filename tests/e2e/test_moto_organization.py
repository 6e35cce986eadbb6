"""Organization mode in AWS terms: the StackSet's template deployed by CloudFormation in a member account (moto).

The example org stack is planned offline (`--organization stacks/organization.org.json`); the user and its
policies (with the one org-scoped AssumeRole statement) are created in the home account, and the StackSet's
own template body is deployed as a CloudFormation stack in member account 333333333333, with the user's
real ARN and unique ID as parameters, as a StackSet instance would be. moto does not run StackSets or
Organizations, and ignores policy conditions (`aws:ResourceOrgID`), so the scoping of the grant is the pack's
to prove; here: CloudFormation accepts the template and what it creates only reads. moto evaluates a trust
policy's external ID only within one account (FINDINGS, moto 5.2), so the template is also deployed in the
home account, where a wrong external ID must be refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.moto_server import moto_server
from tests.e2e.test_moto_iam import HOME, account_credentials, client, denied
from tests.plan_runs import plan_json

MEMBER = "333333333333"
ROLE_NAME = "Axonius-Readonly-Role"
EXTERNAL_ID = "ORG-WIDE-ID"


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    return plan_json("org", "--organization", "stacks/organization.org.json")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def of_type(declared: dict, type_: str) -> list[dict]:
    return [r for r in declared["resources"] if r["type"] == type_]


@pytest.fixture(scope="module")
def deployed(declared, moto_url) -> dict[str, Any]:
    """The user and its policies at home, the StackSet's template as a stack in the member account."""
    # moto's state is per process: start from empty backends with authorization off, whatever ran before.
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    requests.post(f"{moto_url}/moto-api/reset-auth", data=b"1000000", timeout=10).raise_for_status()
    home = client("iam", moto_url, account_credentials(moto_url, HOME))
    user_name = of_type(declared, "aws:iam/user:User")[0]["inputs"]["name"]
    user = home.create_user(UserName=user_name)["User"]
    for policy in of_type(declared, "aws:iam/policy:Policy"):
        if "inventory-user" in policy["urn"]:
            arn = home.create_policy(PolicyName=policy["inputs"]["name"], PolicyDocument=policy["inputs"]["policy"])
            home.attach_user_policy(UserName=user_name, PolicyArn=arn["Policy"]["Arn"])
    key = home.create_access_key(UserName=user_name)["AccessKey"]
    (stack_set,) = of_type(declared, "aws:cloudformation/stackSet:StackSet")
    planned = stack_set["inputs"]["parameters"]
    parameters = {**planned, "UserArn": user["Arn"], "UserUniqueId": user["UserId"]}
    stacks = {}
    for account in (MEMBER, HOME):
        cloudformation = client("cloudformation", moto_url, account_credentials(moto_url, account))
        cloudformation.create_stack(
            StackName="axonius-readonly",
            TemplateBody=stack_set["inputs"]["templateBody"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=stack_set["inputs"]["capabilities"],
        )
        stacks[account] = cloudformation.describe_stacks(StackName="axonius-readonly")["Stacks"][0]
    member_iam = client("iam", moto_url, account_credentials(moto_url, MEMBER))
    role = member_iam.get_role(RoleName=ROLE_NAME)["Role"]
    attached = member_iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
    requests.post(f"{moto_url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    return {
        "planned": planned,
        "stacks": stacks,
        "role": role,
        "attached": attached,
        "user": {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]},
    }


def test_cloudformation_created_the_role_and_its_read_only_policies(deployed):
    assert {stack["StackStatus"] for stack in deployed["stacks"].values()} == {"CREATE_COMPLETE"}
    role = deployed["role"]
    assert role["Arn"] == f"arn:aws:iam::{MEMBER}:role/{ROLE_NAME}"
    assert role["MaxSessionDuration"] == 14400
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{HOME}:user/Axonius-Readonly"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    assert sorted(p["PolicyName"] for p in deployed["attached"]) == [
        f"{ROLE_NAME}-ReadOnly-1",
        f"{ROLE_NAME}-ReadOnly-2",
    ]
    assert deployed["planned"]["ExternalId"] == EXTERNAL_ID  # the StackSet's own parameter value


def assume(moto_url: str, user: dict, account: str = MEMBER, **kwargs: Any) -> dict[str, str]:
    sts = client("sts", moto_url, user)
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}", RoleSessionName="axonius", **kwargs)
    return {
        "aws_access_key_id": answer["Credentials"]["AccessKeyId"],
        "aws_secret_access_key": answer["Credentials"]["SecretAccessKey"],
        "aws_session_token": answer["Credentials"]["SessionToken"],
    }


def test_the_user_assumes_the_role_with_the_external_id_and_only_reads(deployed, moto_url):
    credentials = assume(moto_url, deployed["user"], ExternalId=EXTERNAL_ID)
    ec2, iam, s3 = (client(s, moto_url, credentials) for s in ("ec2", "iam", "s3"))
    ec2.describe_instances()
    ec2.describe_vpcs()
    assert ROLE_NAME in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    s3.list_buckets()
    assert denied(iam.create_user, UserName="intruder")
    assert denied(iam.attach_role_policy, RoleName=ROLE_NAME, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert denied(ec2.run_instances, ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    assert denied(s3.create_bucket, Bucket="exfiltration")


def test_a_wrong_external_id_is_refused_where_moto_evaluates_trust(deployed, moto_url):
    assume(moto_url, deployed["user"], HOME, ExternalId=EXTERNAL_ID)
    role = f"arn:aws:iam::{HOME}:role/{ROLE_NAME}"
    sts = client("sts", moto_url, deployed["user"])
    assert denied(sts.assume_role, RoleArn=role, RoleSessionName="axonius", ExternalId="WRONG-ID")


def test_the_users_grant_reaches_only_that_role_name(deployed, moto_url):
    sts = client("sts", moto_url, deployed["user"])
    assert denied(
        sts.assume_role, RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", RoleSessionName="axonius"
    )
