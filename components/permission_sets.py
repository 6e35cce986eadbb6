"""The named permission sets a stack selects, as canonical IAM action names.

`adapter` and `cloud-asset-compliance` are the vendor's documented lists (our copies in `data/`);
`security-services` is computed from the IAM data. Every set drops what is not List/Read and the
sensitive reads the policy pack warns about, so what we declare is what the pack accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources

from policy_pack.rules.iam_actions import ActionCatalog
from policy_pack.rules.sensitive_actions import KEPT_FOR_THE_ADAPTER, sensitive_actions

from .value_enum import ValueEnum


# The names a stack selects in `permissions.sets` (no docstring: it would become the schema's description).
class PermissionSet(ValueEnum):
    ADAPTER = "adapter"
    SECURITY_SERVICES = "security-services"
    CLOUD_ASSET_COMPLIANCE = "cloud-asset-compliance"


VENDOR_FILES = {
    PermissionSet.ADAPTER: ("axonius-adapter-policy.json",),
    PermissionSet.CLOUD_ASSET_COMPLIANCE: (
        "axonius-cloud-asset-compliance-policy.json",
        "axonius-cis-v1.2-minimal-policy.json",
    ),
}
SECURITY_SERVICES = ("inspector", "inspector2", "guardduty", "macie2", "securityhub")


def vendor_actions(file_name: str) -> list[str]:
    """Every action the Allow statements of one of our vendor data files list."""
    document = json.loads(resources.files(__package__).joinpath("data", file_name).read_text())
    statements = document["Statement"]
    actions: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") == "Allow":
            listed = statement.get("Action", [])
            actions.extend([listed] if isinstance(listed, str) else listed)
    return actions


def _read_only(names: Iterable[str], catalog: ActionCatalog) -> frozenset[str]:
    sensitive = sensitive_actions(catalog) - KEPT_FOR_THE_ADAPTER
    selected = set()
    for name in names:
        action = catalog.lookup(name)
        if action is not None and action.read_only and action.name not in sensitive:
            selected.add(action.name)
    return frozenset(selected)


def permission_set(name: PermissionSet, catalog: ActionCatalog) -> frozenset[str]:
    if name == PermissionSet.SECURITY_SERVICES:
        return _read_only(
            (action.name for service in SECURITY_SERVICES for action in catalog.actions_of(service).values()),
            catalog,
        )
    return _read_only((action for file in VENDOR_FILES[name] for action in vendor_actions(file)), catalog)


def select_actions(
    sets: Iterable[PermissionSet], extra_actions: Iterable[str], exclude_actions: Iterable[str], catalog: ActionCatalog
) -> tuple[str, ...]:
    """The sorted, deduplicated actions a stack grants."""
    selected = set().union(*(permission_set(name, catalog) for name in sets)) | set(extra_actions)
    return tuple(sorted(selected - set(exclude_actions), key=str.lower))
