"""The pack's policies in-process, as pulumi-policy's own tests run theirs: the SDK's argument bags, `validate` called.

Properties reach a policy as the engine's `Analyze` call gives them: through a protobuf Struct (numbers become
floats), the SDK's deserializer and its unknown-checking proxy. A policy's level is the engine's: the config
entry's `enforcementLevel`, else the policy's own, else the pack's; touching an unknown value gives one advisory
note with the SDK's message. `tests/test_pack_grpc.py` shows the pack over gRPC gives the same findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from google.protobuf import json_format
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from automation.pack_client import Violation, to_struct
from policy_pack.rules import resource_types as types
from policy_pack.rules.policies import all_policies

UNKNOWN = UNKNOWN_STRING_VALUE  # the engine's marker for a value not known during preview
PACK_LEVEL = EnforcementLevel.MANDATORY  # the PolicyPack's own level (policy_pack/__main__.py)
POLICIES = {policy.name: policy for policy in all_policies()}
NO_OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
PackConfig = Mapping[str, Mapping[str, Any]]  # as in a policy config file: {"policy": {"enforcementLevel", ...}}
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"  # the engine's token for the provider of a Kubernetes object


@dataclass(frozen=True)
class StackResource:
    """A resource as the engine sends it; `depends` maps a property to the URNs its value comes from."""

    type: str
    props: dict[str, Any]
    name: str = "r"
    depends: Mapping[str, Sequence[str]] = field(default_factory=dict)
    provider: str | None = None  # the provider's URN: for Kubernetes, the cluster the object is created on

    @property
    def urn(self) -> str:
        return f"urn:pulumi:t::p::{self.type}::{self.name}"


def resource(
    type_: str, props: dict[str, Any], name: str = "r", depends: Mapping[str, Sequence[str]] | None = None
) -> StackResource:
    return StackResource(type_, props, name, depends or {})


def on_cluster(type_: str, props: dict[str, Any], name: str, cluster: str = "a") -> StackResource:
    """Created through the Kubernetes provider named `cluster`, as the engine names it in `AnalyzeStack`."""
    return StackResource(type_, props, name, provider=f"urn:pulumi:t::p::{KUBERNETES_PROVIDER}::{cluster}")


def document(*statements: dict[str, Any], as_list: bool = True) -> str:
    body: Any = list(statements) if as_list else statements[0]
    return json.dumps({"Version": "2012-10-17", "Statement": body})


def allow(action: Any, resource_: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource_, **extra}


def trust(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def from_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the SDK's servicer reads them off a gRPC Struct."""
    return deserialize_properties(json_format.MessageToDict(to_struct(values)))


def level(policy: ResourceValidationPolicy | StackValidationPolicy, config: PackConfig | None) -> EnforcementLevel:
    named = (config or {}).get(policy.name, {}).get("enforcementLevel")
    if named is not None:
        return EnforcementLevel(named)
    return policy.enforcement_level or PACK_LEVEL


def policy_config(name: str, config: PackConfig | None) -> dict[str, Any] | None:
    """What `args.get_config()` holds: the entry's properties, as `Configure` passes them; None when there are none."""
    properties = {key: value for key, value in (config or {}).get(name, {}).items() if key != "enforcementLevel"}
    return from_wire(properties) or None


def run(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    validate: Callable[[ReportViolation], object],
    config: PackConfig | None,
    default_urn: str = "",
) -> list[Violation]:
    """`validate` (the policy's, its arguments bound), its findings as the engine reports them."""
    found: list[Violation] = []
    reported = level(policy, config).value

    def report_violation(message: str, urn: str | None = None) -> None:
        found.append(Violation(policy.name, reported, urn or default_urn, message))

    try:
        validate(report_violation)
    except UnknownValueError as error:  # the SDK turns it into one advisory note for the whole policy
        found.append(Violation(policy.name, EnforcementLevel.ADVISORY.value, default_urn, error.message))
    return found


EnabledPolicy = TypeVar("EnabledPolicy", ResourceValidationPolicy, StackValidationPolicy)


def enabled(kind: type[EnabledPolicy], config: PackConfig | None) -> list[EnabledPolicy]:
    return [p for p in POLICIES.values() if isinstance(p, kind) and level(p, config) != EnforcementLevel.DISABLED]


def resource_args(
    policy: ResourceValidationPolicy,
    type_: str,
    values: dict[str, Any],
    config: PackConfig | None = None,
    name: str = "r",
) -> ResourceValidationArgs:
    """What the SDK passes a resource policy's `validate`: `values` as read off the wire, behind its proxy."""
    urn = resource(type_, values, name).urn
    return ResourceValidationArgs(
        type_, unknown_checking_proxy(values), urn, name, NO_OPTIONS, None, policy_config(policy.name, config)
    )


def analyze(type_: str, props: dict[str, Any], config: PackConfig | None = None, name: str = "r") -> list[Violation]:
    """Every resource policy on one resource, as `Analyze` runs them before the resource is created."""
    values = from_wire(props)
    found: list[Violation] = []
    for policy in enabled(ResourceValidationPolicy, config):
        args = resource_args(policy, type_, values, config, name)
        found.extend(run(policy, partial(policy.validate, args), config, args.urn))
    return found


def policy_resources(resources: Sequence[StackResource]) -> list[PolicyResource]:
    """The stack as `StackValidationArgs.resources`: property dependencies point at the other resources."""
    by_urn = {
        r.urn: PolicyResource(
            r.type, unknown_checking_proxy(from_wire(r.props)), r.urn, r.name, NO_OPTIONS, provider(r), None, [], {}
        )
        for r in resources
    }
    for r in resources:
        by_urn[r.urn].property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn] for key, urns in r.depends.items()
        }
    return list(by_urn.values())


def provider(r: StackResource) -> PolicyProviderResource | None:
    if r.provider is None:
        return None
    provider_type, name = r.provider.split("::")[-2:]
    return PolicyProviderResource(provider_type, {}, r.provider, name)


def analyze_stack(resources: Iterable[StackResource], config: PackConfig | None = None) -> list[Violation]:
    """Every stack policy, as `AnalyzeStack` runs them once all resources are known (or planned, in preview)."""
    stack = list(resources)
    found: list[Violation] = []
    for policy in enabled(StackValidationPolicy, config):
        args = StackValidationArgs(policy_resources(stack), policy_config(policy.name, config))
        found.extend(run(policy, partial(policy.validate, args), config))
    return found


def by_policy(violations: Iterable[Violation]) -> dict[str, list[Violation]]:
    grouped: dict[str, list[Violation]] = {}
    for violation in violations:
        grouped.setdefault(violation.policy, []).append(violation)
    return grouped


def mandatory_messages(violations: Iterable[Violation]) -> list[str]:
    return [violation.message for violation in violations if violation.level == EnforcementLevel.MANDATORY.value]


def findings(type_: str, props: dict[str, Any], config: PackConfig | None = None) -> dict[str, list[Violation]]:
    return by_policy(analyze(type_, props, config))


def mandatory(type_: str, props: dict[str, Any], config: PackConfig | None = None) -> list[str]:
    return mandatory_messages(analyze(type_, props, config))


def policy_findings(
    statement: dict[str, Any] | list[dict[str, Any]], config: PackConfig | None = None, *, as_list: bool = True
) -> dict[str, list[Violation]]:
    """The findings on an `aws:iam/policy:Policy` holding these statements."""
    statements = statement if isinstance(statement, list) else [statement]
    return findings(types.IAM_POLICY, {"policy": document(*statements, as_list=as_list)}, config)
