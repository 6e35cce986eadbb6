"""The StackSet's template and the user's organization grant, as plain data."""

from __future__ import annotations

import json
import re

import pytest

from components.organization_template import (
    organization_assume_role_document,
    organization_path_patterns,
    role_template,
    stack_set_parameters,
    template_body,
)
from components.permission_sets import select_actions
from components.policy_documents import PolicyLimitError, read_only_documents, trust_document


@pytest.fixture(scope="module")
def documents(catalog):
    return read_only_documents(select_actions(("adapter",), (), (), catalog))


def test_the_template_holds_the_same_documents_and_a_role_trusting_only_the_user(documents):
    template = role_template("Axonius-Readonly-Role", 14400, documents, with_external_id=True)
    resources = template["Resources"]
    policies = [r for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert [p["Properties"]["PolicyDocument"] for p in policies] == documents
    assert [p["Properties"]["ManagedPolicyName"] for p in policies] == [
        f"Axonius-Readonly-Role-ReadOnly-{n}" for n in range(1, len(documents) + 1)
    ]
    assert all(p["Properties"]["Roles"] == [{"Ref": "InventoryRole"}] for p in policies)
    role = resources["InventoryRole"]["Properties"]
    assert role["RoleName"] == "Axonius-Readonly-Role" and role["MaxSessionDuration"] == 14400
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Ref": "UserArn"}}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert template["Parameters"]["ExternalId"]["NoEcho"] is True
    assert {r["Type"] for r in resources.values()} == {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy"}


def test_the_trust_statement_is_trust_document_with_parameters(documents):
    template = role_template("R", 3600, documents, with_external_id=False)
    (statement,) = template["Resources"]["InventoryRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (expected,) = trust_document("USER_ARN", "UNIQUE", None)["Statement"]
    resolved = {**statement, "Sid": "TrustAxoniusUserUNIQUE", "Principal": {"AWS": "USER_ARN"}}
    assert resolved == expected
    assert "ExternalId" not in template["Parameters"]
    assert stack_set_parameters("arn", "AIDA1", None) == {"UserArn": "arn", "UserUniqueId": "AIDA1"}


def test_a_template_too_large_for_the_request_body_is_a_clear_error(documents):
    assert len(template_body(role_template("R", 3600, documents, with_external_id=True))) < 51200
    with pytest.raises(PolicyLimitError, match="CloudFormation accepts at most 51,200"):
        template_body(role_template("R", 3600, documents * 9, with_external_id=True))


def test_the_grant_is_one_statement_scoped_to_the_organization_and_its_ous():
    document = organization_assume_role_document(
        "aws", "Axonius-Readonly-Role", "o-abcdefghij", ["ou-ab12-11111111", "r-ab12"]
    )
    (statement,) = document["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Resource"] == "arn:aws:iam::*:role/Axonius-Readonly-Role"
    assert statement["Condition"] == {
        "StringEquals": {"aws:ResourceOrgID": "o-abcdefghij"},
        "ForAnyValue:StringLike": {
            "aws:ResourceOrgPaths": ["o-abcdefghij/*/ou-ab12-11111111/*", "o-abcdefghij/r-ab12/*"]
        },
    }
    assert len(json.dumps(document)) < 6144


def test_path_patterns_name_an_ou_wherever_it_sits():
    (pattern,) = organization_path_patterns("o-abcdefghij", ["ou-ab12-22222222"])
    nested = "o-abcdefghij/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"
    regex = "^" + pattern.replace("*", ".*") + "$"  # StringLike: * is any run of characters, / included
    assert re.match(regex, nested) and re.match(regex, nested + "ou-ab12-33333333/")
    assert not re.match(regex, "o-abcdefghij/r-ab12/ou-ab12-11111111/")
    assert not re.match(regex, "o-zzzzzzzzzz/r-ab12/ou-ab12-22222222/")
