"""Everything one stack declares, from its validated configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from policy_pack.rules.iam_actions import ActionCatalog

from .eks_access import EksReadOnlyAccess
from .eks_identity import cluster_identity
from .inventory_role import InventoryRole, account_provider
from .inventory_user import InventoryUser
from .permission_sets import select_actions
from .policy_documents import assume_role_documents, read_only_documents, role_arn, user_arn
from .stack_config import StackConfig


@dataclass(frozen=True)
class Home:
    """Where the inventory user lives, as the deploying credentials see it."""

    account_id: str
    partition: str


@dataclass(frozen=True)
class Account:
    """How the stack deploys into one more account, and the role the adapter assumes there."""

    provider: aws.Provider | None
    deploy_role_arn: str | None
    role: InventoryRole


def declare_access(config: StackConfig, home: Home, catalog: ActionCatalog) -> dict[str, Any]:
    """Declare the user, the role in each account, read-only access to each cluster; return the stack outputs."""
    permissions = config.permissions
    actions = select_actions(permissions.sets, permissions.extra_actions, permissions.exclude_actions, catalog)
    documents = read_only_documents(actions)
    role_arns = {
        account.id: role_arn(home.partition, account.id, config.roles.name) for account in config.roles.accounts
    }
    user = InventoryUser(
        "inventory-user",
        user=config.user,
        read_only_documents=documents,
        assume_role_documents=assume_role_documents(list(role_arns.values())),
    )
    accounts = {
        account.id: _declare_account(account.id, config, home, documents, user) for account in config.roles.accounts
    }
    clusters = _declare_clusters(config, home, user, accounts, role_arns)
    roles = [account.role for account in accounts.values()]
    outputs: dict[str, Any] = {
        "userName": user.name,
        "userArn": user.arn,
        "policyArns": user.policy_arns,
        "roleArns": pulumi.Output.all(*(role.arn for role in roles)),
        "roleArnFile": pulumi.Output.all(*(role.arn for role in roles)).apply(", ".join),
        "roleArnFileJson": role_arn_file_json(roles, config),
        "eksClusters": [cluster.summary for cluster in clusters],
    }
    if user.access_key is not None:
        outputs["accessKeyId"] = user.access_key_id
        outputs["secretAccessKey"] = user.secret_access_key
    return outputs


def _declare_account(account_id: str, config: StackConfig, home: Home, documents: list, user: InventoryUser) -> Account:
    account = next(a for a in config.roles.accounts if a.id == account_id)
    provider, deploy_role = None, None
    if account_id != home.account_id:
        deploy_role = role_arn(home.partition, account_id, config.roles.deploy_role_name)
        provider = account_provider(f"account-{account_id}", account_id, deploy_role)
    role = InventoryRole(
        f"role-{account_id}",
        account=account,
        roles=config.roles,
        read_only_documents=documents,
        trusted_user_arn=user.arn,
        trusted_user_unique_id=user.unique_id,
        provider=provider,
    )
    return Account(provider=provider, deploy_role_arn=deploy_role, role=role)


def _declare_clusters(
    config: StackConfig, home: Home, user: InventoryUser, accounts: dict[str, Account], role_arns: dict[str, str]
) -> list[EksReadOnlyAccess]:
    inventory_user_arn = user_arn(home.partition, home.account_id, config.user.name, config.user.path)
    declared = []
    for index, cluster in enumerate(config.eks.clusters):
        account_id = cluster.account or home.account_id
        account = accounts.get(account_id) if account_id != home.account_id else None
        identity = cluster_identity(account_id, home.account_id, inventory_user_arn, role_arns)
        declared.append(
            EksReadOnlyAccess(
                f"eks-{account_id}-{cluster.region}-{cluster.name}",
                cluster=cluster,
                index=index,
                eks=config.eks,
                account_id=account_id,
                identity=identity,
                aws_provider=account.provider if account else None,
                deploy_role_arn=account.deploy_role_arn if account else None,
                identity_resource=account.role.role if account else user.user,
            )
        )
    return declared


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
