"""IAM document rules: the pack's policies in-process (the gRPC wiring: test_pack_grpc)."""

from __future__ import annotations

import json

import pytest

from policy_pack.rules import resource_types as types
from tests.policy_helpers import UNKNOWN, allow, document, findings, mandatory, policy_findings, trust

READ_ONLY = "iam-read-only-actions"
SENSITIVE = "iam-no-sensitive-reads"
WILDCARDS = "iam-no-action-wildcards"
ROLE_ARNS = ["arn:aws:iam::222222222222:role/Axonius-Readonly-Role"]


def rejected(found: dict) -> list[str]:
    return [v.message for v in found.get(READ_ONLY, []) if v.level == "mandatory"]


def test_explicit_read_actions_pass():
    assert policy_findings(allow(["ec2:DescribeInstances", "s3:ListAllMyBuckets", "iam:GetUser"])) == {}


@pytest.mark.parametrize(
    ("action", "offender"),
    [
        ("s3:PutObject", "s3:PutObject (Write)"),
        ("S3:PUTOBJECT", "s3:PutObject (Write)"),  # IAM matches case-insensitively
        ("kms:Decrypt", "kms:Decrypt (Write)"),  # a read by name, Write by AWS's label
        ("iam:?reateUser", "iam:CreateUser (Write)"),
        ("*:Put*", "(Write)"),
        ("*", "(Write)"),
        ("athena:Get*", "athena:GetSessionEndpoint (Write)"),
        ("iam:AttachUserPolicy", "iam:AttachUserPolicy (Permissions management, Write)"),
        ("ec2:CreateTags", "ec2:CreateTags (Tagging, Write)"),
    ],
)
def test_anything_beyond_list_and_read_is_rejected_with_its_level(action, offender):
    (message,) = rejected(policy_findings(allow(["ec2:DescribeInstances", action])))
    assert "beyond List/Read" in message and offender in message


def test_upper_case_read_actions_pass():
    found = policy_findings(allow(["EC2:DESCRIBEINSTANCES", "Iam:ListUsers"]))
    assert rejected(found) == []


def test_question_mark_matches_one_character():
    found = policy_findings(allow("ec2:DescribeInstance?"))  # DescribeInstances, not DescribeInstanceStatus
    assert rejected(found) == []
    assert "(1 actions today)" in found[WILDCARDS][0].message


def test_a_bracket_is_literal_not_a_class():
    (message,) = rejected(policy_findings(allow("ec2:Describe[I]nstances")))
    assert "matches no action in the IAM data" in message


@pytest.mark.parametrize("action", ["ec2:DescribeNothing", "nosuchservice:GetThing", "ec2:Zz*", "ec2*", "s3"])
def test_unknown_actions_and_empty_patterns_fail_closed(action):
    (message,) = rejected(policy_findings(allow(action)))
    assert f"{action!r}, which matches no action" in message


def test_not_action_with_allow_is_rejected():
    statement = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    (message,) = rejected(policy_findings(statement))
    assert "NotAction with Allow" in message


def test_deny_statements_are_ignored():
    deny = {"Effect": "Deny", "NotAction": "*", "Resource": "*"}
    assert rejected(policy_findings([allow("ec2:DescribeVpcs"), deny])) == []


def test_a_statement_object_and_an_action_string_are_checked():
    (message,) = rejected(policy_findings(allow("s3:DeleteBucket", Sid="Solo"), as_list=False))
    assert message.startswith("policy: statement 'Solo' (#0) grants 1 action(s) beyond List/Read: s3:DeleteBucket")
    assert rejected(policy_findings(allow("s3:ListBucket"), as_list=False)) == []


def test_a_condition_does_not_excuse_a_write():
    statement = allow("s3:PutObject", Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert rejected(policy_findings(statement))


@pytest.mark.parametrize("effect", ["allow", "ALLOW", None, 1])
def test_a_wrong_or_missing_effect_is_rejected(effect):
    statement = {"Action": "ec2:DescribeVpcs", "Resource": "*"} | ({} if effect is None else {"Effect": effect})
    (message,) = rejected(policy_findings(statement))
    assert (f"has Effect {effect!r}" if effect is not None else "has no Effect") in message


def test_assume_role_is_allowed_only_exactly_on_specific_role_arns():
    assert rejected(policy_findings(allow("sts:AssumeRole", ROLE_ARNS))) == []
    for resource_ in ("*", ["arn:aws:iam::*:role/Axonius"], ["arn:aws:iam::222222222222:role/Ax*"], []):
        (message,) = rejected(policy_findings(allow("sts:AssumeRole", resource_)))
        assert "list exact role ARNs (no wildcards, no NotResource)" in message
    (message,) = rejected(policy_findings(allow("sts:assumerole", ROLE_ARNS)))
    assert "sts:AssumeRole (Write)" in message  # only the exact spelling is the exception
    assert rejected(policy_findings(allow("sts:Assume*", ROLE_ARNS)))


@pytest.mark.parametrize("policy", ["{not json", "42", '"text"', json.dumps({"Statement": "x"}), json.dumps({})])
def test_malformed_documents_are_rejected_without_crashing_the_pack(policy):
    messages = mandatory(types.IAM_POLICY, {"policy": policy})
    assert messages and all(m.startswith("policy: ") for m in messages)


@pytest.mark.parametrize("type_", sorted(types.INLINE_POLICY_TYPES))
def test_inline_policy_resources_are_checked(type_):
    assert mandatory(type_, {"policy": document(allow("iam:CreateUser"))})
    assert not mandatory(type_, {"policy": document(allow("iam:ListUsers"))})


def test_role_inline_policies_are_checked():
    props = {
        "assumeRolePolicy": document(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/x"}, "Action": "sts:AssumeRole"}
        ),
        "inlinePolicies": [{"name": "bad", "policy": document(allow("ec2:RunInstances"))}],
    }
    found = findings(types.IAM_ROLE, props)
    (message,) = [v.message for v in found[READ_ONLY]]
    assert message.startswith("inlinePolicies[0] ('bad'): statement #0 grants 1 action(s) beyond List/Read")


def test_messages_show_the_first_few_offenders_and_a_count():
    (message,) = rejected(policy_findings(allow("s3:Put*", Sid="Uploads")))
    assert message.startswith("policy: statement 'Uploads' (#0) grants ")
    assert " and " in message and " more; grant only actions AWS labels List or Read" in message


def test_sensitive_reads_and_wildcards_are_advisory():
    found = policy_findings(allow(["secretsmanager:GetSecretValue", "ssm:GetParameter*", "ec2:Describe*"]))
    assert rejected(found) == []
    assert [v.level for v in found[SENSITIVE]] == ["advisory"]
    assert "secretsmanager:GetSecretValue (Read)" in found[SENSITIVE][0].message
    assert "ssm:GetParameter (Read)" in found[SENSITIVE][0].message
    assert {v.level for v in found[WILDCARDS]} == {"advisory"} and len(found[WILDCARDS]) == 2


def test_config_raises_advisories_to_mandatory_and_allows_named_sensitive_reads():
    config = {
        SENSITIVE: {"enforcementLevel": "mandatory", "allowedActions": ["s3:GetObject"]},
        WILDCARDS: {"enforcementLevel": "mandatory"},
    }
    found = policy_findings(allow(["s3:GetObject", "ec2:GetPasswordData"]), config)
    (violation,) = found[SENSITIVE]
    assert violation.level == "mandatory"
    assert "ec2:GetPasswordData" in violation.message and "s3:GetObject" not in violation.message
    assert policy_findings(allow("ec2:Describe*"), config)[WILDCARDS][0].level == "mandatory"


def test_an_unknown_value_during_preview_is_an_advisory_note_not_a_crash():
    found = findings(types.IAM_POLICY, {"policy": UNKNOWN})
    (note,) = found[READ_ONLY]
    assert note.level == "advisory"
    assert note.message.startswith("policy is not known until")  # the SDK's "can't run policy" text: test_pack_grpc


def test_the_providers_default_empty_inline_policy_block_passes():
    """pulumi-aws shows `inlinePolicies=[{}]` back as `[{name: '', policy: ''}]`: no policy at all."""
    props = {"assumeRolePolicy": trust({"AWS": "arn:aws:iam::111111111111:user/Axonius-Readonly"})}
    assert mandatory(types.IAM_ROLE, {**props, "inlinePolicies": [{"name": "", "policy": ""}]}) == []
    (message,) = mandatory(types.IAM_ROLE, {**props, "inlinePolicies": [{"name": "x", "policy": ""}]})
    assert message.startswith("inlinePolicies[0] ('x'): the policy document is not valid JSON")
