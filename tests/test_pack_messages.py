"""Every IAM policy of the pack, in-process, on arbitrary property values: no exception, no message saying None."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from policy_pack.rules import resource_types as types
from tests.policy_helpers import POLICIES, UNKNOWN, resource_args

EKS_IDENTITY = {types.ACCESS_ENTRY, types.ACCESS_POLICY_ASSOCIATION}  # eks_identity.py's own tests cover them
IAM_TYPES = sorted(
    t for t in types.all_types() if t.startswith(("aws:", "aws-native:", "kubernetes:helm")) and t not in EKS_IDENTITY
)
FIELDS = [
    "policy", "policyDocument", "inlinePolicy", "inlinePolicies", "policies", "assumeRolePolicy",
    "assumeRolePolicyDocument", "maxSessionDuration", "policyArn", "policyArns", "managedPolicyArns",
    "managedPolicyArn", "managedPolicies", "operations", "action", "acl", "grants", "groups", "roleArn",
]  # fmt: skip
# Text never spells None: a message may quote a value, and the assertion looks for a None printed by mistake.
text = st.text(max_size=8).filter(lambda value: "None" not in value)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), text, st.just(UNKNOWN), st.just('{"Statement": [null]}'))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
statement_fields = st.dictionaries(
    st.sampled_from(["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition", "Sid"]),
    values | st.sampled_from(["Allow", "Deny", "sts:AssumeRole", "s3:*", "arn:aws:iam::111111111111:user/x"]),
    max_size=5,
)
documents = st.lists(statement_fields | values, max_size=3).map(lambda body: json.dumps({"Statement": body}))
props_values = values | documents
RESOURCE_POLICIES = [p for p in POLICIES.values() if isinstance(p, ResourceValidationPolicy)]


def run_all(resource_type: str, props: dict[str, Any]) -> list[str]:
    messages: list[str] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        messages.append(message)

    for policy in RESOURCE_POLICIES:
        with contextlib.suppress(UnknownValueError):  # the SDK turns it into the advisory "not known yet" note
            policy.validate(resource_args(policy, resource_type, props), report_violation)
    return messages


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(IAM_TYPES), st.dictionaries(st.sampled_from(FIELDS), props_values, max_size=4))
def test_odd_values_never_crash_a_check_nor_print_none(resource_type, props):
    for message in run_all(resource_type, props):
        assert "could not check" not in message, message
        assert "None" not in message, message
