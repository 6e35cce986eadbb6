"""The real program on Pulumi's mock engine: every component, every output."""

from __future__ import annotations

import json

import pulumi
import pytest

from automation.display import SECRET, presentable
from tests.conftest import of_type
from tests.scenario_mocks import ScenarioMocks

USER = "aws:iam/user:User"
POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
PROVIDER = "pulumi:providers:aws"
TWO_ACCOUNTS = {
    "roles": {
        "accounts": [{"id": "222222222222"}, {"id": "333333333333", "externalId": "MY-SECRET"}],
    }
}


def policy_documents(run, account: str | None = None) -> list[dict]:
    return [
        json.loads(r.inputs["policy"])
        for r in of_type(run, POLICY)
        if account is None or f"::{account}:" in run_state_arn(run, r)
    ]


def run_state_arn(run, resource) -> str:
    return resource.wire_outputs.fields["arn"].string_value


def test_empty_stack_deploys_the_user_and_its_read_only_policies(run_stack):
    run = run_stack({})
    (user,) = of_type(run, USER)
    assert user.inputs["name"] == "Axonius-Readonly" and user.inputs["path"] == "/"
    documents = policy_documents(run)
    assert len(documents) == 2
    actions = [a for d in documents for a in d["Statement"][0]["Action"]]
    assert "ec2:DescribeInstances" in actions and "ec2:CreateSnapshot" not in actions
    assert all(d["Statement"][0]["Resource"] == "*" for d in documents)
    attachments = of_type(run, "aws:iam/userPolicyAttachment:UserPolicyAttachment")
    assert len(attachments) == 2 and all(a.inputs["user"] == "Axonius-Readonly" for a in attachments)
    assert not of_type(run, ROLE) and not of_type(run, PROVIDER)
    outputs = run.outputs
    assert outputs["userArn"].value == "arn:aws:iam::111111111111:user/Axonius-Readonly"
    assert outputs["userName"].value == "Axonius-Readonly"
    assert outputs["roleArns"].value == [] and outputs["roleArnFile"].value == ""
    assert outputs["roleArnFileJson"].value == "[]" and not outputs["roleArnFileJson"].secret
    assert outputs["accessKeyId"].value.startswith("AKIA") and not outputs["accessKeyId"].secret
    assert outputs["secretAccessKey"].secret and len(outputs["secretAccessKey"].value) == 40
    assert len(outputs["policyArns"].value) == 2


def test_components_parent_their_children_and_use_the_project_type_tokens(run_stack):
    run = run_stack(TWO_ACCOUNTS)
    components = {r.type for r in run.resources if not r.custom}
    assert components == {
        "axonius-aws-access:index:AxoniusAccess",
        "axonius-aws-access:inventory_user:InventoryUser",
        "axonius-aws-access:inventory_role:InventoryRole",
    }
    for resource in run.resources:
        if resource.type != "axonius-aws-access:index:AxoniusAccess":
            parent_type = resource.parent.split("::")[2].split("$")[-1]
            assert parent_type.startswith("axonius-aws-access:"), resource.urn


def test_no_access_key_when_not_asked(run_stack):
    run = run_stack({"user": {"accessKey": False, "name": "inv", "path": "/axonius/"}})
    assert not of_type(run, "aws:iam/accessKey:AccessKey")
    assert "accessKeyId" not in run.outputs and "secretAccessKey" not in run.outputs
    assert run.outputs["userArn"].value == "arn:aws:iam::111111111111:user/axonius/inv"


def test_each_account_gets_a_provider_policies_and_a_role_only_the_user_may_assume(run_stack):
    run = run_stack(TWO_ACCOUNTS)
    providers = of_type(run, PROVIDER)
    assert len(providers) == 2
    for provider, account in zip(providers, ("222222222222", "333333333333"), strict=True):
        assume = json.loads(provider.inputs["assumeRoles"])
        assert assume[0]["roleArn"] == f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        assert json.loads(provider.inputs["allowedAccountIds"]) == [account]
        assert provider.inputs["region"] == "us-east-1"
    roles = of_type(run, ROLE)
    assert [r.inputs["maxSessionDuration"] for r in roles] == [14400, 14400]
    user_arn = run.outputs["userArn"].value
    trust = [json.loads(presentable(r.inputs["assumeRolePolicy"], True))["Statement"] for r in roles]
    assert all(statements[0]["Principal"] == {"AWS": user_arn} for statements in trust)
    assert "Condition" not in trust[0][0]
    assert trust[1][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "MY-SECRET"}}
    for role, provider in zip(roles, providers, strict=True):
        assert role.provider.startswith(provider.urn)
    assert len(policy_documents(run, "222222222222")) == 2
    assert len(policy_documents(run, "333333333333")) == 2


def test_the_user_may_assume_exactly_the_roles(run_stack):
    run = run_stack(TWO_ACCOUNTS)
    assume = [d for d in policy_documents(run, "111111111111") if d["Statement"][0]["Action"] == "sts:AssumeRole"]
    assert len(assume) == 1
    assert assume[0]["Statement"][0]["Resource"] == [
        "arn:aws:iam::222222222222:role/Axonius-Readonly-Role",
        "arn:aws:iam::333333333333:role/Axonius-Readonly-Role",
    ]
    assert assume[0]["Statement"][0]["Resource"] == run.outputs["roleArns"].value


def test_role_file_outputs_in_both_formats(run_stack):
    run = run_stack(TWO_ACCOUNTS)
    assert run.outputs["roleArnFile"].value == (
        "arn:aws:iam::222222222222:role/Axonius-Readonly-Role, arn:aws:iam::333333333333:role/Axonius-Readonly-Role"
    )
    assert json.loads(run.outputs["roleArnFileJson"].value) == [
        {"arn": "arn:aws:iam::222222222222:role/Axonius-Readonly-Role"},
        {"arn": "arn:aws:iam::333333333333:role/Axonius-Readonly-Role", "external_id": "MY-SECRET"},
    ]
    assert run.outputs["roleArnFileJson"].secret  # it holds an external ID
    assert not run.outputs["roleArnFile"].secret


def test_secure_external_ids_stay_secret_in_the_trust_policy(run_stack):
    run = run_stack(TWO_ACCOUNTS, secret=("roles",))
    roles = of_type(run, ROLE)
    assert presentable(roles[1].inputs["assumeRolePolicy"], False) == SECRET
    assert presentable(roles[0].inputs["assumeRolePolicy"], False) != SECRET


def test_a_role_in_the_users_own_account_needs_no_provider(run_stack):
    run = run_stack({"roles": {"accounts": [{"id": "111111111111"}]}})
    assert not of_type(run, PROVIDER)
    assert run.outputs["roleArns"].value == ["arn:aws:iam::111111111111:role/Axonius-Readonly-Role"]


def test_replacing_the_user_rewrites_every_trust_policy(run_stack):
    """AWS pins a trust principal to the user's unique ID: a new user must change each trust document."""
    first = run_stack(TWO_ACCOUNTS, mocks=ScenarioMocks(generation="first"))
    second = run_stack(TWO_ACCOUNTS, mocks=ScenarioMocks(generation="re-created"))
    trust_before = [r.inputs["assumeRolePolicy"] for r in of_type(first, ROLE)]
    trust_after = [r.inputs["assumeRolePolicy"] for r in of_type(second, ROLE)]
    assert first.outputs["userArn"].value == second.outputs["userArn"].value
    assert all(before != after for before, after in zip(trust_before, trust_after, strict=True))
    unique_id = second.resources[[r.type for r in second.resources].index(USER)].wire_outputs.fields["uniqueId"]
    assert unique_id.string_value in trust_after[0]


def test_role_settings_come_from_config(run_stack):
    run = run_stack(
        {
            "roles": {
                "name": "Inv",
                "maxSessionDuration": 3600,
                "deployRoleName": "Deployer",
                "accounts": TWO_ACCOUNTS["roles"]["accounts"],
            }
        }
    )
    assert {r.inputs["name"] for r in of_type(run, ROLE)} == {"Inv"}
    assert {r.inputs["maxSessionDuration"] for r in of_type(run, ROLE)} == {3600}
    assumed = {json.loads(p.inputs["assumeRoles"])[0]["roleArn"] for p in of_type(run, PROVIDER)}
    assert assumed == {"arn:aws:iam::222222222222:role/Deployer", "arn:aws:iam::333333333333:role/Deployer"}


def test_bad_config_stops_the_program_before_any_resource(run_stack):
    with pytest.raises(pulumi.RunError, match=r"roles.accounts\[0\].id: '12'"):
        run_stack({"roles": {"accounts": [{"id": "12"}]}})


def test_too_many_policies_for_the_user_is_a_clear_error(run_stack):
    accounts = [{"id": f"{n:012d}"} for n in range(100000000000, 100000000900)]
    with pytest.raises(pulumi.RunError, match="would need 12 managed policies; the limit is 10"):
        run_stack(
            {
                "permissions": {"sets": ["adapter", "security-services", "cloud-asset-compliance"]},
                "roles": {"accounts": accounts},
            }
        )


def test_the_managed_policy_limit_follows_user_max_managed_policies(run_stack):
    config = {
        "permissions": {"sets": ["adapter", "security-services", "cloud-asset-compliance"]},
        "roles": {"accounts": [{"id": "222222222222"}]},
    }
    with pytest.raises(pulumi.RunError, match="user Axonius-Readonly would need 4 managed policies; the limit is 3"):
        run_stack({**config, "user": {"maxManagedPolicies": 3}})
    run = run_stack({**config, "user": {"maxManagedPolicies": 4}})
    assert len(of_type(run, "aws:iam/userPolicyAttachment:UserPolicyAttachment")) == 4
