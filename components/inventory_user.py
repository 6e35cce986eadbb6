"""The IAM user the adapter signs in as ("Creating an IAM User" in the vendor's guide)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

from .policy_attachments import attach_policies
from .policy_documents import Document
from .stack_config import KeySlot, UserConfig

TAGS = {"managed-by": "axonius-aws-access"}


class InventoryUser(pulumi.ComponentResource):
    """User, read-only policies, the policy to assume the role in each account, and an access key."""

    def __init__(
        self,
        name: str,
        *,
        user: UserConfig,
        read_only_documents: Sequence[Document],
        assume_role_documents: Sequence[Document],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("axonius-aws-access:inventory_user:InventoryUser", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.user = aws.iam.User(name, name=user.name, path=user.path, tags=TAGS, opts=child)
        target: dict[str, pulumi.Input[str]] = {"user": self.user.name}
        self.read_only_policies = attach_policies(
            f"{name}-read-only",
            f"{user.name}-ReadOnly",
            read_only_documents,
            description="Axonius adapter: read-only inventory access",
            attach=aws.iam.UserPolicyAttachment,
            target=target,
            opts=child,
        )
        self.assume_role_policies = attach_policies(
            f"{name}-assume-roles",
            f"{user.name}-AssumeRoles",
            assume_role_documents,
            description="Axonius adapter: assume the read-only role in each account",
            attach=aws.iam.UserPolicyAttachment,
            target=target,
            opts=child,
        )
        self.access_keys = {
            slot: aws.iam.AccessKey(key_resource_name(name, slot), user=self.user.name, status=status, opts=child)
            for slot, status in key_slot_statuses(user).items()
        }
        self.active_slot = user.active_key if user.access_key else None
        self.access_key = self.access_keys.get(user.active_key)
        self.name = self.user.name
        self.arn = self.user.arn
        self.unique_id = self.user.unique_id
        self.policy_arns = pulumi.Output.all(*(p.arn for p in self.read_only_policies + self.assume_role_policies))
        self.access_key_id = self.access_key.id if self.access_key else None
        self.secret_access_key: pulumi.Output[str] | None = (
            pulumi.Output.secret(self.access_key.secret) if self.access_key else None
        )
        self.register_outputs(
            {
                "name": self.name,
                "arn": self.arn,
                "uniqueId": self.unique_id,
                "policyArns": self.policy_arns,
                "accessKeyId": self.access_key_id,
                "secretAccessKey": self.secret_access_key,
                "activeKey": self.active_slot,
            }
        )


# An aws.iam.AccessKey's status, as IAM spells it.
KeyStatus = Literal["Active", "Inactive"]
KEY_STATUS: dict[KeySlot, KeyStatus] = {KeySlot.ACTIVE: "Active", KeySlot.INACTIVE: "Inactive"}


def key_slot_statuses(user: UserConfig) -> dict[int, KeyStatus]:
    """The access key in each slot that exists and its status: the active slot's is always `Active`."""
    if not user.access_key:
        return {}
    statuses: dict[int, KeyStatus] = {user.active_key: "Active"}
    if user.other_key != KeySlot.ABSENT:
        other_slot = 3 - user.active_key  # slots are 1 and 2
        statuses[other_slot] = KEY_STATUS[user.other_key]
    return dict(sorted(statuses.items()))


def key_resource_name(name: str, slot: int) -> str:
    """Slot 1 keeps the name the single key always had, so deployed stacks keep their key's URN."""
    return name if slot == 1 else f"{name}-key-{slot}"
