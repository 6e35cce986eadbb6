"""AWS regions: which partition each belongs to, and which ones an account must enable first."""

from __future__ import annotations

import botocore.loaders

from .config_validation import did_you_mean
from .stack_config import StackConfig


def partition_regions() -> dict[str, list[str]]:
    """Partition to its regions, from botocore's endpoint data."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return {partition["partition"]: list(partition["regions"]) for partition in endpoints["partitions"]}


# Regions launched before 20 March 2019 are enabled in every account; later ones must be enabled (opted in).
ENABLED_BY_DEFAULT = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "sa-east-1",
    }
)


def is_opt_in(region: str, partition: str) -> bool:
    return partition == "aws" and region not in ENABLED_BY_DEFAULT


def check_region(key: str, region: str | None, partition: str) -> list[str]:
    """`region` must be a region of the partition the deploying credentials are in."""
    regions = partition_regions()
    if region in regions.get(partition, []):
        return []
    elsewhere = next((name for name, names in regions.items() if region in names), None)
    where = f" (it is in partition {elsewhere})" if elsewhere else did_you_mean(str(region), regions.get(partition, []))
    accepted = [f"{name} (opt-in)" if is_opt_in(name, partition) else name for name in regions.get(partition, [])]
    return [
        f"{key}: {region!r} is not accepted; expected a region of partition {partition}{where}: {', '.join(accepted)}"
    ]


def opt_in_notes(config: StackConfig, region: str | None, partition: str) -> list[str]:
    """Regions the stack uses that accounts must enable first."""
    used = {region, *(cluster.region for cluster in config.eks.clusters), *organization_regions(config)}
    return [
        f"{name} is an opt-in region: enable it in each account (and allow STS tokens there) before deploying"
        for name in sorted(r for r in used if r and is_opt_in(r, partition))
    ]


def organization_regions(config: StackConfig) -> list[str]:
    return list(config.organization.regions or []) if config.organization else []
