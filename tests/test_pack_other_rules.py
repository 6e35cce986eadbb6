"""Trust, attachments and the customer-policy stack policy, in-process (Kubernetes and EKS: test_pack_kubernetes)."""

from __future__ import annotations

import json

import pytest

from policy_pack.generate_role_hand_offs import generated
from policy_pack.rules import resource_types as types
from policy_pack.rules.declared import CREDENTIAL_FIELDS, MEMBERSHIP_FIELDS
from policy_pack.rules.kms_default import own_accounts, without_default_statement
from policy_pack.rules.role_hand_offs import TABLE_PATH, role_hand_off_fields
from policy_pack.rules.shares import SHARE_CHECKS
from tests.conftest import PROJECT_DIR
from tests.policy_helpers import (
    UNKNOWN,
    StackResource,
    allow,
    analyze_stack,
    document,
    findings,
    mandatory,
    resource,
    trust,
)

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


# --- Round three: shares, delegations, hand-offs, declared identities by place ----------------------------------

SHARES = "iam-resource-policies-read-only"
HAND_OFFS = "iam-role-hand-offs"
DECLARED = "iam-declared-identities"
EXISTING_ROLE = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
OTHER_PROVIDER = "urn:pulumi:t::p::pulumi:providers:aws::other"


@pytest.mark.parametrize(
    "type_", sorted(types.SHARED_WITH_OTHERS | types.DELEGATED_ADMIN_TYPES | types.IDENTITY_HAND_OFF_TYPES)
)
def test_shares_delegations_and_identity_hand_offs_are_rejected_with_why(type_):
    (violation,) = findings(type_, {"principal": "999999999999", "adminAccountId": "999999999999"})[SHARES]
    assert violation.level == "mandatory" and type_ in violation.message and "remove it" in violation.message


@pytest.mark.parametrize(
    ("type_", "field", "shared"),
    [
        ("aws:rds/snapshot:Snapshot", "sharedAccounts", ["999999999999"]),
        ("aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy", "sharedAccounts", ["all"]),
        ("aws:ec2/ami:Ami", "public", True),
        ("aws:ssm/document:Document", "permissions", {"type": "Share", "accountIds": "All"}),
        ("aws:ec2/vpcEndpointService:VpcEndpointService", "allowedPrincipals", ["*"]),
    ],
)
def test_sharing_flags_reject_only_when_they_share(type_, field, shared):
    assert mandatory(type_, {"name": "x"}) == [] and mandatory(type_, {field: False if shared is True else []}) == []
    (message,) = mandatory(type_, {field: shared})
    assert message.startswith(f"{field} ") and "leave" in message


def test_lake_formation_grants_only_describe():
    base = {"principal": USER_ARN, "database": {"name": "db"}}
    assert mandatory(types.LAKE_FORMATION_PERMISSIONS, {**base, "permissions": ["DESCRIBE"]}) == []
    (message,) = mandatory(types.LAKE_FORMATION_PERMISSIONS, {**base, "permissions": ["SELECT"]})
    assert "permissions grants 'SELECT'" in message and "only DESCRIBE" in message
    assert mandatory(types.LAKE_FORMATION_PERMISSIONS, {**base, "permissionsWithGrantOptions": ["ALL"]})


def test_every_share_check_type_is_one_the_policy_reads():
    assert frozenset(SHARE_CHECKS) <= frozenset(t for t in types.all_types())


@pytest.mark.parametrize("type_", sorted(types.SERVICE_RESOURCE_POLICY_FIELDS))
def test_resource_policies_of_every_service_are_read_only(type_):
    field = types.RESOURCE_POLICY_FIELDS[type_]
    reads = document(allow("ec2:DescribeVpcs", Principal={"AWS": "*"}))
    writes = document(allow("ec2:RunInstances", Principal={"AWS": "*"}))
    assert mandatory(type_, {field: reads}) == []
    (message,) = mandatory(type_, {field: writes})
    assert message.startswith(f"{field}: statement #0 grants 1 action(s) beyond List/Read")


KMS_DEFAULT = document(
    {
        "Sid": "Default",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)


def test_the_explicit_default_key_policy_passes_for_the_keys_own_account():
    accounts = own_accounts({}, {"allowedAccountIds": '["111111111111"]'}, ())
    assert accounts == {"111111111111"}
    assert own_accounts({"arn": "arn:aws:kms:us-east-1:222222222222:key/1"}, {}, [USER_ARN]) == {
        "222222222222",
        "111111111111",
    }
    assert own_accounts({}, {"assumeRoles": '[{"roleArn": "arn:aws:iam::333333333333:role/d"}]'}, ()) == {
        "333333333333"
    }
    remaining, problems = without_default_statement(KMS_DEFAULT, accounts)
    assert problems == [] and json.loads(remaining)["Statement"] == []


def test_the_default_key_statement_for_an_account_the_pack_cannot_place_is_rejected():
    _, problems = without_default_statement(KMS_DEFAULT, {"222222222222"})
    (message,) = problems
    assert "default key statement for account 111111111111" in message and "allowedAccountIds" in message
    assert mandatory("aws:kms/key:Key", {"policy": KMS_DEFAULT})  # no provider, no ARN: which account is unknown
    assert mandatory("aws:kms/key:Key", {"description": "no policy: AWS writes the default"}) == []


def test_arn_like_with_an_exact_arn_narrows_like_arn_equals():
    condition = {"ArnLike": {"aws:PrincipalArn": USER_ARN}}
    assert mandatory(ROLE, role(trust({"AWS": "arn:aws:iam::111111111111:root"}, Condition=condition))) == []
    wildcard = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/*"}}
    assert mandatory(ROLE, role(trust({"AWS": "arn:aws:iam::111111111111:root"}, Condition=wildcard)))


USER = resource(types.IAM_USER, {"name": "Axonius-Readonly"}, "user")


@pytest.mark.parametrize(
    ("type_", "field"),
    [
        ("aws:iam/accessKey:AccessKey", "user"),
        ("aws:iam/userLoginProfile:UserLoginProfile", "user"),
        ("aws:iam/serviceSpecificCredential:ServiceSpecificCredential", "userName"),
        ("aws:iam/signingCertificate:SigningCertificate", "userName"),
        ("aws:iam/sshKey:SshKey", "username"),
    ],
)
def test_credentials_read_the_sdks_own_field_names(type_, field):
    assert analyze_stack([USER, resource(type_, {field: "Axonius-Readonly"}, "c")]) == []
    (violation,) = analyze_stack([USER, resource(type_, {field: "admin"}, "c")])
    assert violation.policy == DECLARED and f"{field} 'admin' is not declared" in violation.message


def test_a_user_of_the_same_name_through_another_provider_is_another_user():
    key = StackResource("aws:iam/accessKey:AccessKey", {"user": "Axonius-Readonly"}, "k", provider=OTHER_PROVIDER)
    (violation,) = analyze_stack([USER, key])
    assert "through the same provider" in violation.message


GROUP = resource("aws:iam/group:Group", {"name": "readers"}, "readers")


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:iam/groupMembership:GroupMembership", {"group": "readers", "users": ["u"]}),
        ("aws:iam/userGroupMembership:UserGroupMembership", {"user": "u", "groups": ["readers"]}),
        ("aws-native:iam:UserToGroupAddition", {"groupName": "readers", "users": ["u"]}),
        ("aws-native:iam:User", {"userName": "u", "groups": ["readers"]}),
    ],
)
def test_membership_passes_only_for_groups_declared_here(type_, props):
    assert analyze_stack([GROUP, resource(type_, props, "m")]) == []
    (violation,) = analyze_stack([resource(type_, props, "m")])
    assert violation.policy == DECLARED and "puts a user in group 'readers'" in violation.message


def test_a_declared_groups_own_policies_are_checked_where_they_are_declared():
    bad = resource("aws:iam/groupPolicy:GroupPolicy", {"group": "readers", "policy": document(allow("iam:CreateUser"))})
    assert mandatory(bad.type, bad.props)


READER = resource(ROLE, {"name": "reader", "assumeRolePolicy": trust({"AWS": USER_ARN})}, "reader")


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:lambda/function:Function", {"role": EXISTING_ROLE}),
        ("aws:ecs/taskDefinition:TaskDefinition", {"taskRoleArn": EXISTING_ROLE}),
        ("aws:ecs/taskDefinition:TaskDefinition", {"executionRoleArn": EXISTING_ROLE}),
        ("aws:iam/instanceProfile:InstanceProfile", {"role": "OrganizationAccountAccessRole"}),
        ("aws:ec2/instance:Instance", {"iamInstanceProfile": "Admin"}),
        ("aws:ec2/launchTemplate:LaunchTemplate", {"iamInstanceProfile": {"name": "Admin"}}),
        ("aws:batch/jobDefinition:JobDefinition", {"containerProperties": json.dumps({"jobRoleArn": EXISTING_ROLE})}),
        ("aws:glue/crawler:Crawler", {"role": EXISTING_ROLE}),
        ("aws:lambda/function:Function", {"role": UNKNOWN}),
    ],
)
def test_compute_running_as_a_role_not_declared_here_is_rejected(type_, props):
    (violation,) = analyze_stack([READER, resource(type_, props, "compute")])
    assert violation.policy == HAND_OFFS and "is not declared in this stack" in violation.message


def test_compute_running_as_a_declared_role_passes_by_name_arn_or_output():
    assert analyze_stack([READER, resource(types.INSTANCE_PROFILE, {"role": "reader"}, "p")]) == []
    with_arn = resource(ROLE, {"name": "reader", "arn": "arn:aws:iam::111111111111:role/reader"}, "reader")
    assert (
        analyze_stack([with_arn, resource("aws:lambda/function:Function", {"role": with_arn.props["arn"]}, "f")]) == []
    )
    preview = resource("aws:lambda/function:Function", {"role": UNKNOWN}, "f", depends={"role": [READER.urn]})
    assert analyze_stack([READER, preview]) == []
    elsewhere = StackResource(types.INSTANCE_PROFILE, {"role": "reader"}, "p", provider=OTHER_PROVIDER)
    assert analyze_stack([READER, elsewhere])


def test_the_role_hand_off_table_is_current_with_the_installed_sdk():
    """Regenerate with `venv/bin/python -m policy_pack.generate_role_hand_offs` when this fails."""
    assert json.loads(json.dumps(generated())) == json.loads(TABLE_PATH.read_text())
    table = role_hand_off_fields()
    assert table["aws:lambda/function:Function"] == ("role",)
    assert {"taskRoleArn", "executionRoleArn"} <= set(table["aws:ecs/taskDefinition:TaskDefinition"])
    assert "aws:iam/rolePolicyAttachment:RolePolicyAttachment" not in table


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:eks/addon:Addon", {"podIdentityAssociations": [{"roleArn": EXISTING_ROLE, "serviceAccount": "sa"}]}),
        ("aws:ec2/spotFleetRequest:SpotFleetRequest", {"launchSpecifications": [{"iamInstanceProfile": "Admin"}]}),
        ("aws:rds/cluster:Cluster", {"iamRoles": [EXISTING_ROLE]}),
        ("aws:transfer/server:Server", {"loggingRole": EXISTING_ROLE}),
    ],
)
def test_roles_nested_in_objects_lists_and_other_spellings_are_hand_offs(type_, props):
    (violation,) = analyze_stack([resource(type_, props, "compute")])
    assert violation.policy == HAND_OFFS
    assert analyze_stack([resource(type_, {}, "compute")]) == []


def test_the_declared_identity_rules_read_every_credential_and_membership_type():
    assert set(CREDENTIAL_FIELDS) >= types.USER_CREDENTIAL_TYPES
    assert types.GROUP_MEMBERSHIP_TYPES | {types.NATIVE_GROUP_MEMBERSHIP} <= set(MEMBERSHIP_FIELDS)
