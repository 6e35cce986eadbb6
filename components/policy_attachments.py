"""Managed policies from documents, attached to one user or role."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .policy_documents import Document, compact_json


def attach_policies(
    name: str,
    policy_name: str,
    documents: Sequence[Document],
    *,
    description: str,
    attach: type[aws.iam.UserPolicyAttachment] | type[aws.iam.RolePolicyAttachment],
    target: dict[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> list[aws.iam.Policy]:
    """One `aws.iam.Policy` per document, named `<policy_name>-<n>`, each attached through `attach(**target)`.

    `name` prefixes the logical names, which must be unique in the stack across accounts.
    """
    policies = []
    for number, document in enumerate(documents, start=1):
        policy = aws.iam.Policy(
            f"{name}-{number}",
            name=f"{policy_name}-{number}",
            description=f"{description} ({number} of {len(documents)})",
            policy=compact_json(document),
            opts=opts,
        )
        attach(f"{name}-{number}", policy_arn=policy.arn, **target, opts=opts)
        policies.append(policy)
    return policies
