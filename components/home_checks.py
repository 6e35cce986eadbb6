"""Checks that need the deploying credentials: their account, partition and region."""

from __future__ import annotations

from .regions import check_region, organization_regions
from .stack_config import ConfigError, StackConfig


def check_cluster_accounts(config: StackConfig, home_account: str) -> None:
    """A cluster must be in the user's account or in one the stack reaches through a role, and be listed once."""
    reachable = {home_account, *(account.id for account in config.roles.accounts)}
    problems = [
        f"eks.clusters[{index}].account: {cluster.account!r} is not accepted; expected the user's account "
        f"({home_account}) or one listed in roles.accounts"
        for index, cluster in enumerate(config.eks.clusters)
        if cluster.account is not None and cluster.account not in reachable
    ]
    seen: dict[tuple[str, str, str], int] = {}
    for index, cluster in enumerate(config.eks.clusters):
        key = (cluster.name, cluster.region, cluster.account or home_account)
        if key in seen:
            problems.append(
                f"eks.clusters[{index}]: cluster {cluster.name!r} in {cluster.region} of account {key[2]} is not "
                f"accepted; expected each cluster once (eks.clusters[{seen[key]}] is the same cluster)"
            )
        seen.setdefault(key, index)
    # IAM policy names are unique per account, ignoring case.
    same_names = config.user.name.lower() == config.roles.name.lower()
    if same_names and any(account.id == home_account for account in config.roles.accounts):
        problems.append(
            f"roles.name: {config.roles.name!r} is not accepted; expected a name other than user.name when "
            f"roles.accounts lists the user's own account ({home_account}): both would create policies named "
            f"{config.roles.name}-ReadOnly-1 there"
        )
    if problems:
        raise ConfigError(problems)


def check_home(config: StackConfig, home_account: str, partition: str, region: str | None) -> None:
    """Everything that needs the deploying credentials' account, partition and region."""
    # Without aws:region the provider takes AWS_REGION from the environment; nothing to check here then.
    problems = check_region("aws:region", region, partition) if region is not None else []
    for index, cluster in enumerate(config.eks.clusters):
        problems += check_region(f"eks.clusters[{index}].region", cluster.region, partition)
    for index, name in enumerate(organization_regions(config)):
        problems += check_region(f"organization.regions[{index}]", name, partition)
    try:
        check_cluster_accounts(config, home_account)
    except ConfigError as error:
        problems += error.problems
    if problems:
        raise ConfigError(problems)
