"""The share, hand-off and declared-identity checks never crash nor print `None`, whatever the props (hypothesis)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy import ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from policy_pack.rules import resource_types as types
from policy_pack.rules.declared import CREDENTIAL_FIELDS, MEMBERSHIP_FIELDS, NESTED_ROLE_FIELDS
from policy_pack.rules.role_hand_offs import role_hand_off_fields
from policy_pack.rules.shares import SHARE_CHECKS
from tests.policy_helpers import POLICIES, UNKNOWN, StackResource, policy_config, policy_resources, resource_args

SHARES = next(
    p
    for p in POLICIES.values()
    if isinstance(p, ResourceValidationPolicy) and p.name == "iam-resource-policies-read-only"
)
STACK_POLICIES = [p for p in POLICIES.values() if isinstance(p, StackValidationPolicy)]
TYPES = sorted(
    set(SHARE_CHECKS)
    | set(CREDENTIAL_FIELDS)
    | set(MEMBERSHIP_FIELDS)
    | set(NESTED_ROLE_FIELDS)
    | set(list(role_hand_off_fields())[:20])
    | types.KMS_KEY_TYPES
    | types.STACK_INSTANCE_TYPES
    | {types.IAM_USER, types.IAM_GROUP, types.IAM_ROLE, types.INSTANCE_PROFILE, types.CLOUDFORMATION_STACK_SET}
)
FIELDS = sorted(
    {"name", "arn", "user", "userName", "username", "group", "groups", "groupName", "role", "roleArn", "roleArns"}
    | {"iamInstanceProfile", "taskRoleArn", "containerProperties", "podIdentityAssociations", "permissions"}
    | {"permissionsWithGrantOptions", "sharedAccounts", "public", "principal", "adminAccountId", "policy"}
    | {"stackSetName", "parameterOverrides", "region", "templateBody", "permissionSetArn", "launchSpecifications"}
)
text = st.text(max_size=8).filter(lambda value: "None" not in value)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), text, st.just(UNKNOWN), st.just('{"jobRoleArn": 1}'))
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)
props = st.dictionaries(st.sampled_from(FIELDS), values, max_size=4)


class Reported(list[str]):
    """Messages a policy reports, as the engine would show them."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append(message)


def checked(messages: list[str]) -> None:
    for message in messages:
        assert "could not check" not in message, message
        assert "None" not in message, message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TYPES), props)
def test_odd_props_never_crash_the_share_checks(resource_type: str, values: dict[str, Any]):
    messages = Reported()
    with contextlib.suppress(UnknownValueError):
        SHARES.validate(resource_args(SHARES, resource_type, values), messages)
    checked(messages)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TYPES), props), min_size=1, max_size=3))
def test_odd_stacks_never_crash_the_stack_checks(stack: list[tuple[str, dict[str, Any]]]):
    resources = policy_resources([StackResource(t, p, f"r{i}") for i, (t, p) in enumerate(stack)])
    messages = Reported()
    for policy in STACK_POLICIES:
        with contextlib.suppress(UnknownValueError):
            policy.validate(StackValidationArgs(resources, policy_config(policy.name, None)), messages)
    checked(messages)
