"""Everything one stack declares, from its validated configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from policy_pack.rules.iam_actions import ActionCatalog

from .inventory_role import InventoryRole, account_provider
from .inventory_user import InventoryUser
from .permission_sets import select_actions
from .policy_documents import assume_role_documents, read_only_documents, role_arn
from .stack_config import StackConfig


@dataclass(frozen=True)
class Home:
    """Where the inventory user lives, as the deploying credentials see it."""

    account_id: str
    partition: str


def declare_access(config: StackConfig, home: Home, catalog: ActionCatalog) -> dict[str, Any]:
    """Declare the user, the role in each account, and return the stack outputs."""
    permissions = config.permissions
    actions = select_actions(permissions.sets, permissions.extra_actions, permissions.exclude_actions, catalog)
    documents = read_only_documents(actions)
    role_arns = [role_arn(home.partition, account.id, config.roles.name) for account in config.roles.accounts]
    user = InventoryUser(
        "inventory-user",
        user=config.user,
        read_only_documents=documents,
        assume_role_documents=assume_role_documents(role_arns),
    )
    roles = [
        InventoryRole(
            f"role-{account.id}",
            account=account,
            roles=config.roles,
            read_only_documents=documents,
            trusted_user_arn=user.arn,
            trusted_user_unique_id=user.unique_id,
            provider=None
            if account.id == home.account_id
            else account_provider(
                f"account-{account.id}",
                account.id,
                role_arn(home.partition, account.id, config.roles.deploy_role_name),
            ),
        )
        for account in config.roles.accounts
    ]
    outputs: dict[str, Any] = {
        "userName": user.name,
        "userArn": user.arn,
        "policyArns": user.policy_arns,
        "roleArns": pulumi.Output.all(*(role.arn for role in roles)),
        "roleArnFile": pulumi.Output.all(*(role.arn for role in roles)).apply(", ".join),
        "roleArnFileJson": role_arn_file_json(roles, config),
    }
    if user.access_key is not None:
        outputs["accessKeyId"] = user.access_key_id
        outputs["secretAccessKey"] = user.secret_access_key
    return outputs


def role_file_entries(arns: list[str], external_ids: list[str | None]) -> str:
    """The adapter's JSON role file: `external_id` only where one is set."""
    entries = [
        {"arn": arn} if external_id is None else {"arn": arn, "external_id": external_id}
        for arn, external_id in zip(arns, external_ids, strict=True)
    ]
    return json.dumps(entries)


def role_arn_file_json(roles: list[InventoryRole], config: StackConfig) -> pulumi.Output[str]:
    external_ids = [account.external_id for account in config.roles.accounts]
    content = pulumi.Output.all(*(role.arn for role in roles)).apply(
        lambda arns: role_file_entries(list(arns), external_ids)
    )
    return pulumi.Output.secret(content) if any(external_ids) else content
