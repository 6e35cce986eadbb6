"""Issue 9, IAM half: each class through the pack's policies in-process (a pass and a reject each); pure checks too.

The same policies over the engine's gRPC protocol: test_pack_grpc.
"""

from __future__ import annotations

import json

import pytest

from policy_pack.rules import resource_types as types
from policy_pack.rules.iam_documents import ASSUME_ROLE_SHAPES, assumable_role_arn, exact_role_arns
from policy_pack.rules.resource_grants import check_acl, check_operations
from policy_pack.rules.trust import check_trust_policy, is_trusted
from policy_pack.rules.unknowns import Unknown
from tests.policy_helpers import UNKNOWN, allow, analyze_stack, document, findings, mandatory, resource, trust

UNKNOWN_MARKER = Unknown("grants")
POLICY = types.IAM_POLICY
ROLE = types.IAM_ROLE
OUR_ROLE = "arn:aws:iam::222222222222:role/Axonius-Readonly-Role"
USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"


def assume(resource_) -> dict:
    return {"policy": document(allow("sts:AssumeRole", resource_))}


# --- 1. AssumeRole targets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("arn", [OUR_ROLE, "arn:aws-us-gov:iam::333333333333:role/team/Axonius-Readonly-Role"])
def test_assume_role_on_the_accepted_role_name_passes(arn):
    assert mandatory(POLICY, assume([arn])) == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
        "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123",
        "arn:aws:iam::222222222222:role/axonius-readonly-role",  # another spelling is another name
        "arn:aws:iam::222222222222:role/Axonius-Readonly-Role2",
        "arn:aws:iam::222222222222:role/Axonius-Readonly-*",
        "arn:aws:iam::*:role/Axonius-Readonly-Role",
        "arn:aws:iam::222222222222:user/Axonius-Readonly-Role",
    ],
)
def test_assume_role_on_any_other_role_is_rejected(arn):
    (message,) = mandatory(POLICY, assume([OUR_ROLE, arn]))
    assert f"allows sts:AssumeRole on ['{arn}']" in message
    assert "roles named ['Axonius-Readonly-Role'] (the policy's assumableRoleNames)" in message


def test_not_resource_with_assume_role_is_rejected():
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": [OUR_ROLE]}
    assert mandatory(POLICY, {"policy": document(statement)})


def test_assumable_role_names_come_from_the_pack_config_and_keep_the_level():
    config = {"iam-read-only-actions": {"assumableRoleNames": ["Inventory"]}}
    assert mandatory(POLICY, assume(["arn:aws:iam::222222222222:role/Inventory"]), config) == []
    (violation,) = findings(POLICY, assume([OUR_ROLE]), config)["iam-read-only-actions"]
    assert violation.level == "mandatory" and "roles named ['Inventory']" in violation.message


def test_the_exact_spelling_rule_says_so():
    (message,) = mandatory(POLICY, {"policy": document(allow("sts:assumeRole", [OUR_ROLE]))})
    assert "sts:AssumeRole is accepted only spelled exactly so, case-sensitive and without wildcards" in message


def test_assume_role_shapes_are_functions_of_statement_and_names():
    names = frozenset({"Axonius-Readonly-Role"})
    assert exact_role_arns in ASSUME_ROLE_SHAPES
    assert exact_role_arns({"Resource": OUR_ROLE}, names)
    assert not exact_role_arns({"Resource": []}, names)
    assert not exact_role_arns({"Resource": [OUR_ROLE], "NotResource": "*"}, names)
    assert assumable_role_arn("arn:aws-cn:iam::123456789012:role/a/b/Axonius-Readonly-Role", names)
    for arn in (None, 42, "", "arn:aws:iam::12345678901:role/Axonius-Readonly-Role", "Axonius-Readonly-Role"):
        assert not assumable_role_arn(arn, names)


# --- 2. Trust principals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [USER_ARN, "arn:aws:iam::999999999999:user/team/Axonius-Readonly", [USER_ARN, USER_ARN]],
)
def test_trusting_the_configured_user_name_passes(principal):
    assert mandatory(ROLE, {"assumeRolePolicy": trust({"AWS": principal})}) == []


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:iam::999999999999:user/attacker",
        "arn:aws:iam::111111111111:role/Axonius-Readonly",  # a name is accepted as a user, not as a role
        "arn:aws:iam::111111111111:user/Axonius-Readonly*",
        "AIDAEXAMPLEUNIQUEID1",
    ],
)
def test_trusting_anyone_else_is_rejected(principal):
    (message,) = mandatory(ROLE, {"assumeRolePolicy": trust({"AWS": principal})})
    assert f"trusts {principal!r}" in message and "trustedPrincipals" in message


def test_an_account_root_passes_only_when_its_condition_names_trusted_principals():
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    ours = {"ArnEquals": {"aws:PrincipalArn": USER_ARN}}
    theirs = {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/attacker"}}
    assert mandatory(ROLE, {"assumeRolePolicy": trust(root, Condition=ours)}) == []
    assert mandatory(ROLE, {"assumeRolePolicy": trust(root, Condition=theirs)})


def test_trusted_principals_come_from_the_pack_config():
    exact = "arn:aws:iam::111111111111:user/ci/Inventory"
    config = {"iam-role-trust": {"trustedPrincipals": [exact]}}
    assert mandatory(ROLE, {"assumeRolePolicy": trust({"AWS": exact})}, config) == []
    assert mandatory(ROLE, {"assumeRolePolicy": trust({"AWS": USER_ARN})}, config)
    assert mandatory(ROLE, {"assumeRolePolicy": trust({"AWS": exact.replace("1111", "2222", 1)})}, config)


def test_trust_is_pure():
    trusted = frozenset({"Axonius-Readonly", "arn:aws:iam::1:role/x"})
    assert is_trusted("arn:aws:iam::123456789012:user/a/Axonius-Readonly", trusted)
    assert not is_trusted("arn:aws:iam::123456789012:role/Axonius-Readonly", trusted)
    problems, unknown = check_trust_policy(trust({"AWS": "arn:aws:iam::123456789012:user/x"}), trusted)
    assert len(problems) == 1 and unknown == []


# --- 6. Stack rules resolve what they need ---------------------------------------------------------------------

ATTACH = "aws:iam/userPolicyAttachment:UserPolicyAttachment"


def declared_policy(action: str) -> object:
    return resource(POLICY, {"name": "p", "policy": document(allow(action))}, "mine")


@pytest.mark.parametrize(
    ("action", "rejected"), [("ec2:DescribeVpcs", False), ("iam:CreateUser", True)], ids=["read", "write"]
)
def test_an_unknown_policy_arn_is_followed_to_the_policy_in_the_stack(action, rejected):
    policy = declared_policy(action)
    attachment = resource(ATTACH, {"policyArn": UNKNOWN, "user": "u"}, "a", depends={"policyArn": [policy.urn]})
    found = analyze_stack([policy, attachment])
    assert [v.message for v in found] == (
        ["policyArn attaches policy mine of this stack, which grants more than List/Read"] if rejected else []
    )


def test_an_unknown_policy_arn_from_nowhere_in_the_stack_is_rejected():
    (violation,) = analyze_stack([resource(ATTACH, {"policyArn": UNKNOWN, "user": "u"}, "a")])
    assert violation.level == "mandatory" and "does not come from a policy declared in this stack" in violation.message


def test_exclusive_attachments_and_role_lists_are_followed_too():
    good, bad = declared_policy("ec2:DescribeVpcs"), resource(POLICY, {"policy": document(allow("s3:*"))}, "bad")
    exclusive = resource(
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        {"roleName": "r", "policyArns": [UNKNOWN, UNKNOWN]},
        "x",
        depends={"policyArns": [good.urn, bad.urn]},
    )
    (violation,) = analyze_stack([good, bad, exclusive])
    assert violation.message == "policyArns[0] attaches policy bad of this stack, which grants more than List/Read"


KEY = "aws:iam/accessKey:AccessKey"


def test_credentials_only_for_users_declared_in_the_stack():
    user = resource(types.IAM_USER, {"name": "Axonius-Readonly"}, "user")
    assert analyze_stack([user, resource(KEY, {"user": "Axonius-Readonly"}, "key")]) == []
    assert analyze_stack([user, resource(KEY, {"user": UNKNOWN}, "key", depends={"user": [user.urn]})]) == []
    (violation,) = analyze_stack([user, resource(KEY, {"user": "admin"}, "key")])
    assert (
        violation.policy == "iam-declared-identities"
        and "user 'admin' is not declared in this stack" in violation.message
    )
    login = resource("aws:iam/userLoginProfile:UserLoginProfile", {"user": "admin"}, "login")
    assert [v.policy for v in analyze_stack([user, login])] == ["iam-declared-identities"]


def test_permission_set_assignments_only_to_permission_sets_declared_here():
    arn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1"
    declared = resource(types.SSO_PERMISSION_SET, {"arn": arn, "name": "ro"}, "ps")
    assignment = types.SSO_ACCOUNT_ASSIGNMENT
    assert analyze_stack([declared, resource(assignment, {"permissionSetArn": arn}, "as")]) == []
    (violation,) = analyze_stack([resource(assignment, {"permissionSetArn": arn.replace("ps-1", "ps-admin")})])
    assert "permissionSetArn" in violation.message


# --- 7. Unknown values -----------------------------------------------------------------------------------------


def test_one_unknown_field_does_not_hide_the_rest_of_the_resource():
    props = {
        "assumeRolePolicy": UNKNOWN,
        "maxSessionDuration": 43200,
        "inlinePolicies": [
            {"name": "bad", "policy": document(allow("ec2:RunInstances"))},
            {"name": "later", "policy": UNKNOWN},
        ],
    }
    found = findings(ROLE, props)
    trust_findings = {v.level: v.message for v in found["iam-role-trust"]}
    assert trust_findings["mandatory"] == "maxSessionDuration is 43200 seconds; at most 14400 is allowed"
    assert "assumeRolePolicy is not known until" in trust_findings["advisory"]
    read_only = {v.level: v.message for v in found["iam-read-only-actions"]}
    assert read_only["mandatory"].startswith("inlinePolicies[0] ('bad'): statement #0 grants 1 action(s) beyond")
    assert "inlinePolicies[1].policy is not known until" in read_only["advisory"]
    assert "assumeRolePolicy" not in read_only["advisory"]


def test_a_known_document_with_one_unknown_resource_is_checked_everywhere_else():
    native = {"policyDocument": {"Statement": [allow("iam:CreateUser"), allow("sts:AssumeRole", [UNKNOWN])]}}
    found = findings(types.NATIVE_MANAGED_POLICY, native)
    levels = sorted(v.level for v in found["iam-read-only-actions"])
    assert levels == ["advisory", "mandatory"]


def test_a_fully_known_resource_has_no_unknown_note():
    assert findings(ROLE, {"assumeRolePolicy": trust({"AWS": USER_ARN}), "maxSessionDuration": 3600}) == {}


# --- 8. Patterns that hang -------------------------------------------------------------------------------------


def test_an_adversarial_pattern_is_answered():
    (message,) = mandatory(POLICY, {"policy": document(allow("iam:*?*?*?*?*?*?*?*?*?*?*?*?*Zq"))})
    assert "matches no action in the IAM data" in message


# --- 9. Resource types that grant access -----------------------------------------------------------------------

READ = document(allow("s3:ListBucket"))
WRITE = document(allow("s3:PutObject", Principal={"AWS": "*"}))
CASES = [
    ("aws:s3/bucketPolicy:BucketPolicy", {"bucket": "b", "policy": READ}, {"bucket": "b", "policy": WRITE}),
    ("aws:s3/bucketV2:BucketV2", {"bucket": "b"}, {"bucket": "b", "policy": WRITE}),
    ("aws:kms/key:Key", {"description": "default key policy"}, {"policy": document(allow("kms:*"))}),
    ("aws:kms/grant:Grant", {"operations": ["DescribeKey"]}, {"operations": ["DescribeKey", "Decrypt"]}),
    ("aws:secretsmanager/secretPolicy:SecretPolicy", {"policy": READ}, {"policy": WRITE}),
    ("aws:sqs/queuePolicy:QueuePolicy", {"policy": READ}, {"policy": WRITE}),
    ("aws:lambda/permission:Permission", {"action": "lambda:GetFunction"}, {"action": "lambda:InvokeFunction"}),
    (
        "aws-native:secretsmanager:ResourcePolicy",
        {"resourcePolicy": json.loads(READ)},
        {"resourcePolicy": json.loads(WRITE)},
    ),
    (
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        {"policyArns": []},
        {"policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
    ),
    (
        "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
        {"inlinePolicy": READ},
        {"inlinePolicy": WRITE},
    ),
    (
        "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
        {"managedPolicyArn": "arn:aws:iam::aws:policy/AWSAccountActivityAccess"},
        {"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    ("aws-native:iam:ManagedPolicy", {"policyDocument": json.loads(READ)}, {"policyDocument": json.loads(WRITE)}),
    (
        "aws-native:iam:Role",
        {"assumeRolePolicyDocument": json.loads(trust({"AWS": USER_ARN}))},
        {"assumeRolePolicyDocument": json.loads(trust({"AWS": "*"}))},
    ),
    (
        "aws-native:iam:User",
        {"policies": [{"policyName": "ro", "policyDocument": json.loads(READ)}]},
        {"policies": [{"policyName": "rw", "policyDocument": json.loads(WRITE)}]},
    ),
    ("aws-native:sso:PermissionSet", {"inlinePolicy": READ}, {"customerManagedPolicyReferences": [{"name": "Admin"}]}),
]


@pytest.mark.parametrize(("type_", "passing", "rejected"), CASES, ids=[case[0] for case in CASES])
def test_resource_types_that_grant_access_are_checked(type_, passing, rejected):
    assert mandatory(type_, passing) == []
    assert mandatory(type_, rejected)


UNVERIFIABLE = [
    (
        "aws-native:cloudformation:Stack",
        {"templateBody": "{}"},
        "deploys a CloudFormation template the pack does not read",
    ),
    ("aws-native:cloudformation:StackSet", {}, "deploys a CloudFormation template the pack does not read"),
    ("kubernetes:helm.sh/v3:Release", {"chart": "x"}, "applies a chart's manifests"),
    ("kubernetes:helm.sh/v4:Chart", {"chart": "x"}, "applies a chart's manifests"),
    ("aws:eks/podIdentityAssociation:PodIdentityAssociation", {"roleArn": OUR_ROLE}, "hands role"),
    (
        "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment",
        {"customerManagedPolicyReference": {"name": "Admin"}},
        "customerManagedPolicyReference {'name': 'Admin'} attaches, by name",
    ),
    ("aws:ram/principalAssociation:PrincipalAssociation", {"principal": "999999999999"}, "shares access with"),
    ("aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission", {"accountId": "9"}, "shares access"),
    ("aws:organizations/delegatedAdministrator:DelegatedAdministrator", {"accountId": "9"}, "delegated service"),
]


@pytest.mark.parametrize(("type_", "props", "expected"), UNVERIFIABLE, ids=[case[0] for case in UNVERIFIABLE])
def test_resources_the_pack_cannot_see_into_are_rejected_as_unverifiable(type_, props, expected):
    (violation,) = findings(type_, props)["iam-unverifiable-resources"]
    assert violation.level == "mandatory" and expected in violation.message


def test_a_user_with_no_groups_is_not_a_membership():
    assert mandatory("aws-native:iam:User", {"userName": "x"}) == []


# --- 11. False rejects and messages ----------------------------------------------------------------------------


def test_inline_policies_of_one_empty_object_remove_out_of_band_policies_and_pass():
    props = {"assumeRolePolicy": trust({"AWS": USER_ARN}), "inlinePolicies": [{}]}
    assert findings(ROLE, props) == {}


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (POLICY, {}),
        (POLICY, {"policy": document({"Action": "s3:GetObject"})}),
        (ROLE, {"assumeRolePolicy": document({"Effect": "Allow"})}),
        (ROLE, {"inlinePolicies": [{"name": "n"}, 3], "managedPolicyArns": [None]}),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r"}),
        ("aws:kms/grant:Grant", {}),
        ("aws:lambda/permission:Permission", {"function": "f"}),
        ("aws:s3/bucketV2:BucketV2", {"grants": [{"permissions": None}, None]}),
        ("aws:kms/grant:Grant", {"operations": [None]}),
    ],
)
def test_no_message_says_none_and_each_names_its_field(type_, props):
    messages = mandatory(type_, props)
    assert messages and not any("None" in message for message in messages)


def test_a_repeated_key_is_rejected_as_aws_and_the_pack_could_read_different_values():
    policy = (
        '{"Statement": [{"Effect": "Allow", "Action": "iam:CreateUser", "Action": "s3:ListBucket", "Resource": "*"}]}'
    )
    (message,) = mandatory(POLICY, {"policy": policy})
    assert "repeats the key 'Action'" in message


@pytest.mark.parametrize(
    "arn", ["ARN:AWS:IAM::AWS:POLICY/AdministratorAccess", "arn:aws:iam::aws:policy", "policy/Admin", "*"]
)
def test_a_policy_arn_the_pack_cannot_read_is_rejected(arn):
    (message,) = mandatory(ATTACH, {"policyArn": arn, "user": "u"})
    assert "neither an AWS managed nor a customer managed policy ARN" in message


def test_a_customer_policy_arn_is_left_to_the_stack_rule():
    assert mandatory(ATTACH, {"policyArn": "arn:aws:iam::111111111111:policy/x/Mine", "user": "u"}) == []


ACL_CASES = [
    ("aws:s3/bucketAclV2:BucketAclV2", {"bucket": "b", "acl": "private"}, {"bucket": "b", "acl": "public-read-write"}),
    (
        "aws:s3/bucketAclV2:BucketAclV2",
        {"accessControlPolicy": {"grants": [{"permission": "READ", "grantee": {"type": "Group"}}]}},
        {"accessControlPolicy": {"grants": [{"permission": "FULL_CONTROL", "grantee": {"id": "x"}}]}},
    ),
    ("aws:s3/bucketV2:BucketV2", {"grants": [{"permissions": ["READ"]}]}, {"grants": [{"permissions": ["WRITE"]}]}),
]


@pytest.mark.parametrize(("type_", "passing", "rejected"), ACL_CASES)
def test_s3_acls_give_no_one_more_than_read(type_, passing, rejected):
    assert mandatory(type_, passing) == []
    assert mandatory(type_, rejected)


def test_a_declared_policy_whose_document_is_unknown_in_preview_is_left_for_up():
    policy = resource(POLICY, {"name": "assume", "policy": UNKNOWN}, "assume")
    attachment = resource(ATTACH, {"policyArn": UNKNOWN, "user": "u"}, "a", depends={"policyArn": [policy.urn]})
    (note,) = analyze_stack([policy, attachment])
    assert note.level == "advisory" and "the document of policy assume of this stack is not known until" in note.message


# --- 10. Sensitive reads in attached AWS managed policies -----------------------------------------------------

S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_an_attached_managed_policy_with_sensitive_reads_is_flagged():
    assert mandatory(ATTACH, {"policyArn": S3_READ_ONLY, "user": "u"}) == []  # read-only, so it passes
    (finding,) = findings(ATTACH, {"policyArn": S3_READ_ONLY, "user": "u"})["iam-no-sensitive-reads"]
    assert finding.level == "advisory" and "s3:GetObject" in finding.message
    clean = "arn:aws:iam::aws:policy/AWSAccountActivityAccess"
    assert findings(ATTACH, {"policyArn": clean, "user": "u"}) == {}


def test_made_mandatory_the_sensitive_rule_blocks_amazon_s3_read_only_access_unless_allowed():
    reads = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3-object-lambda:GetObject"]
    strict = {"iam-no-sensitive-reads": {"enforcementLevel": "mandatory"}}
    (message,) = mandatory(ATTACH, {"policyArn": S3_READ_ONLY, "user": "u"}, strict)
    assert message.startswith("policyArn attaches the AWS managed policy")
    allowed = {"iam-no-sensitive-reads": {"enforcementLevel": "mandatory", "allowedActions": reads}}
    assert mandatory(ATTACH, {"policyArn": S3_READ_ONLY, "user": "u"}, allowed) == []


def test_grant_and_acl_checks_are_pure():
    assert list(check_operations("aws:kms/grant:Grant", {"operations": ["DescribeKey", "GetPublicKey"]})) == []
    (message,) = check_operations("aws:kms/grant:Grant", {"operations": ["Decrypt"], "granteePrincipal": "x"})
    assert message.startswith("operations grants 'Decrypt' to 'x' (kms:Decrypt is Write)")
    assert list(check_acl({"acl": "private"})) == []
    assert [type(f) for f in check_acl({"grants": UNKNOWN_MARKER})] == [Unknown]
