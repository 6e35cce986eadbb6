"""Which accounts organization mode reaches, and with which external ID: pure, from what Organizations answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .stack_config import ConfigError, OrganizationConfig, RoleAccount

ACTIVE = "ACTIVE"
SELF = "SELF"
DELEGATED_ADMIN = "DELEGATED_ADMIN"


@dataclass(frozen=True)
class FoundAccount:
    """One account as `ListAccounts`-style calls describe it."""

    id: str
    status: str


@dataclass(frozen=True)
class OrganizationMembers:
    """Accounts the StackSet deploys to, each with the targeted root or OU it was found under."""

    organization_id: str
    management_account_id: str
    targets: dict[str, str]  # account ID -> targeted OU or root
    external_ids: dict[str, str | None]  # account ID -> external ID its role requires
    overrides: dict[str, str]  # account ID -> its own external ID (roles.accounts), where it differs

    @property
    def account_ids(self) -> list[str]:
        return sorted(self.targets)


def call_as(admin_account: str, management_account_id: str) -> str:
    """StackSets' `callAs`: the management account acts as itself, any other admin as a delegated administrator."""
    return SELF if admin_account == management_account_id else DELEGATED_ADMIN


def member_accounts(
    found: Sequence[tuple[str, Sequence[FoundAccount]]], exclude: Sequence[str], management_account_id: str
) -> dict[str, str]:
    """ACTIVE accounts under the targets, minus excluded ones and the management account (StackSets never
    deploy there); an account under two targets (a root and an OU in it) counts once, for the first."""
    left_out = {*exclude, management_account_id}
    members: dict[str, str] = {}
    for target, accounts in found:
        for account in accounts:
            if account.status == ACTIVE and account.id not in left_out:
                members.setdefault(account.id, target)
    return members


def organization_members(
    organization: OrganizationConfig,
    organization_id: str,
    management_account_id: str,
    found: Sequence[tuple[str, Sequence[FoundAccount]]],
    explicit: Sequence[RoleAccount],
) -> OrganizationMembers:
    """Members and their external IDs; an account in `roles.accounts` keeps its own external ID as an override."""
    targets = member_accounts(found, organization.exclude_accounts, management_account_id)
    own = {account.id: account.external_id for account in explicit if account.id in targets and account.external_id}
    problems = [
        f"roles.accounts[{index}].externalId: account {account.id} is reached through "
        "organization.organizationalUnits, whose template then requires an external ID for every account; "
        "set organization.externalId too"
        for index, account in enumerate(explicit)
        if account.id in own and organization.external_id is None
    ]
    if problems:
        raise ConfigError(problems)
    overrides = {account: value for account, value in own.items() if value != organization.external_id}
    return OrganizationMembers(
        organization_id=organization_id,
        management_account_id=management_account_id,
        targets=targets,
        external_ids={account: own.get(account, organization.external_id) for account in targets},
        overrides=overrides,
    )


def explicit_accounts(explicit: Sequence[RoleAccount], members: Mapping[str, str]) -> tuple[RoleAccount, ...]:
    """`roles.accounts` the StackSet does not reach (the management account, accounts outside the targets)."""
    return tuple(account for account in explicit if account.id not in members)
