"""The type table's policies: resource-types-known, and the remediation that shows it dynamic providers.

Thin wrappers; the table is `type_table.py`, the pickle reading `dynamic_providers.py`.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, Policy, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from . import type_table
from .dynamic_providers import PROVIDER_KEY
from .unknowns import resolve

DYNAMIC_PACKAGES = ("pulumi-python:", "pulumi-nodejs:")


class SeenProviders:
    """The `__provider` of each dynamic resource, by URN, as the engine's Remediate pass shows it.

    The engine leaves top-level `__` keys out of what Analyze and AnalyzeStack send (SkipInternalKeys), but not
    out of Remediate, which it calls on every resource just before Analyze, in preview and update alike. This
    remediation changes nothing: it records the provider for the type table, which judges it in Analyze.
    """

    def __init__(self) -> None:
        self.by_urn: dict[str, Any] = {}

    def remediate(self, args: ResourceValidationArgs) -> None:
        if args.resource_type.startswith(DYNAMIC_PACKAGES) and PROVIDER_KEY in args.props:
            self.by_urn[args.urn] = resolve(args.props[PROVIDER_KEY])

    def props(self, args: ResourceValidationArgs) -> dict[str, Any]:
        """`args.props` resolved, with the provider Remediate saw when Analyze was not sent it."""
        props = resolve(args.props)
        if PROVIDER_KEY not in props and args.urn in self.by_urn:
            props[PROVIDER_KEY] = self.by_urn[args.urn]
        return props


def known_types_policies(checked: frozenset[str]) -> list[Policy]:
    seen = SeenProviders()

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        try:
            for message in type_table.findings(args.resource_type, seen.props(args), checked):
                report_violation(message, None)
        except Exception as error:  # noqa: BLE001 a crash would fail the whole run without a message
            report_violation(f"could not place {args.resource_type} ({type(error).__name__}: {error})", None)

    return [
        ResourceValidationPolicy(
            name="dynamic-providers-seen",
            description="Records each dynamic resource's provider for resource-types-known (changes nothing)",
            remediate=seen.remediate,
            enforcement_level=EnforcementLevel.REMEDIATE,
        ),
        ResourceValidationPolicy(
            name="resource-types-known",
            description=(
                "Every resource type is one a rule checks or one known to grant nothing; any other type is rejected"
            ),
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ]
