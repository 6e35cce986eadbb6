"""The pack reads CloudFormation templates (its policies in-process): our template passes, smuggled grants do not."""

from __future__ import annotations

import json

import pytest

from components.organization_template import role_template, template_body
from components.permission_sets import PermissionSet, select_actions
from components.policy_documents import read_only_documents
from policy_pack.rules import resource_types as types
from policy_pack.rules.cloudformation import template_iam
from policy_pack.rules.organization_grant import organization_grant_problem
from tests.policy_helpers import StackResource, analyze_stack, findings, mandatory, resource

STACK_SET = types.CLOUDFORMATION_STACK_SET
STACK = types.CLOUDFORMATION_STACK
USER = "arn:aws:iam::111111111111:user/Axonius-Readonly"
PARAMETERS = {"UserArn": USER, "UserUniqueId": "AIDAEXAMPLE1234567890", "ExternalId": "ORG-WIDE-ID"}


@pytest.fixture(scope="module")
def template(catalog) -> dict:
    documents = read_only_documents(select_actions((PermissionSet.ADAPTER,), (), (), catalog))
    return role_template("Axonius-Readonly-Role", 14400, documents, with_external_id=True)


def stack_set(template: dict, parameters: dict | None = None) -> dict:
    return {"templateBody": json.dumps(template), "parameters": PARAMETERS if parameters is None else parameters}


def with_resource(template: dict, logical_id: str, resource: dict) -> dict:
    return {**template, "Resources": {**template["Resources"], logical_id: resource}}


def managed_policy(document: dict) -> dict:
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}}


def test_our_template_passes_every_policy(template):
    assert len(template_body(template)) < 51200
    found = findings(STACK_SET, stack_set(template))
    # The adapter keeps apigateway:GET (README), which the project's policy-config.json allows by name.
    assert set(found) == {"iam-no-sensitive-reads"}
    assert all("apigateway:GET" in violation.message for violation in found["iam-no-sensitive-reads"])


def test_a_write_smuggled_into_the_template_is_rejected(template):
    smuggled = with_resource(
        template,
        "Extra",
        managed_policy(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
        ),
    )
    (message,) = mandatory(STACK_SET, stack_set(smuggled))
    assert "template resource Extra (AWS::IAM::ManagedPolicy) PolicyDocument" in message
    assert "s3:PutObject (Write)" in message


def test_a_write_behind_a_parameter_is_resolved_and_rejected(template):
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": {"Fn::Sub": "iam:${Verb}User"}, "Resource": "*"}],
    }
    hidden = with_resource(template, "Hidden", managed_policy(document))
    hidden["Parameters"] = {**hidden["Parameters"], "Verb": {"Type": "String", "Default": "Get"}}
    assert mandatory(STACK_SET, stack_set(hidden)) == []  # iam:GetUser is Read
    messages = mandatory(STACK_SET, stack_set(hidden, {**PARAMETERS, "Verb": "Create"}))
    assert len(messages) == 1 and "iam:CreateUser (Write)" in messages[0]


def test_inline_role_policies_in_yaml_with_short_form_tags_are_checked():
    body = """
Parameters:
  Service: {Type: String}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::111111111111:user/Axonius-Readonly"}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: !Join [":", [!Ref Service, "DeleteBucket"]]
                Resource: "*"
"""
    messages = mandatory(STACK, {"templateBody": body, "parameters": {"Service": "s3"}})
    assert len(messages) == 1 and "Policies[0]" in messages[0] and "s3:DeleteBucket (Write)" in messages[0]


def test_an_unresolvable_principal_is_rejected(template):
    role = template["Resources"]["InventoryRole"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": {"Fn::ImportValue": "SomeoneElse"}}, "Action": "sts:AssumeRole"}
        ],
    }
    changed = with_resource(
        template, "InventoryRole", {**role, "Properties": {**role["Properties"], "AssumeRolePolicyDocument": trust}}
    )
    messages = mandatory(STACK_SET, stack_set(changed))
    assert any("Principal" in m and "cannot be resolved from the parameters" in m for m in messages), messages


def test_an_account_wide_principal_from_a_parameter_is_rejected(template):
    messages = mandatory(STACK_SET, stack_set(template, {**PARAMETERS, "UserArn": "*"}))
    assert any("trusts '*'" in m for m in messages), messages


def test_a_missing_parameter_leaves_the_principal_unresolved(template):
    messages = mandatory(STACK_SET, stack_set(template, {"UserUniqueId": "AIDA1", "ExternalId": "x1"}))
    assert any("{{unresolved:UserArn}}" in m for m in messages), messages


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"Type": "AWS::Lambda::Function", "Properties": {}}, "Foreign (AWS::Lambda::Function): this pack checks only"),
        ({"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": "x"}}, "Foreign (AWS::IAM::AccessKey): this pack"),
        (
            {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Statement": []},
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                },
            },
            "'AdministratorAccess' grants more than List/Read",
        ),
        (
            {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Statement": []},
                    "ManagedPolicyArns": ["arn:aws:iam::222222222222:policy/Theirs"],
                },
            },
            "neither an AWS managed policy nor declared in this template",
        ),
    ],
)
def test_foreign_resources_and_unverifiable_attachments_are_rejected(template, resource, expected):
    messages = mandatory(STACK_SET, stack_set(with_resource(template, "Foreign", resource)))
    assert any(expected in m for m in messages), messages


def test_a_template_url_cannot_be_seen():
    (message,) = mandatory(STACK_SET, {"templateUrl": "https://s3.amazonaws.com/b/t.yaml"})
    assert "points at a template the pack cannot read; pass the template as templateBody" in message


def test_a_longer_session_than_the_bound_is_rejected(template):
    role = template["Resources"]["InventoryRole"]
    longer = with_resource(
        template, "InventoryRole", {**role, "Properties": {**role["Properties"], "MaxSessionDuration": "43200"}}
    )
    messages = mandatory(STACK_SET, stack_set(longer))
    assert any("maxSessionDuration is 43200 seconds; at most 14400" in m for m in messages), messages


def test_instance_overrides_are_checked_with_the_stack_sets_template(template):
    hidden = with_resource(
        template,
        "Hidden",
        managed_policy(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": {"Fn::Sub": "iam:${Verb}User"}, "Resource": "*"}],
            }
        ),
    )
    hidden["Parameters"] = {**hidden["Parameters"], "Verb": {"Type": "String", "Default": "Get"}}
    resources = [
        (STACK_SET, {"name": "ss", **stack_set(hidden)}),
        (types.STACK_SET_INSTANCE, {"stackSetName": "ss", "parameterOverrides": {"Verb": "Delete"}}),
        (types.STACK_SET_INSTANCE, {"stackSetName": "other", "parameterOverrides": {"Verb": "Get"}}),
    ]
    messages = [
        v.message
        for v in analyze_stack([resource(t, p, f"r{n}") for n, (t, p) in enumerate(resources)])
        if v.policy == "cloudformation-stack-set-overrides"
    ]
    assert any("with its parameter overrides" in m and "iam:DeleteUser (Write)" in m for m in messages), messages
    assert any("StackSet 'other', which this stack does not declare" in m for m in messages), messages


ORG_GRANT = {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Resource": "arn:aws:iam::*:role/Axonius-Readonly-Role",
    "Condition": {
        "StringEquals": {"aws:ResourceOrgID": "o-exampleorg1"},
        "ForAnyValue:StringLike": {"aws:ResourceOrgPaths": ["o-exampleorg1/*/ou-ab12-11111111/*"]},
    },
}


def policy(*statements: dict) -> dict:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def test_the_org_scoped_grant_passes():
    assert findings(types.IAM_POLICY, policy(ORG_GRANT)) == {}
    only_the_organization = {"StringEquals": {"aws:ResourceOrgID": "o-exampleorg1"}}
    assert findings(types.IAM_POLICY, policy({**ORG_GRANT, "Condition": only_the_organization})) == {}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Resource": "arn:aws:iam::*:role/*"}, "exact path and name"),
        ({"Resource": "arn:aws:iam::*:role/Axonius-*"}, "exact path and name"),
        ({"Resource": ["arn:aws:iam::*:role/A", "arn:aws:iam::*:role/B"]}, "exact path and name"),
        ({"Condition": {"StringEqualsIfExists": {"aws:ResourceOrgID": "o-exampleorg1"}}}, "no ...IfExists"),
        ({"Condition": {"StringLike": {"aws:ResourceOrgID": "o-*"}}}, "no ...IfExists, no other operator"),
        ({"Condition": {"StringEquals": {"aws:ResourceOrgID": "o-*"}}}, "exactly one organization ID"),
        ({"Condition": {"StringEquals": {"aws:ResourceOrgID": ["o-exampleorg1", "o-exampleorg2"]}}}, "exactly one"),
        ({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorg1"}}}, "exactly one organization ID"),
        ({"Condition": {}}, "exactly one organization ID"),
        (
            {
                "Condition": {
                    "StringEquals": {"aws:ResourceOrgID": "o-exampleorg1"},
                    "ForAnyValue:StringLike": {"aws:ResourceOrgPaths": ["*"]},
                }
            },
            "paths that start with o-exampleorg1/",
        ),
    ],
)
def test_other_wildcard_account_forms_are_rejected(change, reason):
    statement = {**ORG_GRANT, **change}
    assert organization_grant_problem(statement) is not None
    (message,) = mandatory(types.IAM_POLICY, policy(statement))
    assert reason in message and "sts:AssumeRole" in message


def test_configured_role_names_limit_the_org_grant():
    assert organization_grant_problem(ORG_GRANT, {"Axonius-Readonly-Role"}) is None
    assert "not one of the assumable role names" in organization_grant_problem(ORG_GRANT, {"Other"})


def test_template_reading_never_raises_on_odd_input():
    for body in (
        "",
        "[1]",
        "{",
        "Resources: 3",
        "Resources: {A: 1}",
        "!Ref",
        json.dumps(
            {
                "Resources": {
                    "A": {
                        "Type": "AWS::IAM::Role",
                        "Properties": {"AssumeRolePolicyDocument": 5, "ManagedPolicyArns": [{"Ref": "Nope"}]},
                    }
                }
            }
        ),
    ):
        assert template_iam(body).problems


# --- Round three: memberships, transforms anywhere, indirect parameters, instances matched by place --------------

READ_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"}],
}
ACTION_FROM_VERB = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": {"Ref": "Verb"}, "Resource": "*"}],
}


def problems(resources: dict, **top) -> list[str]:
    return template_iam(json.dumps({**top, "Resources": resources})).problems


def test_a_user_joins_only_groups_of_the_same_template():
    group = {
        "Type": "AWS::IAM::Group",
        "Properties": {"Policies": [{"PolicyName": "ro", "PolicyDocument": READ_DOCUMENT}]},
    }
    joins = {"Type": "AWS::IAM::User", "Properties": {"Groups": [{"Ref": "G"}]}}
    assert problems({"G": group, "U": joins}) == []
    (message,) = problems({"U": {"Type": "AWS::IAM::User", "Properties": {"Groups": ["Administrators"]}}})
    assert "puts a user in group 'Administrators', which is not a group of this template" in message
    addition = {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": "Administrators", "Users": ["u"]}}
    (message,) = problems({"A": addition})
    assert "GroupName: puts a user in group 'Administrators'" in message
    assert problems({"G": group, "A": {**addition, "Properties": {"GroupName": {"Ref": "G"}, "Users": ["u"]}}}) == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (json.dumps({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}), "template.Transform"),
        (json.dumps({"Transform": ["AWS::LanguageExtensions"], "Resources": {}}), "template.Transform"),
        (
            json.dumps(
                {
                    "Resources": {
                        "P": managed_policy({**READ_DOCUMENT, "Fn::Transform": {"Name": "AWS::Include"}}),
                    }
                }
            ),
            "template.Resources.P.Properties.PolicyDocument.Fn::Transform",
        ),
        (
            "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n"
            "        Statement: !Transform {Name: AWS::Include}\n",
            "template.Resources.P.Properties.PolicyDocument.Statement.Fn::Transform",
        ),
    ],
)
def test_a_transform_anywhere_long_or_short_form_is_unresolvable(body, where):
    found = template_iam(body).problems
    assert any(f"uses a transform ({where}:" in message for message in found), found


def test_ssm_parameters_and_dynamic_references_are_unknown_values_not_their_defaults():
    policy = {"P": managed_policy(ACTION_FROM_VERB)}
    ssm = {"Verb": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "ec2:DescribeVpcs"}}
    (message,) = problems(policy, Parameters=ssm)
    assert "Action '{{unresolved:Verb}}' cannot be resolved" in message
    assert template_iam(json.dumps({"Parameters": ssm, "Resources": policy}), parameters={"Verb": "ec2:X"}).problems
    assert problems(policy, Parameters={"Verb": {"Type": "String", "Default": "ec2:DescribeVpcs"}}) == []
    dynamic = {
        "P": managed_policy(
            {**READ_DOCUMENT, "Statement": [{**READ_DOCUMENT["Statement"][0], "Action": "{{resolve:ssm:v}}"}]}
        )
    }
    (message,) = problems(dynamic)
    assert "{{resolve:ssm:v}}" in message and "cannot be resolved" in message


def read_stack_set(name: str = "ro", **extra) -> StackResource:
    body = json.dumps(
        {
            "Parameters": {"Verb": {"Type": "String", "Default": "ec2:DescribeVpcs"}},
            "Resources": {"P": managed_policy(ACTION_FROM_VERB)},
        }
    )
    return resource(STACK_SET, {"name": name, "templateBody": body, **extra}, "ss")


def overrides_verdicts(instance_type: str, verb: str) -> list:
    instance = resource(instance_type, {"stackSetName": "ro", "parameterOverrides": {"Verb": verb}}, "instance")
    return [v for v in analyze_stack([read_stack_set(), instance]) if v.policy == "cloudformation-stack-set-overrides"]


@pytest.mark.parametrize("instance_type", sorted(types.STACK_INSTANCE_TYPES))
def test_stack_instances_overrides_are_checked_like_stack_set_instances(instance_type):
    assert overrides_verdicts(instance_type, "ec2:DescribeSubnets") == []
    (violation,) = overrides_verdicts(instance_type, "iam:CreateUser")
    assert "with its parameter overrides" in violation.message and "iam:CreateUser" in violation.message


def test_instances_are_matched_to_stack_sets_by_place_not_by_name():
    elsewhere = resource(types.STACK_SET_INSTANCE, {"stackSetName": "ro", "region": "eu-west-1"}, "instance")
    (violation,) = analyze_stack([read_stack_set(), elsewhere])
    assert "does not declare through the same provider and region" in violation.message
    here = resource(types.STACK_SET_INSTANCE, {"stackSetName": "ro"}, "instance")
    assert analyze_stack([read_stack_set(), here]) == []
    undeclared = resource(types.STACK_SET_INSTANCE, {"stackSetName": "AWSControlTowerBP-BASELINE-ROLES"}, "instance")
    (violation,) = analyze_stack([undeclared])
    assert "deploys StackSet 'AWSControlTowerBP-BASELINE-ROLES', which this stack does not declare" in violation.message


@pytest.mark.parametrize(
    "body",
    [
        '{"Resources": {}, "Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy"}}}',
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Type: AWS::IAM::Role\n",
    ],
)
def test_a_template_that_repeats_a_key_is_refused(body):
    (message,) = template_iam(body).problems
    assert "repeat" in message
