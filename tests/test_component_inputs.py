"""The component's inputs as a Python program passes them: outputs of other resources, checked as stack files are.

Each case is the `__main__.py` of a user's own project, run on the mock engine.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pulumi
import pytest

from automation.display import presentable
from automation.mock_engine import AwsMocks, MockRun, run_program
from components.stack_config import ConfigError, EksCluster, RoleAccount, UserConfig

HEADER = """
import pulumi
import pulumi_aws as aws
from components.axonius_access import AxoniusAccess, AxoniusAccessArgs
from components.stack_config import EksCluster, EksConfig, PermissionsConfig, RoleAccount, RolesConfig, UserConfig
"""
CLUSTER = """
made = aws.eks.Cluster("made", name="made-eks", role_arn="arn:aws:iam::111111111111:role/eks",
                       vpc_config={"subnet_ids": ["subnet-1"]})
"""
# An S3 bucket's name stands for any plain output: a resource of the same program, or a StackReference.
ACCOUNT = """
source = aws.s3.Bucket("source", bucket=ACCOUNT_VALUE)
"""


def run(tmp_path: Path, body: str) -> MockRun:
    (tmp_path / "__main__.py").write_text(HEADER + body)
    return run_program(tmp_path, "test", {"aws:region": "us-east-1"}, [], AwsMocks())


def declared(run: MockRun, type_: str) -> dict[str, dict]:
    return {r.name: r.inputs for r in run.resources if r.type == type_}


def children(run: MockRun) -> set[tuple[str, str]]:
    """What the component declared, by type and name (the other resources of the program left out)."""
    inside = {r.urn for r in run.resources if r.type == "axonius-aws-access:index:AxoniusAccess"}
    while True:
        more = {r.urn for r in run.resources if r.parent in inside} - inside
        if not more:
            return {(r.type, r.name) for r in run.resources if r.urn in inside}
        inside |= more


def test_a_cluster_name_from_another_resource_declares_what_the_plain_name_declares(tmp_path):
    component = (
        "access = AxoniusAccess('axonius', AxoniusAccessArgs(eks=EksConfig(clusters=[EksCluster(name={}, "
        "region='us-east-1')])))\npulumi.export('eksClusters', access.eks_clusters)\n"
    )
    from_output = run(tmp_path, CLUSTER + component.format("made.name"))
    plain = run(tmp_path, CLUSTER + component.format("'made-eks'"))
    assert children(from_output) == children(plain)
    assert ("aws:eks/accessEntry:AccessEntry", "eks-111111111111-us-east-1-made-eks-access-entry") in children(plain)
    (cluster,) = from_output.outputs["eksClusters"].value
    assert cluster["name"] == "made-eks" and cluster["mode"] == "accessEntry"


def test_an_external_id_from_a_secret_output_stays_secret_in_the_trust_policy_and_the_role_file(tmp_path):
    result = run(
        tmp_path,
        textwrap.dedent(
            """
            secret = pulumi.Output.secret("from-a-secret")
            accounts = [RoleAccount(id="222222222222", external_id=secret), RoleAccount(id="333333333333")]
            access = AxoniusAccess("axonius", AxoniusAccessArgs(roles=RolesConfig(accounts=accounts)))
            pulumi.export("roleArnFileJson", access.role_arn_file_json)
            """
        ),
    )
    trust = {name: inputs["assumeRolePolicy"] for name, inputs in declared(result, "aws:iam/role:Role").items()}
    assert presentable(trust["role-222222222222"], False) == "[secret]"
    condition = json.loads(presentable(trust["role-222222222222"], True))["Statement"][0]["Condition"]
    assert condition == {"StringEquals": {"sts:ExternalId": "from-a-secret"}}
    assert "Condition" not in json.loads(presentable(trust["role-333333333333"], False))["Statement"][0]
    role_file = result.outputs["roleArnFileJson"]
    assert role_file.secret
    assert json.loads(role_file.value)[0] == {
        "arn": "arn:aws:iam::222222222222:role/Axonius-Readonly-Role",
        "external_id": "from-a-secret",
    }


def test_an_account_id_from_another_resource_gets_its_role_provider_and_grant(tmp_path):
    result = run(
        tmp_path,
        ACCOUNT.replace("ACCOUNT_VALUE", '"222222222222"')
        + textwrap.dedent(
            """
            args = AxoniusAccessArgs(roles=RolesConfig(accounts=[RoleAccount(id=source.bucket)]))
            access = AxoniusAccess("axonius", args)
            pulumi.export("roleArns", access.role_arns)
            """
        ),
    )
    assert "role-222222222222" in declared(result, "aws:iam/role:Role")
    providers = declared(result, "pulumi:providers:aws")
    assert json.loads(providers["account-222222222222"]["allowedAccountIds"]) == ["222222222222"]
    assert result.outputs["roleArns"].value == ["arn:aws:iam::222222222222:role/Axonius-Readonly-Role"]
    (grant,) = [
        inputs["policy"]
        for inputs in declared(result, "aws:iam/policy:Policy").values()
        if "sts:AssumeRole" in str(inputs["policy"])
    ]
    assert json.loads(grant)["Statement"][0]["Resource"] == ["arn:aws:iam::222222222222:role/Axonius-Readonly-Role"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            ACCOUNT.replace("ACCOUNT_VALUE", '"12345"')
            + "AxoniusAccess('axonius', AxoniusAccessArgs(roles=RolesConfig(accounts=[RoleAccount(id=source.bucket)])"
            "))",
            "roles.accounts[0].id: '12345' is not accepted; expected a quoted string of 12 digits",
            id="account ID",
        ),
        pytest.param(
            "AxoniusAccess('axonius', AxoniusAccessArgs(roles=RolesConfig(accounts=["
            "RoleAccount(id='222222222222', external_id=pulumi.Output.secret('x'))])))",
            "roles.accounts[0].externalId: '[secret]' is not accepted; expected 2 to 1224 characters",
            id="external ID, never echoed",
        ),
        pytest.param(
            "AxoniusAccess('axonius', AxoniusAccessArgs(roles=RolesConfig(accounts=[RoleAccount(id='222222222222')]),"
            " external_ids=pulumi.Output.secret({'22222222222': 'my-external-id'})))",
            "externalIds: '22222222222' is not accepted; expected an account of roles.accounts (222222222222)",
            id="a key of a secret map of external IDs",
        ),
        pytest.param(
            CLUSTER + "AxoniusAccess('axonius', AxoniusAccessArgs(eks=EksConfig(clusters=["
            "EksCluster(name=made.name.apply(lambda n: n + '!'), region='us-east-1')])))",
            "eks.clusters[0].name: 'made-eks!' is not accepted; expected an EKS cluster name",
            id="cluster name",
        ),
    ],
)
def test_a_bad_resolved_value_fails_the_deployment_naming_its_key_path(tmp_path, body, expected):
    with pytest.raises(pulumi.RunError) as caught:
        run(tmp_path, body)
    assert "invalid arguments of AxoniusAccess axonius:" in str(caught.value)
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param(
            "roles=RolesConfig(accounts=[RoleAccount(id='222222222222')]), "
            "external_ids={'22222222222': pulumi.Output.secret('my-external-id')}",
            "externalIds: '22222222222' is not accepted; expected an account of roles.accounts (222222222222)",
            id="a mistyped account in external_ids",
        ),
        pytest.param(
            "external_ids={'222222222222': 'my-external-id'}",
            "externalIds: '222222222222' is not accepted; expected none: roles.accounts is empty",
            id="external_ids without roles",
        ),
        pytest.param(
            "user={'access_key': 'yes'}",
            "user.accessKey: 'yes' is not accepted; expected true or false",
            id="as strict as a stack file",
        ),
        pytest.param(
            "roles={'accounts': [{'id': '222222222222', 'external_id': 'x'}]}",
            "roles.accounts[0].externalId: 'x' is not accepted; expected 2 to 1224 characters",
            id="a plain value: the stack file's message",
        ),
        pytest.param(
            "permissions=PermissionsConfig(sets=[], extra_actions=['ec2:DescribeRegions'], "
            "exclude_actions=['ec2:DescribeRegions'])",
            "permissions.excludeActions: excludes every action of permissions.extraActions",
            id="the stack file's cross-key checks",
        ),
    ],
)
def test_plain_arguments_are_refused_before_anything_is_declared(tmp_path, arguments, expected):
    with pytest.raises(ConfigError) as caught:
        run(tmp_path, f"AxoniusAccess('axonius', AxoniusAccessArgs({arguments}))")
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("construct", "expected"),
    [
        pytest.param(
            lambda: RoleAccount(id="12345"),
            "RoleAccount.id: '12345' is not accepted; expected a quoted string of 12 digits",
            id="a pattern",
        ),
        pytest.param(
            lambda: UserConfig(acess_key=True),  # type: ignore[call-arg]
            "UserConfig.acess_key: unknown key; accepted keys are name, path, access_key",
            id="an unknown key",
        ),
        pytest.param(
            lambda: UserConfig(access_key="yes"),  # type: ignore[arg-type]
            "UserConfig.access_key: 'yes' is not accepted; expected true or false",
            id="as strict as a stack file: yes is not true",
        ),
        pytest.param(
            lambda: EksCluster(name="prod-eks"),  # type: ignore[call-arg]
            "EksCluster.region: missing; expected an AWS region such as us-east-1",
            id="a missing key",
        ),
    ],
)
def test_the_contract_classes_refuse_bad_values_as_stack_files_do(construct, expected):
    """Not pydantic's own text: the key, the value and what is accepted."""
    with pytest.raises(ConfigError) as caught:
        construct()
    assert str(caught.value).startswith(expected)
