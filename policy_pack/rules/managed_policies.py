"""Attachments: an AWS managed policy passes only if our generated table says it grants only List/Read."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("aws_managed_policies.json")
AWS_MANAGED_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:[A-Za-z0-9_+=,.@-]+/)*([A-Za-z0-9_+=,.@-]+)")
ATTACHMENT_TYPES = frozenset(
    f"aws:iam/{kind}"
    for kind in (
        "userPolicyAttachment:UserPolicyAttachment",
        "rolePolicyAttachment:RolePolicyAttachment",
        "groupPolicyAttachment:GroupPolicyAttachment",
        "policyAttachment:PolicyAttachment",
    )
)


@cache
def read_only_managed_policies() -> frozenset[str]:
    return frozenset(json.loads(TABLE_PATH.read_text())["readOnly"])


def managed_policy_name(arn: Any) -> str | None:
    match = AWS_MANAGED_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


def check_aws_managed_arn(arn: Any) -> list[str]:
    """Problems with an AWS managed policy ARN; customer ARNs are the stack policy's to check."""
    name = managed_policy_name(arn)
    if name is None or name in read_only_managed_policies():
        return []
    return [
        f"the AWS managed policy {name!r} grants more than List/Read (or is not in the table made from IAM data); "
        "attach a read-only policy instead"
    ]


def is_customer_policy_arn(arn: Any) -> bool:
    return isinstance(arn, str) and arn.startswith("arn:") and managed_policy_name(arn) is None
