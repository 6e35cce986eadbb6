"""Trust, attachments and the customer-policy stack policy, over gRPC (Kubernetes and EKS: test_pack_kubernetes)."""

from __future__ import annotations

import json

import pytest

from automation.pack_client import PolicyPackProcess
from tests.conftest import PROJECT_DIR
from tests.pack_helpers import allow, document, findings, mandatory, resource

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ROLE = "aws:iam/role:Role"


def trust(principal, action="sts:AssumeRole", **extra) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


def role(trust_policy: str, **props) -> dict:
    return {"assumeRolePolicy": trust_policy, "maxSessionDuration": 14400, **props}


def test_a_role_trusting_only_the_user_passes(pack):
    assert findings(pack, ROLE, role(trust({"AWS": USER_ARN}))) == {}
    with_tags = trust({"AWS": [USER_ARN]}, action=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    assert mandatory(pack, ROLE, role(with_tags)) == []


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
def test_broad_trust_is_rejected(pack, principal, expected):
    (message,) = mandatory(pack, ROLE, role(trust(principal)))
    assert expected in message


def test_an_account_root_is_accepted_only_when_a_condition_names_specific_arns(pack):
    condition = {"ArnEquals": {"aws:PrincipalArn": [USER_ARN]}}
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    assert mandatory(pack, ROLE, role(trust(root, Condition=condition))) == []
    loose = {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/*"}}
    assert mandatory(pack, ROLE, role(trust(root, Condition=loose)))


@pytest.mark.parametrize("action", ["sts:AssumeRoleWithWebIdentity", "sts:*", "iam:PassRole"])
def test_trust_allows_only_assume_tag_and_source_identity(pack, action):
    (message,) = mandatory(pack, ROLE, role(trust({"AWS": USER_ARN}, action=action)))
    assert "only sts:AssumeRole, sts:SetSourceIdentity, sts:TagSession" in message


def test_session_duration_is_bounded_and_the_bound_is_configurable(pack):
    (message,) = mandatory(pack, ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200))
    assert message == "maxSessionDuration is 43200 seconds; at most 14400 is allowed"
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as configured:
        configured.configure({"iam-role-trust": {"enforcementLevel": "mandatory", "maxSessionDuration": 43200}})
        assert mandatory(configured, ROLE, role(trust({"AWS": USER_ARN}), maxSessionDuration=43200)) == []


def read_only_managed_policy() -> str:
    table = json.loads((PROJECT_DIR / "policy_pack/rules/aws_managed_policies.json").read_text())
    return table["readOnly"][0]


@pytest.mark.parametrize(
    "type_",
    [
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
)
def test_aws_managed_attachments_pass_only_when_read_only(pack, type_):
    for name in ("ReadOnlyAccess", "ViewOnlyAccess", "SecurityAudit", "AdministratorAccess"):
        (message,) = mandatory(pack, type_, {"policyArn": f"arn:aws:iam::aws:policy/{name}"})
        assert f"the AWS managed policy {name!r} grants more than List/Read" in message
    assert mandatory(pack, type_, {"policyArn": f"arn:aws:iam::aws:policy/{read_only_managed_policy()}"}) == []
    (message,) = mandatory(pack, type_, {"policyArn": "arn:aws:iam::aws:policy/service-role/AWSConfigRole"})
    assert "'AWSConfigRole'" in message


def test_role_managed_policy_arns_are_checked(pack):
    props = role(trust({"AWS": USER_ARN}), managedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])
    (message,) = mandatory(pack, ROLE, props)
    assert "'AdministratorAccess'" in message


def stack(pack, *resources) -> list:
    return pack.analyze_stack(list(resources))


def test_customer_policies_must_be_declared_here_and_read_only(pack):
    arn = "arn:aws:iam::111111111111:policy/Mine"
    good = resource("aws:iam/policy:Policy", {"arn": arn, "policy": document(allow("ec2:DescribeVpcs"))}, "mine")
    bad = resource("aws:iam/policy:Policy", {"arn": arn, "policy": document(allow("ec2:*"))}, "mine")
    attachment = resource("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"policyArn": arn, "user": "u"})
    assert stack(pack, good, attachment) == []
    (violation,) = stack(pack, bad, attachment)
    assert violation.policy == "iam-customer-policy-attachments" and violation.level == "mandatory"
    assert violation.message.endswith(f"attaches {arn}, which grants more than List/Read")
    (violation,) = stack(pack, attachment)
    assert "which this stack does not declare, so it cannot be checked" in violation.message
    assert violation.urn == attachment.urn
