"""The account the deploying credentials belong to (`sts:GetCallerIdentity`), and the user's exact ARN in it.

The pack trusts only the stack's own user. A name alone would trust a user of that name in any account, so
preview, up and pack-config look the account up with the credentials that will deploy, as `plan` knows it from
the mock engine.
"""

from __future__ import annotations

import boto3.session
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from .aws_client import DEFAULT_TIMEOUTS, UNREACHABLE, Timeouts, unreachable_message


class DeployingAccountError(Exception):
    """The deploying account cannot be looked up; the message says why and what to do."""


HOW_TO_FIX = (
    "the policy pack needs the user's exact ARN, which needs the deploying account: run with the credentials "
    "that deploy (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), or pass --home-account ID"
)


def deploying_account(timeouts: Timeouts = DEFAULT_TIMEOUTS) -> tuple[str, str]:
    """(partition, account ID) of the credentials boto3 finds, asked of STS at the environment's endpoint."""
    try:
        sts = boto3.session.Session().client("sts", config=timeouts.config())  # fresh: never cached credentials
    except BotoCoreError as error:
        raise DeployingAccountError(f"cannot look up the deploying account ({error}); {HOW_TO_FIX}") from None
    try:
        arn = sts.get_caller_identity()["Arn"]
    except UNREACHABLE as error:
        raise DeployingAccountError(
            f"{unreachable_message('STS', sts.meta.endpoint_url, error)}; {HOW_TO_FIX}"
        ) from None
    except (BotoCoreError, ClientError) as error:
        raise DeployingAccountError(
            f"cannot look up the deploying account at {sts.meta.endpoint_url} ({error}); {HOW_TO_FIX}"
        ) from None
    parts = arn.split(":")
    return parts[1], parts[4]


def user_arn(partition: str, account: str, path: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:user{path}{name}"


def partition_of(region: str | None) -> str:
    """The partition of a region (botocore's endpoint data); `aws` when the stack names none."""
    if not region:
        return "aws"
    return botocore.session.Session().get_partition_for_region(region)
