"""IAM document rules, over the engine's gRPC protocol."""

from __future__ import annotations

import json

import pytest

from automation.pack_client import PolicyPackProcess
from tests.conftest import PROJECT_DIR
from tests.pack_helpers import allow, document, findings, mandatory, policy_findings

READ_ONLY = "iam-read-only-actions"
SENSITIVE = "iam-no-sensitive-reads"
WILDCARDS = "iam-no-action-wildcards"
ROLE_ARNS = ["arn:aws:iam::222222222222:role/Axonius-Readonly-Role"]


def rejected(found: dict) -> list[str]:
    return [v.message for v in found.get(READ_ONLY, []) if v.level == "mandatory"]


def test_the_analyzer_describes_every_policy_and_its_level(pack):
    info = pack.info()
    assert info.name == "axonius-read-only"
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels[READ_ONLY] == 1 and levels[SENSITIVE] == 0 and levels[WILDCARDS] == 0  # 1 mandatory, 0 advisory
    assert len(levels) == 15


def test_explicit_read_actions_pass(pack):
    assert policy_findings(pack, allow(["ec2:DescribeInstances", "s3:ListAllMyBuckets", "iam:GetUser"])) == {}


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
def test_anything_beyond_list_and_read_is_rejected_with_its_level(pack, action, offender):
    (message,) = rejected(policy_findings(pack, allow(["ec2:DescribeInstances", action])))
    assert "beyond List/Read" in message and offender in message


def test_upper_case_read_actions_pass(pack):
    found = policy_findings(pack, allow(["EC2:DESCRIBEINSTANCES", "Iam:ListUsers"]))
    assert rejected(found) == []


def test_question_mark_matches_one_character(pack):
    found = policy_findings(pack, allow("ec2:DescribeInstance?"))  # DescribeInstances, not DescribeInstanceStatus
    assert rejected(found) == []
    assert "(1 actions today)" in found[WILDCARDS][0].message


def test_a_bracket_is_literal_not_a_class(pack):
    (message,) = rejected(policy_findings(pack, allow("ec2:Describe[I]nstances")))
    assert "matches no action in the IAM data" in message


@pytest.mark.parametrize("action", ["ec2:DescribeNothing", "nosuchservice:GetThing", "ec2:Zz*", "ec2*", "s3"])
def test_unknown_actions_and_empty_patterns_fail_closed(pack, action):
    (message,) = rejected(policy_findings(pack, allow(action)))
    assert f"{action!r}, which matches no action" in message


def test_not_action_with_allow_is_rejected(pack):
    statement = {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
    (message,) = rejected(policy_findings(pack, statement))
    assert "NotAction with Allow" in message


def test_deny_statements_are_ignored(pack):
    deny = {"Effect": "Deny", "NotAction": "*", "Resource": "*"}
    assert rejected(policy_findings(pack, [allow("ec2:DescribeVpcs"), deny])) == []


def test_a_statement_object_and_an_action_string_are_checked(pack):
    (message,) = rejected(policy_findings(pack, allow("s3:DeleteBucket", Sid="Solo"), as_list=False))
    assert message.startswith("policy: statement 'Solo' (#0) grants 1 action(s) beyond List/Read: s3:DeleteBucket")
    assert rejected(policy_findings(pack, allow("s3:ListBucket"), as_list=False)) == []


def test_a_condition_does_not_excuse_a_write(pack):
    statement = allow("s3:PutObject", Condition={"Bool": {"aws:SecureTransport": "true"}})
    assert rejected(policy_findings(pack, statement))


@pytest.mark.parametrize("effect", ["allow", "ALLOW", None, 1])
def test_a_wrong_or_missing_effect_is_rejected(pack, effect):
    statement = {"Action": "ec2:DescribeVpcs", "Resource": "*"} | ({} if effect is None else {"Effect": effect})
    (message,) = rejected(policy_findings(pack, statement))
    assert (f"has Effect {effect!r}" if effect is not None else "has no Effect") in message


def test_assume_role_is_allowed_only_exactly_on_specific_role_arns(pack):
    assert rejected(policy_findings(pack, allow("sts:AssumeRole", ROLE_ARNS))) == []
    for resource_ in ("*", ["arn:aws:iam::*:role/Axonius"], ["arn:aws:iam::222222222222:role/Ax*"], []):
        (message,) = rejected(policy_findings(pack, allow("sts:AssumeRole", resource_)))
        assert "list exact role ARNs (no wildcards, no NotResource)" in message
    (message,) = rejected(policy_findings(pack, allow("sts:assumerole", ROLE_ARNS)))
    assert "sts:AssumeRole (Write)" in message  # only the exact spelling is the exception
    assert rejected(policy_findings(pack, allow("sts:Assume*", ROLE_ARNS)))


@pytest.mark.parametrize("policy", ["{not json", "42", '"text"', json.dumps({"Statement": "x"}), json.dumps({})])
def test_malformed_documents_are_rejected_without_crashing_the_pack(pack, policy):
    messages = mandatory(pack, "aws:iam/policy:Policy", {"policy": policy})
    assert messages and all(m.startswith("policy: ") for m in messages)


@pytest.mark.parametrize(
    "type_", ["aws:iam/userPolicy:UserPolicy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/groupPolicy:GroupPolicy"]
)
def test_inline_policy_resources_are_checked(pack, type_):
    assert mandatory(pack, type_, {"policy": document(allow("iam:CreateUser"))})
    assert not mandatory(pack, type_, {"policy": document(allow("iam:ListUsers"))})


def test_role_inline_policies_are_checked(pack):
    props = {
        "assumeRolePolicy": document(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:user/x"}, "Action": "sts:AssumeRole"}
        ),
        "inlinePolicies": [{"name": "bad", "policy": document(allow("ec2:RunInstances"))}],
    }
    found = findings(pack, "aws:iam/role:Role", props)
    (message,) = [v.message for v in found[READ_ONLY]]
    assert message.startswith("inlinePolicies[0] ('bad'): statement #0 grants 1 action(s) beyond List/Read")


def test_messages_show_the_first_few_offenders_and_a_count(pack):
    (message,) = rejected(policy_findings(pack, allow("s3:Put*", Sid="Uploads")))
    assert message.startswith("policy: statement 'Uploads' (#0) grants ")
    assert " and " in message and " more; grant only actions AWS labels List or Read" in message


def test_sensitive_reads_and_wildcards_are_advisory(pack):
    found = policy_findings(pack, allow(["secretsmanager:GetSecretValue", "ssm:GetParameter*", "ec2:Describe*"]))
    assert rejected(found) == []
    assert [v.level for v in found[SENSITIVE]] == ["advisory"]
    assert "secretsmanager:GetSecretValue (Read)" in found[SENSITIVE][0].message
    assert "ssm:GetParameter (Read)" in found[SENSITIVE][0].message
    assert {v.level for v in found[WILDCARDS]} == {"advisory"} and len(found[WILDCARDS]) == 2


def test_config_raises_advisories_to_mandatory_and_allows_named_sensitive_reads():
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as pack:
        pack.configure(
            {
                SENSITIVE: {"enforcementLevel": "mandatory", "allowedActions": ["s3:GetObject"]},
                WILDCARDS: {"enforcementLevel": "mandatory"},
            }
        )
        found = policy_findings(pack, allow(["s3:GetObject", "ec2:GetPasswordData"]))
        (violation,) = found[SENSITIVE]
        assert violation.level == "mandatory"
        assert "ec2:GetPasswordData" in violation.message and "s3:GetObject" not in violation.message
        assert policy_findings(pack, allow("ec2:Describe*"))[WILDCARDS][0].level == "mandatory"


def test_an_unknown_value_during_preview_is_an_advisory_note_not_a_crash(pack):
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    found = findings(pack, "aws:iam/policy:Policy", {"policy": unknown})
    assert found[READ_ONLY][0].level == "advisory"
    assert "can't run policy" in found[READ_ONLY][0].message
