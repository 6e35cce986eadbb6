"""The pack over the engine's gRPC protocol, for the wiring tests (the rules' own tests: policy_helpers, in-process)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from automation.pack_client import PolicyPackProcess, Violation, to_struct
from tests.policy_helpers import StackResource, resource


def message(declared: StackResource) -> analyzer_pb2.AnalyzerResource:
    """As the engine sends the resource: property dependencies and provider included (AnalyzeStack reads them)."""
    sent = analyzer_pb2.AnalyzerResource(
        type=declared.type, properties=to_struct(declared.props), urn=declared.urn, name=declared.name
    )
    for key, urns in declared.depends.items():
        sent.propertyDependencies[key].urns.extend(urns)
    if declared.provider is not None:
        provider_type, name = declared.provider.split("::")[-2:]
        sent.provider.CopyFrom(
            analyzer_pb2.AnalyzerProviderResource(type=provider_type, urn=declared.provider, name=name)
        )
    return sent


def analyze(pack: PolicyPackProcess, type_: str, props: dict[str, Any]) -> list[Violation]:
    return pack.analyze(message(resource(type_, props)))


def analyze_stack(pack: PolicyPackProcess, resources: Iterable[StackResource]) -> list[Violation]:
    return pack.analyze_stack([message(declared) for declared in resources])
