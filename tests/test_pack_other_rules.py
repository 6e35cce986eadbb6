"""Trust, attachments and the customer-policy stack policy, in-process (Kubernetes and EKS: test_pack_kubernetes)."""

from __future__ import annotations

import json

import pytest

from policy_pack.rules import resource_types as types
from tests.conftest import PROJECT_DIR
from tests.policy_helpers import allow, analyze_stack, document, findings, mandatory, resource, trust

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ROLE = types.IAM_ROLE


def role(trust_policy: str, **props) -> dict:
    return {"assumeRolePolicy": trust_policy, "maxSessionDuration": 14400, **props}


def test_a_role_trusting_only_the_user_passes():
    assert findings(ROLE, role(trust({"AWS": USER_ARN}))) == {}
    with_tags = trust({"AWS": [USER_ARN]}, action=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    assert mandatory(ROLE, role(with_tags)) == []


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "has principal '*'"),
        ({"AWS": "*"}, "trusts '*'"),
        ({"AWS": "arn:aws:iam::111111111111:root"}, "trusts 'arn:aws:iam::111111111111:root'"),
        ({"AWS": "111111111111"}, "trusts '111111111111'"),
        ({"AWS": "arn:aws:iam::111111111111:user/*"}, "trusts 'arn:aws:iam::111111111111:user/*'"),
        ({"Service": "ec2.amazonaws.com"}, "has principal {'Service': 'ec2.amazonaws.com'}"),
        ({"Federated": "cognito-identity.amazonaws.com"}, "has principal {'Federated'"),
    ],
)
def test_broad_trust_is_rejected(principal, expected):
    (message,) = mandatory(ROLE, role(trust(principal)))
    assert expected in message


def test_an_account_root_is_accepted_only_when_a_condition_names_specific_arns():
    condition = {"ArnEquals": {"aws:PrincipalArn": [USER_ARN]}}
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    assert mandatory(ROLE, role(trust(root, Condition=condition))) == []
    loose = {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/*"}}
    assert mandatory(ROLE, role(trust(root, Condition=loose)))


@pytest.mark.parametrize("action", ["sts:AssumeRoleWithWebIdentity", "sts:*", "iam:PassRole"])
def test_trust_allows_only_assume_tag_and_source_identity(action):
    (message,) = mandatory(ROLE, role(trust({"AWS": USER_ARN}, action=action)))
    assert "only sts:AssumeRole, sts:SetSourceIdentity, sts:TagSession" in message


def test_session_duration_is_bounded_and_the_bound_is_configurable():
    (message,) = mandatory(ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200))
    assert message == "maxSessionDuration is 43200 seconds; at most 14400 is allowed"
    config = {"iam-role-trust": {"enforcementLevel": "mandatory", "maxSessionDuration": 43200}}
    assert mandatory(ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200), config) == []


def read_only_managed_policy() -> str:
    table = json.loads((PROJECT_DIR / "policy_pack/rules/aws_managed_policies.json").read_text())
    return table["readOnly"][0]


@pytest.mark.parametrize("type_", sorted(types.ATTACHMENT_TYPES))
def test_aws_managed_attachments_pass_only_when_read_only(type_):
    for name in ("ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit", "AdministratorAccess"):
        (message,) = mandatory(type_, {"policyArn": f"arn:aws:iam::aws:policy/{name}"})
        assert f"the AWS managed policy {name!r} grants more than List/Read" in message
    assert mandatory(type_, {"policyArn": f"arn:aws:iam::aws:policy/{read_only_managed_policy()}"}) == []
    (message,) = mandatory(type_, {"policyArn": "arn:aws:iam::aws:policy/service-role/AWSConfigRole"})
    assert "'AWSConfigRole'" in message


def test_role_managed_policy_arns_are_checked():
    props = role(trust({"AWS": USER_ARN}), managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])
    (message,) = mandatory(ROLE, props)
    assert "'AdministratorAccess'" in message


def test_customer_policies_must_be_declared_here_and_read_only():
    arn = "arn:aws:iam::111111111111:policy/Mine"
    good = resource(types.IAM_POLICY, {"arn": arn, "policy": document(allow("ec2:DescribeVpcs"))}, "mine")
    bad = resource(types.IAM_POLICY, {"arn": arn, "policy": document(allow("ec2:*"))}, "mine")
    attachment = resource("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"policyArn": arn, "user": "u"})
    assert analyze_stack([good, attachment]) == []
    (violation,) = analyze_stack([bad, attachment])
    assert violation.policy == "iam-customer-policy-attachments" and violation.level == "mandatory"
    assert violation.message.endswith(f"attaches {arn}, which grants more than List/Read")
    (violation,) = analyze_stack([attachment])
    assert "which this stack does not declare, so it cannot be checked" in violation.message
    assert violation.urn == attachment.urn
