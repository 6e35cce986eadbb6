"""Fail closed by type: every resource type is checked, inert or rejected, by this one table.

- CHECKED: a rule reads it. Not listed here: `checked_types` takes the types the pack's policies say they read
  (`policies.py`), so a rule that starts reading a type places it; the Kubernetes policies apply by predicate, so
  their checks name what they read (`kubernetes_checks.CHECKED_KINDS`, by group and kind in every version and
  Patch/List form, and `CHECKED_TYPES`).
- INERT: it can grant, share or hand out nothing (`INERT_TYPES`, `INERT_KUBERNETES_KINDS`, providers, the
  project's own components). `tests/test_type_table.py` reads each inert SDK type's inputs from the SDK source and
  fails if one speaks of a policy, principal, permission, grant, share, role, identity, credential, token,
  password, key or code to run.
- REJECTED: everything else. Types rejected with a reason of their own are in `unverifiable.REJECTED` (that rule
  reports them); `REJECTED_PACKAGES` names whole packages (deploy-time commands, dynamic providers); any other
  type, of a known package or not, is rejected by `resource-types-known` with the generic reason.

Pure: the policy wrapper is in `policies.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from . import resource_types as types
from .dynamic_providers import PROVIDER_KEY, provider_problem
from .kubernetes_checks import CHECKED_KINDS
from .kubernetes_checks import CHECKED_TYPES as KUBERNETES_CHECKED_TYPES
from .kubernetes_rbac import KubernetesType, kind_key, kubernetes_type
from .unverifiable import REJECTED as REJECTED_WITH_REASON


class Placement(Enum):
    CHECKED = "checked"
    INERT = "inert"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Placed:
    placement: Placement
    reason: str  # why: for a rejection, the message's cause


# Types that grant, share and hand out nothing: each reviewed, and each SDK type's inputs tested (see above).
INERT_TYPES = frozenset(
    {
        "pulumi:pulumi:Stack",  # the stack's root: no inputs
        "pulumi:pulumi:StackReference",  # reads another stack's outputs; whatever uses them is checked
        *(
            f"random:index/{kind[0].lower()}{kind[1:]}:{kind}"
            for kind in (
                "RandomBytes",
                "RandomId",
                "RandomInteger",
                "RandomPet",
                "RandomShuffle",
                "RandomString",
                "RandomUuid",
                "RandomUuid4",
                "RandomUuid7",
            )
        ),
        "aws:athena/namedQuery:NamedQuery",  # a saved query's text: running it needs the caller's own rights
        "aws:cfg/retentionConfiguration:RetentionConfiguration",  # how long AWS Config keeps history
        # Components: each object they declare reaches the pack as a resource of its own.
        "kubernetes:yaml/v2:ConfigFile",
        "kubernetes:kustomize/v2:Directory",
    }
)
# Kubernetes objects that grant nothing (group "" is core), in every version and form (object, Patch, List).
INERT_KUBERNETES_KINDS = frozenset({("", "Namespace"), ("", "LimitRange"), ("", "ResourceQuota")})
# A provider grants nothing: it holds the deployer's own credentials, and every resource it creates is placed by
# its own type. Only providers of packages this table places resources of (pulumi-python hosts dynamic resources,
# each judged by its own pickled provider).
INERT_PROVIDERS = frozenset(
    f"pulumi:providers:{package}" for package in ("aws", "aws-native", "random", "pulumi-python")
)
# The project's own components: a component is a name for its children, each analyzed as its own resource.
OWN_COMPONENT_PREFIX = "axonius-aws-access:"

REJECTED_PACKAGES = {
    "command": "runs commands or copies files at deploy time, which the pack cannot see",
    "pulumi-python": "is a dynamic resource: the code its provider runs at deploy time is not in what the pack sees",
    "pulumi-nodejs": "is a dynamic resource: the code its provider runs at deploy time is not in what the pack sees",
}
GENERIC_REASON = "is not one the pack checks or knows to be inert, so what it grants cannot be verified"


def checked_types(read: Iterable[frozenset[str]]) -> frozenset[str]:
    """CHECKED: the union of what the policies read (the Kubernetes ones go by predicate: their checks name what
    they read), less what they read only to reject."""
    return frozenset().union(KUBERNETES_CHECKED_TYPES, *read) - frozenset(REJECTED_WITH_REASON)


def place(resource_type: str, props: Mapping[str, Any], checked: frozenset[str]) -> Placed:
    """Where `resource_type` sits in the table; `props` (resolved) matter only for dynamic resources."""
    if resource_type in REJECTED_WITH_REASON:
        return Placed(Placement.REJECTED, "has a rule of its own that rejects it (iam-unverifiable-resources)")
    if resource_type == types.AWS_AUTH_MAPPING:
        return _own_dynamic(props)
    if resource_type in checked:
        return Placed(Placement.CHECKED, "a rule reads it")
    if resource_type in INERT_TYPES or resource_type in INERT_PROVIDERS:
        return Placed(Placement.INERT, "it grants nothing")
    if resource_type.startswith(OWN_COMPONENT_PREFIX):
        return Placed(Placement.INERT, "a component of this project: its children are checked one by one")
    declared = kubernetes_type(resource_type)
    if declared is not None:
        return _kubernetes(declared)
    package = resource_type.split(":", 1)[0]
    return Placed(Placement.REJECTED, REJECTED_PACKAGES.get(package, GENERIC_REASON))


def _kubernetes(declared: KubernetesType) -> Placed:
    if kind_key(declared) in CHECKED_KINDS:
        return Placed(Placement.CHECKED, "a Kubernetes rule reads this kind")
    if any(declared.is_kind(group, kind) for group, kind in INERT_KUBERNETES_KINDS):
        return Placed(Placement.INERT, "this kind grants nothing")
    return Placed(Placement.REJECTED, GENERIC_REASON)


def _own_dynamic(props: Mapping[str, Any]) -> Placed:
    """The project's aws-auth mapping, when its pickled provider shows it is (the token alone proves nothing)."""
    if PROVIDER_KEY not in props:
        return Placed(
            Placement.REJECTED,
            "is a dynamic resource whose provider the pack is not shown (the Pulumi engine leaves `__provider` out of "
            "what it sends policy packs), so the code it runs cannot be verified",
        )
    problem = provider_problem(props[PROVIDER_KEY])
    if problem is not None:
        return Placed(Placement.REJECTED, f"is named like the project's aws-auth mapping, but {problem}")
    return Placed(Placement.CHECKED, "the project's aws-auth mapping (eks-identity-mappings reads it)")


def rejection(resource_type: str, placed: Placed) -> str:
    return (
        f"{resource_type} {placed.reason}; the pack allows only types it checks or knows to be inert "
        "(policy_pack/rules/type_table.py). Remove this resource from the stack (or move it to a stack this pack "
        "does not guard); if the type truly grants nothing, add it to INERT_TYPES there, or write a rule that "
        "checks it"
    )


def findings(resource_type: str, props: Mapping[str, Any], checked: frozenset[str]) -> list[str]:
    """The table's verdict as messages: none unless the type is rejected here (not by a rule of its own)."""
    placed = place(resource_type, props, checked)
    if placed.placement is not Placement.REJECTED or resource_type in REJECTED_WITH_REASON:
        return []
    return [rejection(resource_type, placed)]
