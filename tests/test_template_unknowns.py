"""A CloudFormation template not known yet (preview) waits for its value in the IAM document policies."""

from __future__ import annotations

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy_pack.rules import resource_types as types
from policy_pack.rules.policies import all_policies

DOCUMENT_POLICIES = ("iam-read-only-actions", "iam-no-sensitive-reads")


@pytest.mark.parametrize("name", DOCUMENT_POLICIES)
@pytest.mark.parametrize("resource_type", sorted(types.CLOUDFORMATION_TEMPLATE_TYPES))
def test_an_unknown_template_body_is_not_yet_known_not_a_crash(name: str, resource_type: str) -> None:
    policy = next(p for p in all_policies() if isinstance(p, ResourceValidationPolicy) and p.name == name)
    args = ResourceValidationArgs(
        resource_type,
        {"templateBody": UNKNOWN_STRING_VALUE, "name": "stack"},
        urn=f"urn:pulumi:t::p::{resource_type}::stack",
        name="stack",
        opts=PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        provider=None,
    )
    reported: list[str] = []
    with pytest.raises(UnknownValueError):
        policy.validate(args, lambda message, urn: reported.append(message))
    assert reported == []
