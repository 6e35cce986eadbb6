"""The bulk-import file `pulumi import --file` reads, built from what the program registers.

Each imported resource gets the type, name, parent and provider the program declares it with, so the URN the
import writes is the URN `pulumi up` then registers. Their ancestors (our components) go in as `component`
entries and the explicit providers they use as provider entries with the program's own inputs (created, not
read, by the import), so neither the parent chain nor a provider differs at `up`. A resource on a default
provider carries the SDK's plugin version: the engine names default providers by version.

The engine creates a file's providers before its components, so the components go in first, in a file of their
own (`parents_only`). Every entry's `name` is a handle local to the file (`<logical name>#<Type>`: a component,
its user and its key share one logical name); `logicalName` is the Pulumi name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from automation.mock_engine import DeclaredResource

# The engine's marker for a secret value in a checkpoint (and so in an import file's inputs and outputs).
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
# Which SDK a type token belongs to, for the default provider's version.
SDK_PACKAGES = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}


@dataclass(frozen=True)
class ImportAs:
    """How one declared resource is imported: its ID, and its full state where the provider cannot read it."""

    id: str
    state: Mapping[str, Any] | None = field(default=None)


def handle(resource: DeclaredResource) -> str:
    return f"{resource.name}#{resource.type.rsplit(':', 1)[-1]}"


def plugin_version(type_token: str) -> str | None:
    package = type_token.removeprefix("pulumi:providers:").split(":", 1)[0]
    return version(SDK_PACKAGES[package]) if package in SDK_PACKAGES else None


def checkpoint_value(value: Any) -> Any:
    """A registered input as the import file carries it: secrets in the checkpoint's plaintext form."""
    if is_rpc_secret(value):
        return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(checkpoint_value(unwrap_rpc_secret(value)))}
    if isinstance(value, dict):
        return {key: checkpoint_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [checkpoint_value(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _ancestors(resource: DeclaredResource, by_urn: Mapping[str, DeclaredResource]) -> list[DeclaredResource]:
    chain = []
    parent = by_urn.get(resource.parent)
    while parent is not None:
        chain.append(parent)
        parent = by_urn.get(parent.parent)
    return chain


def _provider_of(resource: DeclaredResource, by_urn: Mapping[str, DeclaredResource]) -> DeclaredResource | None:
    """The explicit provider a resource names (`<urn>::<id>`), or None for the default one."""
    return by_urn.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None


def import_file(resources: Sequence[DeclaredResource], imports: Mapping[str, ImportAs]) -> dict[str, Any]:
    """The file that imports `imports` (URN to how) into the resources the program declares."""
    by_urn = {resource.urn: resource for resource in resources}
    needed: dict[str, DeclaredResource] = {}
    for urn in imports:
        resource = by_urn[urn]
        for supporting in [resource, *_ancestors(resource, by_urn)]:
            provider = _provider_of(supporting, by_urn)
            for each in [supporting, *([provider, *_ancestors(provider, by_urn)] if provider else [])]:
                needed.setdefault(each.urn, each)
    # Parents before children, providers before what they serve: the order a reader follows.
    ordered = sorted(needed.values(), key=lambda r: (len(_ancestors(r, by_urn)), r.urn not in imports, r.urn))
    entries = [_entry(resource, imports.get(resource.urn), by_urn) for resource in ordered]
    return {"nameTable": {}, "resources": entries}


def parents_only(full: Mapping[str, Any]) -> dict[str, Any]:
    """The first of two imports: our components alone.

    The engine creates the providers an import file declares before anything else, so a provider whose parent is
    one of our components (each account's, each cluster's) fails the snapshot check unless that component is
    already in the state. Imported again with the full file, a component already there is skipped.
    """
    return {"nameTable": {}, "resources": [entry for entry in full["resources"] if entry.get("component")]}


def parents_path(out: Path) -> Path:
    """`import.json` -> `import.parents.json`."""
    return out.with_name(f"{out.stem}.parents{out.suffix}")


def _entry(resource: DeclaredResource, how: ImportAs | None, by_urn: Mapping[str, DeclaredResource]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": resource.type, "name": handle(resource), "logicalName": resource.name}
    parent = by_urn.get(resource.parent)
    if parent is not None:
        entry["parent"] = handle(parent)
    if resource.type.startswith("pulumi:providers:"):
        entry["inputs"] = checkpoint_value(resource.inputs)
    elif not resource.custom:
        entry["component"] = True
    else:
        if how is None:
            raise ValueError(f"{resource.urn} is a custom resource with nothing to import")
        entry["id"] = how.id
        provider = _provider_of(resource, by_urn)
        if provider is not None:
            entry["provider"] = handle(provider)
        if how.state is not None:
            # Read skipped: the provider (our dynamic aws-auth mapping) cannot read without its own inputs.
            entry["inputs"] = entry["outputs"] = checkpoint_value(dict(how.state))
    version_ = plugin_version(resource.type)
    if version_ and (resource.custom or resource.type.startswith("pulumi:providers:")):
        entry["version"] = version_
    return entry
