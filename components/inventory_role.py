"""The read-only role in one more account ("AWS Roles Configuration" in the vendor's guide)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .inventory_user import TAGS
from .policy_attachments import attach_policies
from .policy_documents import Document, compact_json, trust_document
from .stack_config import RoleAccount, RolesConfig


def account_provider(
    name: str, account_id: str, deploy_role_arn: str, opts: pulumi.ResourceOptions | None = None
) -> aws.Provider:
    """A provider that deploys into `account_id` by assuming its deploy role, and refuses any other account."""
    return aws.Provider(
        name,
        region=aws.config.region,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=deploy_role_arn, session_name="axonius-aws-access")],
        allowed_account_ids=[account_id],
        opts=opts,
    )


class InventoryRole(pulumi.ComponentResource):
    """Read-only policies and a role that only the inventory user may assume, in one account."""

    def __init__(
        self,
        name: str,
        *,
        account: RoleAccount,
        external_id: pulumi.Input[str | None],
        roles: RolesConfig,
        read_only_documents: Sequence[Document],
        trusted_user_arn: pulumi.Input[str],
        trusted_user_unique_id: pulumi.Input[str],
        provider: aws.Provider | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("axonius-aws-access:inventory_role:InventoryRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        trust = pulumi.Output.all(trusted_user_arn, trusted_user_unique_id, external_id).apply(
            lambda values: compact_json(trust_document(*values))
        )
        self.role = aws.iam.Role(
            name,
            name=roles.name,
            description="Axonius adapter: read-only inventory access, assumed by the inventory user",
            assume_role_policy=trust,
            max_session_duration=roles.max_session_duration,
            tags=TAGS,
            opts=child,
        )
        self.policies = attach_policies(
            f"{name}-read-only",
            f"{roles.name}-ReadOnly",
            read_only_documents,
            description="Axonius adapter: read-only inventory access",
            attach=aws.iam.RolePolicyAttachment,
            target={"role": self.role.name},
            opts=child,
        )
        self.account_id = account.id
        self.arn = self.role.arn
        self.register_outputs({"accountId": self.account_id, "arn": self.arn})
