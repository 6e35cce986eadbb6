"""adopt's decisions, on plain data: trust, aws-auth, keys, unmanaged policies, and the import file built from
what the real program registers on the mock engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from automation.adopt import AdoptError, aws_auth_verdict, choose_key, trust_differences, unmanaged_policies
from automation.import_file import SECRET_SIG, SECRET_SIG_KEY, ImportAs, import_file
from automation.mock_engine import AwsMocks, MockRun, run_program
from automation.project import PROJECT
from automation.verify import VerifyUsageError, target_from_outputs
from policy_pack.rules import resource_types as types
from tests.conftest import PROJECT_DIR, stack_config

USER_ARN = "arn:aws:iam::111111111111:user/Axonius-Readonly"
OURS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TrustAxoniusUserAIDA",
            "Effect": "Allow",
            "Principal": {"AWS": USER_ARN},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "X"}},
        }
    ],
}


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


CONDITION = {"Condition": {"StringEquals": {"sts:ExternalId": "X"}}}


def test_a_trust_that_is_ours_in_substance_differs_in_nothing() -> None:
    assert trust_differences(trust(allow({"AWS": USER_ARN}, **CONDITION)), OURS, {USER_ARN}) == ([], [])


@pytest.mark.parametrize(
    ("statement", "broader"),
    [
        (allow({"AWS": "arn:aws:iam::111111111111:root"}), ["AWS arn:aws:iam::111111111111:root"]),
        (allow("*"), ["everyone (Principal '*' or NotPrincipal)"]),
        (allow({"AWS": [USER_ARN, "arn:aws:iam::999999999999:role/x"]}), ["AWS arn:aws:iam::999999999999:role/x"]),
        (allow({"Service": "ec2.amazonaws.com"}), ["Service ec2.amazonaws.com"]),
        (
            {"Effect": "Allow", "NotPrincipal": {"AWS": USER_ARN}, "Action": "sts:AssumeRole"},
            ["everyone (Principal '*' or NotPrincipal)"],
        ),
    ],
)
def test_a_trust_letting_in_anyone_else_is_broader(statement: dict[str, Any], broader: list[str]) -> None:
    assert trust_differences(trust(statement), OURS, {USER_ARN})[0] == broader


def test_what_the_user_alone_is_allowed_beyond_ours_is_replaced_at_up() -> None:
    _, beyond = trust_differences(
        trust(allow({"AWS": USER_ARN}, ["sts:AssumeRole", "sts:TagSession"])), OURS, {USER_ARN}
    )
    assert beyond[0] == "allowing the user sts:TagSession"
    assert "instead of the stack's" in beyond[1]  # no external ID condition yet: the adapter must send it first


ENTRY = {"userarn": USER_ARN, "username": "axonius-readonly", "groups": ["axonius-readonly"]}


def aws_auth(*entries: dict[str, Any]) -> dict[str, str]:
    return {"mapUsers": json.dumps(list(entries)), "mapRoles": "- rolearn: arn:aws:iam::1:role/nodes\n"}


def verdict(data: dict[str, str]) -> tuple[str, str]:
    return aws_auth_verdict(data, "mapUsers", USER_ARN, "axonius-readonly", ["axonius-readonly"])


def test_an_identical_aws_auth_entry_is_adopted_and_an_absent_one_created() -> None:
    assert verdict(aws_auth(ENTRY)) == ("identical", "")
    assert verdict(aws_auth({**ENTRY, "userarn": "arn:aws:iam::111111111111:user/other"})) == ("absent", "")
    assert verdict({}) == ("absent", "")


@pytest.mark.parametrize(
    ("entries", "detail"),
    [
        ([{**ENTRY, "groups": ["axonius-readonly", "ops"]}], "beyond ours: ['ops']"),
        ([{**ENTRY, "username": "someone"}], "username 'someone' instead of 'axonius-readonly'"),
        ([ENTRY, ENTRY], "2 entries for"),
    ],
)
def test_a_different_aws_auth_entry_is_named(entries: list[dict[str, Any]], detail: str) -> None:
    found, text = verdict(aws_auth(*entries))
    assert found == "different" and detail in text


def test_an_aws_auth_that_cannot_be_parsed_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid YAML"):
        verdict({"mapUsers": "- {userarn: [unclosed"})


def key(key_id: str) -> dict[str, str]:
    return {"AccessKeyId": key_id, "Status": "Active"}


def test_the_adapters_key_is_the_only_one_or_the_one_named() -> None:
    assert choose_key([key("AKIA1")], None, "u") == key("AKIA1")
    assert choose_key([], None, "u") is None
    assert choose_key([key("AKIA1"), key("AKIA2")], "AKIA2", "u") == key("AKIA2")
    with pytest.raises(AdoptError, match="--adapter-key-id"):
        choose_key([key("AKIA1"), key("AKIA2")], None, "u")
    with pytest.raises(AdoptError, match="'AKIA3' is not a key of user u"):
        choose_key([key("AKIA1")], "AKIA3", "u")


def test_only_policies_the_stack_does_not_declare_are_unmanaged() -> None:
    attached = [
        {"PolicyName": "Mine", "PolicyArn": "arn:aws:iam::1:policy/Mine"},
        {"PolicyName": "Guide", "PolicyArn": "arn:aws:iam::1:policy/Guide"},
    ]
    findings = unmanaged_policies("user u", "1", "user", "u", attached, {"arn:aws:iam::1:policy/Mine"})
    assert [f.what for f in findings] == ["managed policy Guide (arn:aws:iam::1:policy/Guide)"]
    assert findings[0].action is not None
    assert (
        findings[0]
        .action.undo()
        .startswith("aws iam attach-user-policy --user-name u --policy-arn arn:aws:iam::1:policy/Guide")
    )


PROD: dict[str, Any] = {
    "roles": {"accounts": [{"id": "222222222222"}]},
    "eks": {"clusters": [{"name": "legacy", "region": "us-west-2", "mode": "awsAuth"}]},
}


@pytest.fixture(scope="module")
def declared() -> MockRun:
    return run_program(PROJECT_DIR, "prod", stack_config(PROD), [], AwsMocks())


def named(run: MockRun, type_: str, account: str | None = None) -> Any:
    return next(r for r in run.resources if r.type == type_ and (account is None or account in r.provider))


def test_the_import_file_brings_each_resources_parents_and_provider(declared: MockRun) -> None:
    role = named(declared, types.IAM_ROLE)
    mapping = named(declared, types.AWS_AUTH_MAPPING)
    built = import_file(
        declared.resources, {role.urn: ImportAs("Axonius-Readonly-Role"), mapping.urn: ImportAs("x", mapping.inputs)}
    )
    entries = {entry["name"]: entry for entry in built["resources"]}
    assert built["nameTable"] == {}
    role_entry = entries["role-222222222222#Role"]
    assert role_entry["id"] == "Axonius-Readonly-Role" and role_entry["version"]
    provider = entries[role_entry["provider"]]
    assert provider["type"] == types.AWS_PROVIDER and "id" not in provider
    assert json.loads(provider["inputs"]["assumeRoles"])[0]["roleArn"].endswith(":role/OrganizationAccountAccessRole")
    assert entries[role_entry["parent"]]["component"] is True
    assert entries[entries[role_entry["parent"]]["parent"]]["type"] == "axonius-aws-access:index:AxoniusAccess"
    # the dynamic mapping cannot be read without its own inputs: its state travels in the file, secrets as such
    mapping_entry = entries[f"{mapping.name}#AwsAuthMapping"]
    assert mapping_entry["outputs"] == mapping_entry["inputs"]
    assert mapping_entry["inputs"]["__provider"][SECRET_SIG_KEY] == SECRET_SIG
    # only what the imported resources need: not the user's component, not the cluster's Kubernetes provider
    assert "inventory-user#InventoryUser" not in entries
    assert not [e for e in built["resources"] if e["type"] == types.KUBERNETES_PROVIDER]
    order = [entry["name"] for entry in built["resources"]]
    assert all(order.index(e["parent"]) < order.index(e["name"]) for e in built["resources"] if "parent" in e)


def urn_of(entries: dict[str, dict[str, Any]], entry: dict[str, Any], stack: str) -> str:
    """The URN `pulumi import --file` gives an entry: its parent's qualified type, then its own type and name."""
    parent = entries.get(entry.get("parent", ""))
    qualified = f"{urn_of(entries, parent, stack).split('::')[2]}${entry['type']}" if parent else entry["type"]
    return f"urn:pulumi:{stack}::{PROJECT}::{qualified}::{entry['logicalName']}"


def test_each_entry_gets_the_urn_the_program_declares(declared: MockRun) -> None:
    user, key_ = named(declared, types.IAM_USER), named(declared, types.IAM_ACCESS_KEY)
    built = import_file(declared.resources, {user.urn: ImportAs("Axonius-Readonly"), key_.urn: ImportAs("AKIA1")})
    entries = {entry["name"]: entry for entry in built["resources"]}
    assert {urn_of(entries, e, "prod") for e in built["resources"]} == {
        user.urn,
        key_.urn,
        user.parent,
        named(declared, "axonius-aws-access:index:AxoniusAccess").urn,
    }


def test_a_new_key_says_the_stack_holds_its_secret(declared: MockRun) -> None:
    assert declared.outputs["accessKeys"].value == [
        {"slot": 1, "accessKeyId": declared.outputs["accessKeyId"].value, "status": "Active", "secretKnown": True}
    ]
    assert not declared.outputs["accessKeys"].secret


def test_verify_takes_an_adopted_keys_secret_from_a_file(declared: MockRun, tmp_path: Path) -> None:
    outputs = {name: output.value for name, output in declared.outputs.items()}
    outputs["secretAccessKey1"] = outputs["secretAccessKey"] = None  # imported: AWS hands no secret out
    with pytest.raises(VerifyUsageError, match="give it with --secret-access-key-file"):
        target_from_outputs(outputs, key_slot=1)
    (tmp_path / "secret").write_text("held-by-axonius\n")
    target = target_from_outputs(outputs, key_slot=1, secret_file=tmp_path / "secret")
    assert target.secret_access_key == "held-by-axonius"
    with pytest.raises(VerifyUsageError, match=r"--secret-access-key-file .*missing"):
        target_from_outputs(outputs, secret_file=tmp_path / "missing")
