"""Everything one stack declares, from its validated configuration."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from policy_pack.rules.iam_actions import ActionCatalog

from .cluster_identity import cluster_identity
from .deploy_identity import provider_role_name
from .eks_access import ClusterTarget, EksReadOnlyAccess, find_cluster
from .inventory_role import InventoryRole, account_provider
from .inventory_user import InventoryUser
from .organization import OrganizationRoles, discover_members
from .organization_accounts import OrganizationMembers, explicit_accounts
from .organization_template import organization_assume_role_document, role_template, template_body
from .permission_sets import select_actions
from .policy_documents import (
    assume_role_documents,
    check_attachment_count,
    read_only_documents,
    role_arn,
    user_arn,
)
from .stack_config import OrganizationConfig, RoleAccount, StackConfig

ExternalIds = pulumi.Input[Mapping[str, pulumi.Input[str]]]


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


def declare_access(
    config: StackConfig,
    home: Home,
    catalog: ActionCatalog,
    *,
    external_ids: ExternalIds | None = None,
    parent: pulumi.Resource | None = None,
) -> dict[str, Any]:
    """Declare the user, the role in each account, read-only access to each cluster; return the stack outputs.

    `external_ids` (account ID to external ID, possibly secret) wins over `roles.accounts[].externalId`.
    With a `parent`, everything is its child, aliased to where it was declared directly in the stack.
    """
    opts = _child_options(parent)
    permissions = config.permissions
    actions = select_actions(permissions.sets, permissions.extra_actions, permissions.exclude_actions, catalog)
    documents = read_only_documents(actions)
    deployers = {home.account_id: Deployer()}
    organization = config.organization
    members = None
    if organization is not None:
        admin = organization.admin_account
        deployers[admin] = _deployer(config, home, admin, opts)
        members = discover_members(organization, config.roles.accounts, deployers[admin].provider)
        # Accounts the StackSet reaches get their role from it; roles.accounts keeps the others.
        config = replace(
            config,
            roles=replace(config.roles, accounts=list(explicit_accounts(config.roles.accounts, members.targets))),
        )
    role_arns = {
        account.id: role_arn(home.partition, account.id, config.roles.name) for account in config.roles.accounts
    }
    assume_documents = assume_role_documents(list(role_arns.values()))
    body = ""
    if organization is not None and members is not None:
        assume_documents.append(
            organization_assume_role_document(
                home.partition, config.roles.name, members.organization_id, organization.organizational_units
            )
        )
        template = role_template(
            config.roles.name,
            config.roles.max_session_duration,
            documents,
            with_external_id=organization.external_id is not None,
        )
        body = template_body(template)
    # Checked before anything is declared: the roles attach the read-only documents, the user both kinds.
    limit = config.user.max_managed_policies
    check_attachment_count(f"user {config.user.name}", len(documents) + len(assume_documents), limit)
    check_attachment_count(f"role {config.roles.name}", len(documents), limit)
    deployers.update(
        {
            account.id: _deployer(config, home, account.id, opts)
            for account in config.roles.accounts
            if account.id not in deployers
        }
    )
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
        opts=opts,
    )
    account_external_ids = external_ids_of(config.roles.accounts, external_ids)
    roles = {
        account.id: InventoryRole(
            f"role-{account.id}",
            account=account,
            external_id=account_external_ids[index],
            roles=config.roles,
            read_only_documents=documents,
            trusted_user_arn=user.arn,
            trusted_user_unique_id=user.unique_id,
            provider=deployers[account.id].provider,
            opts=opts,
        )
        for index, account in enumerate(config.roles.accounts)
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
            opts=opts,
        )
        for target in targets
    ]
    role_arn_outputs = pulumi.Output.all(*(role.arn for role in roles.values()))
    role_external_ids = list(account_external_ids)
    outputs: dict[str, Any] = {}
    if organization is not None and members is not None:
        organization_roles = OrganizationRoles(
            "organization",
            organization=organization,
            members=members,
            stack_set_name=f"{config.roles.name}-StackSet",
            template_body=body,
            regions=organization.regions,
            trusted_user_arn=user.arn,
            trusted_user_unique_id=user.unique_id,
            provider=deployers[organization.admin_account].provider,
            opts=opts,
        )
        member_arns = [role_arn(home.partition, account, config.roles.name) for account in members.account_ids]
        role_arn_outputs = role_arn_outputs.apply(lambda arns: [*arns, *member_arns])
        role_external_ids += [members.external_ids[account] for account in members.account_ids]
        outputs["organization"] = organization_output(
            organization, config.roles.name, members, organization_roles.stack_set_name
        )
    outputs.update(
        {
            "userName": user.name,
            "userArn": user.arn,
            "policyArns": user.policy_arns,
            "roleArns": role_arn_outputs,
            "roleArnFile": role_arn_outputs.apply(", ".join),
            "roleArnFileJson": role_arn_file_json(role_arn_outputs, role_external_ids),
            "eksClusters": [cluster.summary for cluster in clusters],
            **verify_outputs(config, targets),
        }
    )
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
            {"slot": slot, "accessKeyId": key.id, "status": key.status, "secretKnown": _secret_known(key)}
            for slot, key in user.access_keys.items()
        ],
    }
    for slot, key in user.access_keys.items():
        outputs[f"secretAccessKey{slot}"] = pulumi.Output.secret(key.secret)
    return outputs


def _secret_known(key: aws.iam.AccessKey) -> pulumi.Output[bool]:
    """False for a key imported from a manual setup: AWS hands a secret out only when it creates the key, so the
    adapter keeps the one it holds (README: Adopting an existing setup). Only whether there is one is revealed."""
    return pulumi.Output.unsecret(key.secret).apply(bool)


def _child_options(parent: pulumi.Resource | None) -> pulumi.ResourceOptions | None:
    """Children of `parent`, known to deployed stacks by their URNs from before there was one."""
    if parent is None:
        return None
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


def external_ids_of(
    accounts: Sequence[RoleAccount], external_ids: ExternalIds | None
) -> list[pulumi.Input[str | None]]:
    """Each account's external ID: from the map when it names the account, else from the account's entry."""
    if external_ids is None:
        return [account.external_id for account in accounts]
    if isinstance(external_ids, Mapping):
        return [external_ids.get(account.id, account.external_id) for account in accounts]
    # A map that arrives as one Output (a component input holding a secret) marks each of its values secret,
    # and nothing else: the trust policies of accounts it does not name stay readable in previews.
    arrived: pulumi.Output[Mapping[str, pulumi.Input[str]]] = (
        external_ids if isinstance(external_ids, pulumi.Output) else pulumi.Output.from_input(external_ids)
    )
    revealed = pulumi.Output.unsecret(arrived)
    return [revealed.apply(functools.partial(_external_id, account)) for account in accounts]


def _external_id(account: RoleAccount, ids: Mapping[str, pulumi.Input[str]] | None) -> pulumi.Output[str] | str | None:
    return pulumi.Output.secret(ids[account.id]) if ids and account.id in ids else account.external_id


def _deployer(config: StackConfig, home: Home, account_id: str, opts: pulumi.ResourceOptions | None) -> Deployer:
    """How the stack deploys into an account: the default provider at home, a provider assuming the deploy role
    elsewhere."""
    if account_id == home.account_id:
        return Deployer()
    deploy_role = role_arn(home.partition, account_id, config.roles.deploy_role_name)
    assumed = provider_role_name(config.roles.deploy_role_name, os.environ, pulumi.runtime.is_dry_run())
    provider = account_provider(
        f"account-{account_id}", account_id, role_arn(home.partition, account_id, assumed), opts
    )
    return Deployer(provider=provider, deploy_role_arn=deploy_role)


def organization_output(
    organization: OrganizationConfig, role_name: str, members: OrganizationMembers, stack_set_name: pulumi.Output[str]
) -> pulumi.Output[dict[str, Any]]:
    """What Axonius's own organizations mode asks for, and what the StackSet reaches."""
    summary = stack_set_name.apply(
        lambda name: {
            "organizationId": members.organization_id,
            "managementAccountId": members.management_account_id,
            "adminAccount": organization.admin_account,
            "roleName": role_name,
            "externalId": organization.external_id,
            "stackSetName": name,
            "accounts": len(members.account_ids),
        }
    )
    return pulumi.Output.secret(summary) if organization.external_id else summary


def role_file_entries(arns: list[str], external_ids: list[str | None]) -> str:
    """The adapter's JSON role file: `external_id` only where one is set."""
    entries = [
        {"arn": arn} if external_id is None else {"arn": arn, "external_id": external_id}
        for arn, external_id in zip(arns, external_ids, strict=True)
    ]
    return json.dumps(entries)


def role_arn_file_json(
    role_arns: pulumi.Output[list[str]], external_ids: Sequence[pulumi.Input[str | None]]
) -> pulumi.Output[str]:
    """Secret when it holds an external ID: the file is what the adapter needs to assume the roles."""
    content = pulumi.Output.all(role_arns, *external_ids).apply(
        lambda values: role_file_entries(list(values[0]), list(values[1:]))
    )
    return pulumi.Output.secret(content) if any(i is not None for i in external_ids) else content
