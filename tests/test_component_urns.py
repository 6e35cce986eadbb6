"""Deployed stacks keep their resources: the URNs from before `AxoniusAccess` existed are aliases of the new ones.

`tests/data/urns-before-component.json` holds the URNs of dev and prod before the component (commit a4ee397),
as the engine makes them: from each resource's type, name and parent chain (the mock monitor's own URNs keep
only the parent's type). The aliases are computed as the engine computes them from the alias specs the SDK
sends (pulumi/pulumi `pkg/resource/deploy/source_eval.go`: a spec without parent names a stack-level
resource; a child inherits one alias per alias of its parent).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.runtime.proto import alias_pb2

import automation.mock_engine as mock_engine
from automation.plan import plan

BEFORE = json.loads((Path(__file__).parent / "data" / "urns-before-component.json").read_text())
STACK_TYPE = "pulumi:pulumi:Stack"


class AliasRecordingMonitor(mock_engine.RecordingMonitor):
    """The plan's monitor, also keeping each registration's type, name, parent and alias specs."""

    registered: dict[str, tuple[str, str, str, list[alias_pb2.Alias]]]

    def RegisterResource(self, request):  # noqa: N802 (the engine's RPC name)
        response = super().RegisterResource(request)
        type(self).registered[response.urn] = (request.type, request.name, request.parent, list(request.aliases))
        return response


def urn(stack: str, parent_type: str, type_: str, name: str) -> str:
    qualified = f"{parent_type}${type_}" if parent_type and parent_type != STACK_TYPE else type_
    return f"urn:pulumi:{stack}::axonius-aws-access::{qualified}::{name}"


def qualified_type(some_urn: str) -> str:
    return some_urn.split("::")[2] if some_urn else ""


class EngineUrns:
    """URNs and alias URNs as the engine makes them (the mock monitor keeps only the parent's own type)."""

    def __init__(self, stack: str, registered) -> None:
        self.stack = stack
        self.registered = registered

    def urn(self, mock_urn: str) -> str:
        type_, name, parent, _ = self.registered[mock_urn]
        parent_urn = self.urn(parent) if parent in self.registered else ""
        return urn(self.stack, qualified_type(parent_urn), type_, name)

    def aliases(self, mock_urn: str) -> set[str]:
        type_, name, parent, specs = self.registered[mock_urn]
        found = set()
        for alias in specs:
            spec = alias.spec
            parent_type = "" if spec.noParent else qualified_type(self.urn(spec.parentUrn or parent))
            found.add(urn(self.stack, parent_type, spec.type or type_, spec.name or name))
        if parent in self.registered:
            parent_name = self.registered[parent][1]
            for parent_alias in self.aliases(parent):
                alias_name = name
                if name.startswith(parent_name):
                    alias_name = parent_alias.split("::")[-1] + name.removeprefix(parent_name)
                found.add(urn(self.stack, qualified_type(parent_alias), type_, alias_name))
        return found


def planned(monkeypatch, stack: str) -> EngineUrns:
    AliasRecordingMonitor.registered = {}
    monkeypatch.setattr(mock_engine, "RecordingMonitor", AliasRecordingMonitor)
    plan(stack, policies=False)
    return EngineUrns(stack, AliasRecordingMonitor.registered)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_deployed_urn_is_an_alias_of_exactly_one_new_resource(monkeypatch, stack):
    engine = planned(monkeypatch, stack)
    new = {
        engine.urn(mock_urn): engine.aliases(mock_urn)
        for mock_urn, (type_, *_) in engine.registered.items()
        if type_ != STACK_TYPE
    }
    for old in BEFORE[stack]:
        owners = [urn for urn, aliases in new.items() if old in aliases]
        assert len(owners) == 1, (old, owners)
        assert owners[0].split("::")[-1] == old.split("::")[-1]
    components = [u for u in new if qualified_type(u).endswith("axonius-aws-access:index:AxoniusAccess")]
    assert len(components) == 1 and len(new) == len(BEFORE[stack]) + 1


def test_without_aliases_the_urns_would_not_match(monkeypatch):
    """The check above can fail: every new URN differs from the deployed ones."""
    engine = planned(monkeypatch, "prod")
    assert not set(BEFORE["prod"]) & {engine.urn(mock_urn) for mock_urn in engine.registered}
