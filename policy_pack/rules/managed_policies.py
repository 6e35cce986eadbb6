"""Attachments: an AWS managed policy passes only if our generated table says it grants only List/Read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from .iam_documents import shown
from .unknowns import Unknown

TABLE_PATH = Path(__file__).with_name("aws_managed_policies.json")
AWS_MANAGED_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:[A-Za-z0-9_+=,.@-]+/)*([A-Za-z0-9_+=,.@-]+)")
CUSTOMER_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:policy/(?:[!-~]*/)?[A-Za-z0-9_+=,.@-]{1,128}")


@cache
def _table() -> dict[str, Any]:
    return json.loads(TABLE_PATH.read_text())


def read_only_managed_policies() -> frozenset[str]:
    return frozenset(_table()["readOnly"])


def managed_policy_name(arn: Any) -> str | None:
    match = AWS_MANAGED_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


def check_aws_managed_arn(arn: Any, field: str = "policyArn") -> list[str]:
    """Problems with an AWS managed policy ARN; customer ARNs are the stack policy's to check."""
    if isinstance(arn, Unknown):
        return []
    if not isinstance(arn, str) or not arn:
        return [f"{field} is {shown(arn)}, not a policy ARN; give the ARN of a read-only policy"]
    name = managed_policy_name(arn)
    if name is None:
        if is_customer_policy_arn(arn):
            return []  # the stack policy follows it to the policy declared here
        return [
            f"{field} is {shown(arn)}, which is neither an AWS managed nor a customer managed policy ARN the pack "
            "can check (arn:aws:iam::aws:policy/... or arn:aws:iam::<account>:policy/..., exact case); fix it"
        ]
    if name in read_only_managed_policies():
        return []
    return [
        f"{field}: the AWS managed policy {name!r} grants more than List/Read (or is not in the table made from "
        "the IAM data); attach a read-only policy instead"
    ]


def managed_sensitive_reads(arn: Any, allowed: Iterable[str] = ()) -> list[str]:
    """The sensitive reads (see sensitive_actions.py) an attached read-only AWS managed policy grants."""
    name = managed_policy_name(arn)
    if name is None:
        return []
    skipped = {action.lower() for action in allowed}
    return [action for action in _table()["sensitiveReads"].get(name, []) if action.lower() not in skipped]


def is_customer_policy_arn(arn: Any) -> bool:
    return isinstance(arn, str) and "*" not in arn and CUSTOMER_POLICY_ARN.fullmatch(arn) is not None
