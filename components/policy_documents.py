"""IAM policy documents as plain data: read-only grants, assume-role grants and role trust.

AWS counts a managed policy's size without whitespace (6,144 characters) and attaches at most
10 managed policies to a user or role (a quota raisable to 20: `user.maxManagedPolicies`), so grants
are split into as few documents as fit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"
MAX_POLICY_CHARS = 6144

Document = dict[str, Any]


class PolicyLimitError(ValueError):
    """The grants do not fit in the documents or attachments AWS allows."""


def compact_json(document: Document) -> str:
    """The document as AWS measures it: no whitespace."""
    return json.dumps(document, separators=(",", ":"))


def split_into_documents(items: Sequence[str], make_document: Callable[[list[str]], Document]) -> list[Document]:
    """Split `items`, in order, across as few documents as fit the size limit.

    Filling each document until the next item does not fit wastes less than one item per document,
    and keeps a service's actions together when the items are sorted.
    """
    if not items:
        return []
    empty_size = len(compact_json(make_document([])))
    chunks: list[list[str]] = [[]]
    size = empty_size
    for item in items:
        item_size = len(json.dumps(item))
        if empty_size + item_size > MAX_POLICY_CHARS:
            raise PolicyLimitError(f"{item!r} alone does not fit in a {MAX_POLICY_CHARS}-character policy")
        if chunks[-1] and size + 1 + item_size > MAX_POLICY_CHARS:
            chunks.append([])
            size = empty_size
        size += item_size + (1 if chunks[-1] else 0)
        chunks[-1].append(item)
    return [make_document(chunk) for chunk in chunks]


def read_only_document(actions: list[str]) -> Document:
    return {
        "Version": POLICY_VERSION,
        "Statement": [{"Sid": "AxoniusReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def assume_role_document(role_arns: list[str]) -> Document:
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {"Sid": "AssumeAxoniusRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arns}
        ],
    }


def read_only_documents(actions: Sequence[str]) -> list[Document]:
    return split_into_documents(actions, read_only_document)


def assume_role_documents(role_arns: Sequence[str]) -> list[Document]:
    return split_into_documents(sorted(role_arns), assume_role_document)


def check_attachment_count(identity: str, count: int, limit: int) -> None:
    if count > limit:
        raise PolicyLimitError(
            f"{identity} would need {count} managed policies; the limit is {limit} (user.maxManagedPolicies, "
            "AWS's quota: 10 unless raised, at most 20). Select fewer permission sets or actions, raise the quota, "
            "or use organization mode, whose grant is one statement whatever the number of accounts."
        )


def trust_document(user_arn: str, user_unique_id: str, external_id: str | None) -> Document:
    """Trust only the inventory user, with the external ID when one is set.

    AWS stores a trust principal as the user's unique ID: a re-created user with the same ARN is not
    trusted until the policy is written again. The Sid carries the unique ID so that replacing the
    user changes this document and Pulumi re-applies it.
    """
    statement: Document = {
        "Sid": f"TrustAxoniusUser{user_unique_id}",
        "Effect": "Allow",
        "Principal": {"AWS": user_arn},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def role_arn(partition: str, account_id: str, role_name: str, path: str = "/") -> str:
    return f"arn:{partition}:iam::{account_id}:role{path}{role_name}"


def user_arn(partition: str, account_id: str, user_name: str, path: str = "/") -> str:
    return f"arn:{partition}:iam::{account_id}:user{path}{user_name}"
