"""Organization mode on the mock engine, Organizations answered from files: what the StackSet reaches and how."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest

import automation.__main__ as cli
from automation.mock_engine import AwsMocks
from automation.organization_file import OrganizationFileError, parse_organization
from tests.conftest import PROJECT_DIR, of_type

EXAMPLE = json.loads((PROJECT_DIR / "stacks" / "organization.org.json").read_text())
STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
PROVIDER = "pulumi:providers:aws"
WORKLOADS, PRODUCTION, SANDBOX = "ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-33333333"
ORGANIZATION = {"organizationalUnits": [WORKLOADS], "adminAccount": "999999999999"}


def mocks(tree: dict | None = None) -> AwsMocks:
    return AwsMocks(organization=parse_organization(tree or EXAMPLE))


def role_file(run) -> list[dict]:
    return json.loads(run.outputs["roleArnFileJson"].value)


def role_accounts(run) -> list[str]:
    return [arn.split(":")[4] for arn in run.outputs["roleArns"].value]


def test_nested_ous_are_reached_suspended_accounts_are_not(run_stack):
    run = run_stack({"organization": ORGANIZATION}, mocks=mocks())
    # 222222222222 sits in Production, a child of Workloads; 444444444444 there is SUSPENDED.
    assert role_accounts(run) == ["222222222222", "333333333333"]
    (stack_set,) = of_type(run, STACK_SET)
    assert stack_set.inputs["permissionModel"] == "SERVICE_MANAGED"
    assert stack_set.inputs["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": False}
    assert stack_set.inputs["callAs"] == "SELF"  # the admin account is the management account
    assert stack_set.inputs["capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert set(stack_set.inputs["parameters"]) == {"UserArn", "UserUniqueId"}
    (instance,) = of_type(run, INSTANCE)
    assert instance.inputs["deploymentTargets"] == {"organizationalUnitIds": [WORKLOADS]}
    assert instance.inputs["stackSetInstanceRegion"] == "us-east-1" and instance.inputs["retainStack"] is False
    # One provider, for the admin account; no role or provider per member account.
    (provider,) = of_type(run, PROVIDER)
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["999999999999"]
    assert not of_type(run, "aws:iam/role:Role")


def test_several_ous_excluded_accounts_and_regions(run_stack):
    organization = {
        **ORGANIZATION,
        "organizationalUnits": [WORKLOADS, SANDBOX],
        "excludeAccounts": ["666666666666"],
        "regions": ["us-east-1", "eu-west-1"],
        "maxConcurrentPercentage": 25,
        "failureTolerancePercentage": 10,
    }
    run = run_stack({"organization": organization}, mocks=mocks())
    assert role_accounts(run) == ["222222222222", "333333333333", "555555555555"]
    instances = {
        (i.inputs["deploymentTargets"]["organizationalUnitIds"][0], i.inputs["stackSetInstanceRegion"]): i
        for i in of_type(run, INSTANCE)
    }
    assert set(instances) == {(ou, region) for ou in (WORKLOADS, SANDBOX) for region in ("us-east-1", "eu-west-1")}
    targets = instances[(SANDBOX, "eu-west-1")].inputs["deploymentTargets"]
    assert targets["accounts"] == ["666666666666"] and targets["accountFilterType"] == "DIFFERENCE"
    (stack_set,) = of_type(run, STACK_SET)
    assert stack_set.inputs["operationPreferences"]["maxConcurrentPercentage"] == 25
    assert stack_set.inputs["operationPreferences"]["failureTolerancePercentage"] == 10


def test_an_account_with_its_own_external_id_gets_an_override_instance(run_stack):
    organization = {**ORGANIZATION, "externalId": "ORG-WIDE-ID"}
    roles = {"accounts": [{"id": "222222222222", "externalId": "OWN-ID"}]}
    run = run_stack({"organization": organization, "roles": roles}, mocks=mocks())
    by_filter = {i.inputs["deploymentTargets"].get("accountFilterType"): i for i in of_type(run, INSTANCE)}
    assert by_filter["DIFFERENCE"].inputs["deploymentTargets"]["accounts"] == ["222222222222"]
    override = by_filter["INTERSECTION"]
    assert override.inputs["deploymentTargets"] == {
        "organizationalUnitIds": [WORKLOADS],
        "accounts": ["222222222222"],
        "accountFilterType": "INTERSECTION",
    }
    assert override.wire_inputs.fields["parameterOverrides"]  # secret on the wire
    assert run.outputs["roleArnFileJson"].secret
    assert role_file(run) == [
        {"arn": "arn:aws:iam::222222222222:role/Axonius-Readonly-Role", "external_id": "OWN-ID"},
        {"arn": "arn:aws:iam::333333333333:role/Axonius-Readonly-Role", "external_id": "ORG-WIDE-ID"},
    ]
    # The account is reached through the StackSet: no provider or role of its own.
    assert not of_type(run, "aws:iam/role:Role")
    summary = run.outputs["organization"]
    assert summary.secret and summary.value["organizationId"] == "o-exampleorg1"
    assert summary.value["roleName"] == "Axonius-Readonly-Role" and summary.value["externalId"] == "ORG-WIDE-ID"


def test_an_own_external_id_needs_an_organization_one(run_stack):
    roles = {"accounts": [{"id": "222222222222", "externalId": "OWN-ID"}]}
    with pytest.raises(pulumi.RunError, match=r"roles.accounts\[0\].externalId: account 222222222222 is reached"):
        run_stack({"organization": ORGANIZATION, "roles": roles}, mocks=mocks())


def test_the_management_account_stays_explicit_and_a_delegated_admin_calls_as_one(run_stack):
    organization = {"organizationalUnits": ["r-ab12"], "adminAccount": "333333333333"}
    run = run_stack({"organization": organization, "roles": {"accounts": [{"id": "999999999999"}]}}, mocks=mocks())
    (stack_set,) = of_type(run, STACK_SET)
    assert stack_set.inputs["callAs"] == "DELEGATED_ADMIN"
    (role,) = of_type(run, "aws:iam/role:Role")
    assert "999999999999" in role.provider
    assert "999999999999" in role_accounts(run) and "444444444444" not in role_accounts(run)
    assert sorted(json.loads(p.inputs["allowedAccountIds"])[0] for p in of_type(run, PROVIDER)) == [
        "333333333333",
        "999999999999",
    ]


def test_the_user_gets_one_statement_for_the_organization(run_stack):
    run = run_stack({"organization": {**ORGANIZATION, "organizationalUnits": [WORKLOADS, "r-ab12"]}}, mocks=mocks())
    documents = [json.loads(p.inputs["policy"]) for p in of_type(run, "aws:iam/policy:Policy")]
    (grant,) = [s for d in documents for s in d["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert grant["Resource"] == "arn:aws:iam::*:role/Axonius-Readonly-Role"
    assert grant["Condition"]["StringEquals"] == {"aws:ResourceOrgID": "o-exampleorg1"}
    assert grant["Condition"]["ForAnyValue:StringLike"]["aws:ResourceOrgPaths"] == [
        "o-exampleorg1/*/ou-ab12-11111111/*",
        "o-exampleorg1/r-ab12/*",
    ]


def test_the_template_holds_the_read_only_documents_the_user_has(run_stack):
    run = run_stack({"organization": {**ORGANIZATION, "externalId": "ORG-WIDE-ID"}}, mocks=mocks())
    (stack_set,) = of_type(run, STACK_SET)
    template = json.loads(stack_set.inputs["templateBody"])
    in_template = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
    ]
    user_documents = [
        json.loads(p.inputs["policy"]) for p in of_type(run, "aws:iam/policy:Policy") if "ReadOnly" in p.inputs["name"]
    ]
    assert in_template == user_documents
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True


def test_an_unknown_ou_stops_the_run_naming_it(run_stack):
    organization = {**ORGANIZATION, "organizationalUnits": [WORKLOADS, "ou-ab12-99999999"]}
    with pytest.raises(pulumi.RunError, match=r"organization.organizationalUnits\[1\]: 'ou-ab12-99999999' could not"):
        run_stack({"organization": organization}, mocks=mocks())


def test_the_organization_file_is_checked():
    broken = copy.deepcopy(EXAMPLE)
    broken["units"][1]["parentId"] = "ou-ab12-00000000"
    broken["accounts"][0]["status"] = "GONE"
    with pytest.raises(OrganizationFileError) as caught:
        parse_organization(broken)
    assert "unit ou-ab12-22222222 has parent 'ou-ab12-00000000'" in str(caught.value)
    assert "accounts[0].status: 'GONE' is not accepted" in str(caught.value)
    cyclic = copy.deepcopy(EXAMPLE)
    cyclic["units"][0]["parentId"] = "ou-ab12-22222222"
    with pytest.raises(OrganizationFileError, match="is its own ancestor"):
        parse_organization(cyclic)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["plan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_example_org_stack_plans_with_no_findings(capsys):
    code, out, _ = run_cli(capsys, "--stack", "org", "--organization", "stacks/organization.org.json")
    assert code == 0, out
    assert "Policy pack: 0 finding(s), 0 mandatory" in out
    assert "Provider processes a real run starts: 2" in out


def test_an_org_stack_without_the_file_is_a_usage_error_saying_how_to_make_it(capsys):
    code, _, err = run_cli(capsys, "--stack", "org")
    assert code == 2
    assert "pass --organization FILE" in err and "aws organizations describe-organization" in err


def test_an_unknown_ou_exits_2_naming_it(capsys, tmp_path):
    tree = copy.deepcopy(EXAMPLE)
    tree["units"] = [u for u in tree["units"] if u["id"] != "ou-ab12-33333333"]
    tree["accounts"] = [a for a in tree["accounts"] if a["parentId"] != "ou-ab12-33333333"]
    path = tmp_path / "org.json"
    path.write_text(json.dumps(tree))
    code, _, err = run_cli(capsys, "--stack", "org", "--organization", str(path))
    assert code == 2 and "organization.organizationalUnits[1]: 'ou-ab12-33333333'" in err


def test_explicit_mode_counts_provider_processes_and_warns_above_the_documented_number(capsys, tmp_path):
    stack = tmp_path / "Pulumi.many.yaml"
    accounts = "".join(f'      - id: "{100000000000 + n}"\n' for n in range(21))
    stack.write_text(f"config:\n  aws:region: us-east-1\n  axonius-aws-access:roles:\n    accounts:\n{accounts}")
    code, out, _ = run_cli(capsys, "--stack", "many", "--config-file", str(stack))
    assert code == 0
    assert "Provider processes a real run starts: 22 (the default AWS provider and 21 explicit)" in out
    assert "warning: 21 accounts reached through their own provider" in out and "organization mode" in out
    _, out, _ = run_cli(capsys, "--stack", "dev")
    assert "warning:" not in out


def test_the_plan_runs_the_pack_on_the_stack_sets_template_and_its_overrides(capsys, tmp_path):
    longer = (PROJECT_DIR / "stacks" / "Pulumi.org.yaml").read_text()
    longer = longer.replace(
        "  axonius-aws-access:roles:\n", "  axonius-aws-access:roles:\n    maxSessionDuration: 43200\n"
    )
    stack = tmp_path / "Pulumi.org.yaml"
    stack.write_text(longer)
    code, out, _ = run_cli(
        capsys, "--stack", "org", "--config-file", str(stack), "--organization", "stacks/organization.org.json"
    )
    assert code == 1
    assert "StackSet::organization\n      template resource InventoryRole (AWS::IAM::Role): maxSessionDuration" in out
    assert "organization-222222222222-us-east-1\n      with its parameter overrides, template resource" in out
