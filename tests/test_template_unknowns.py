"""A CloudFormation template not known yet (preview) waits for its value in the IAM document policies."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError

from policy_pack.rules import resource_types as types
from policy_pack.rules.policies import all_policies

DOCUMENT_POLICIES = ("iam-read-only-actions", "iam-no-sensitive-reads")


@pytest.mark.parametrize("name", DOCUMENT_POLICIES)
@pytest.mark.parametrize("resource_type", sorted(types.CLOUDFORMATION_TEMPLATE_TYPES))
def test_an_unknown_template_body_is_not_yet_known_not_a_crash(name: str, resource_type: str) -> None:
    policy = next(policy for policy in all_policies() if policy.name == name)
    args = SimpleNamespace(
        resource_type=resource_type,
        props={"templateBody": proxy.UNKNOWN_STRING_VALUE, "name": "stack"},
        get_config=lambda: {},
    )
    reported: list[str] = []
    with pytest.raises(UnknownValueError):
        policy.validate(args, lambda message, urn: reported.append(message))
    assert reported == []
