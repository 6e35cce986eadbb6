"""Everything one stack declares, from its validated configuration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from policy_pack.rules.iam_actions import ActionCatalog

from .eks_access import ClusterTarget, EksReadOnlyAccess, find_cluster
from .eks_identity import cluster_identity
from .inventory_role import InventoryRole, account_provider
from .inventory_user import InventoryUser
from .permission_sets import select_actions
from .policy_documents import (
    assume_role_documents,
    check_attachment_count,
    read_only_documents,
    role_arn,
    user_arn,
)
from .stack_config import StackConfig


@dataclass(frozen=True)
class Home:
    """Where the inventory user lives, as the deploying credentials see it."""

    account_id: str
    partition: str


@dataclass(frozen=True)
class Deployer:
    """How the stack deploys into one account: the default provider at home, an assumed deploy role elsewhere."""

    provider: aws.Provider | None = None
    deploy_role_arn: str | None = None


def declare_access(config: StackConfig, home: Home, catalog: ActionCatalog) -> dict[str, Any]:
    """Declare the user, the role in each account, read-only access to each cluster; return the stack outputs."""
    permissions = config.permissions
    actions = select_actions(permissions.sets, permissions.extra_actions, permissions.exclude_actions, catalog)
    documents = read_only_documents(actions)
    role_arns = {
        account.id: role_arn(home.partition, account.id, config.roles.name) for account in config.roles.accounts
    }
    assume_documents = assume_role_documents(list(role_arns.values()))
    # Checked before anything is declared: the roles attach the read-only documents, the user both kinds.
    check_attachment_count(f"user {config.user.name}", len(documents) + len(assume_documents))
    check_attachment_count(f"role {config.roles.name}", len(documents))
    deployers = _deployers(config, home)
    # Clusters are looked up and their modes chosen first: a mode a cluster does not honour stops the run
    # before any IAM resource is declared.
    targets = [
        find_cluster(cluster, index, account_id, deployers[account_id].provider)
        for index, cluster in enumerate(config.eks.clusters)
        for account_id in [cluster.account or home.account_id]
    ]
    user = InventoryUser(
        "inventory-user",
        user=config.user,
        read_only_documents=documents,
        assume_role_documents=assume_documents,
    )
    roles = {
        account.id: InventoryRole(
            f"role-{account.id}",
            account=account,
            roles=config.roles,
            read_only_documents=documents,
            trusted_user_arn=user.arn,
            trusted_user_unique_id=user.unique_id,
            provider=deployers[account.id].provider,
        )
        for account in config.roles.accounts
    }
    inventory_user_arn = user_arn(home.partition, home.account_id, config.user.name, config.user.path)
    clusters = [
        EksReadOnlyAccess(
            f"eks-{target.account_id}-{target.cluster.region}-{target.cluster.name}",
            target=target,
            eks=config.eks,
            identity=cluster_identity(target.account_id, home.account_id, inventory_user_arn, role_arns),
            aws_provider=deployers[target.account_id].provider,
            deploy_role_arn=deployers[target.account_id].deploy_role_arn,
            identity_resource=user.user if target.account_id == home.account_id else roles[target.account_id].role,
        )
        for target in targets
    ]
    role_arn_outputs = pulumi.Output.all(*(role.arn for role in roles.values()))
    outputs: dict[str, Any] = {
        "userName": user.name,
        "userArn": user.arn,
        "policyArns": user.policy_arns,
        "roleArns": role_arn_outputs,
        "roleArnFile": role_arn_outputs.apply(", ".join),
        "roleArnFileJson": role_arn_file_json(role_arn_outputs, config),
        "eksClusters": [cluster.summary for cluster in clusters],
        **verify_outputs(config, targets),
    }
    if user.access_key is not None:
        outputs.update(access_key_outputs(user))
    return outputs


def verify_outputs(config: StackConfig, targets: list[ClusterTarget]) -> dict[str, Any]:
    """What `python -m automation verify` needs besides the user, the role file and `eksClusters`."""
    return {
        "permissionSets": list(config.permissions.sets),
        "maxSessionDuration": config.roles.max_session_duration,
        "region": aws.config.region,
        "eksEndpoints": [
            {
                "name": target.cluster.name,
                "region": target.cluster.region,
                "account": target.account_id,
                "endpoint": target.endpoint,
                "certificateAuthority": target.certificate_authority,
            }
            for target in targets
        ],
    }


def access_key_outputs(user: InventoryUser) -> dict[str, Any]:
    """The active key as `accessKeyId`/`secretAccessKey`, and every slot's key: what a rotation hands over."""
    outputs: dict[str, Any] = {
        "accessKeyId": user.access_key_id,
        "secretAccessKey": user.secret_access_key,
        "activeKey": user.active_slot,
        "accessKeys": [
            {"slot": slot, "accessKeyId": key.id, "status": key.status} for slot, key in user.access_keys.items()
        ],
    }
    for slot, key in user.access_keys.items():
        outputs[f"secretAccessKey{slot}"] = pulumi.Output.secret(key.secret)
    return outputs


def _deployers(config: StackConfig, home: Home) -> dict[str, Deployer]:
    """Account ID to how the stack deploys there; the home account uses the default provider."""
    deployers = {home.account_id: Deployer()}
    for account in config.roles.accounts:
        if account.id != home.account_id:
            deploy_role = role_arn(home.partition, account.id, config.roles.deploy_role_name)
            provider = account_provider(f"account-{account.id}", account.id, deploy_role)
            deployers[account.id] = Deployer(provider=provider, deploy_role_arn=deploy_role)
    return deployers


def role_file_entries(arns: list[str], external_ids: list[str | None]) -> str:
    """The adapter's JSON role file: `external_id` only where one is set."""
    entries = [
        {"arn": arn} if external_id is None else {"arn": arn, "external_id": external_id}
        for arn, external_id in zip(arns, external_ids, strict=True)
    ]
    return json.dumps(entries)


def role_arn_file_json(role_arns: pulumi.Output[list[str]], config: StackConfig) -> pulumi.Output[str]:
    external_ids = [account.external_id for account in config.roles.accounts]
    content = role_arns.apply(lambda arns: role_file_entries(list(arns), external_ids))
    return pulumi.Output.secret(content) if any(external_ids) else content
