from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.permission_sets import PermissionSet, permission_set, select_actions, vendor_actions
from components.policy_documents import (
    MAX_POLICY_CHARS,
    PolicyLimitError,
    assume_role_documents,
    check_attachment_count,
    compact_json,
    read_only_documents,
    trust_document,
)
from policy_pack.rules.iam_actions import default_catalog


def all_action_names() -> list[str]:
    catalog = default_catalog()
    return sorted(a.name for s in catalog.services() for a in catalog.actions_of(s).values() if a.read_only)


VALID_ACTIONS = all_action_names()


def granted(documents) -> list[str]:
    return [action for document in documents for action in document["Statement"][0]["Action"]]


@settings(max_examples=150, deadline=None)
@given(st.sets(st.sampled_from(VALID_ACTIONS), max_size=1500))
def test_packing_any_actions_fits_the_limit_and_keeps_exactly_the_input(actions):
    ordered = sorted(actions, key=str.lower)
    documents = read_only_documents(ordered)
    assert all(len(compact_json(document)) <= MAX_POLICY_CHARS for document in documents)
    assert granted(documents) == ordered  # nothing lost, nothing added, order kept
    total = sum(len(json.dumps(action)) + 1 for action in ordered)
    # as few documents as fit: each one but the last was full to within one action
    assert len(documents) <= total // (MAX_POLICY_CHARS - 200) + 1


def test_no_actions_no_documents():
    assert read_only_documents([]) == []
    assert assume_role_documents([]) == []


def test_the_adapter_list_needs_two_documents(catalog):
    actions = select_actions(["adapter"], [], [], catalog)
    documents = read_only_documents(actions)
    assert len(documents) == 2  # ~6,500 characters: above AWS's 6,144
    assert len(compact_json(documents[0])) > 6000


def test_adapter_set_drops_exactly_the_write_and_the_secret_read(catalog):
    documented = set(vendor_actions("axonius-adapter-policy.json"))
    assert documented - permission_set("adapter", catalog) == {"ec2:CreateSnapshot", "ssm:GetParameter"}


def test_security_services_is_every_list_and_read_of_the_five_services_but_sensitive_reads(catalog):
    actions = permission_set("security-services", catalog)
    services = {action.split(":")[0] for action in actions}
    assert services == {"inspector", "inspector2", "guardduty", "macie2", "securityhub"}
    assert "macie2:GetSensitiveDataOccurrences" not in actions
    expected = {
        a.name
        for service in services
        for a in catalog.actions_of(service).values()
        if a.level in ("List", "Read") and a.name != "macie2:GetSensitiveDataOccurrences"
    }
    assert actions == expected
    assert all(catalog.lookup(action).read_only for action in actions)


def test_cloud_asset_compliance_is_both_vendor_lists_in_canonical_spelling(catalog):
    actions = permission_set("cloud-asset-compliance", catalog)
    assert "rds:DescribeDBInstances" in actions  # the vendor file spells it DescribeDbInstances
    assert "sts:GetCallerIdentity" in actions and "kms:ListKeys" in actions


def test_selection_is_sorted_deduplicated_and_honours_excludes(catalog):
    actions = select_actions(PermissionSet, ["ec2:DescribeRegions"], ["iam:ListUsers"], catalog)
    assert list(actions) == sorted(set(actions), key=str.lower)
    assert "ec2:DescribeRegions" in actions and "iam:ListUsers" not in actions


def test_assume_role_documents_list_exact_arns():
    arns = [f"arn:aws:iam::{n:012d}:role/Axonius-Readonly-Role" for n in range(300)]
    documents = assume_role_documents(arns)
    assert len(documents) == 3
    resources = [arn for d in documents for arn in d["Statement"][0]["Resource"]]
    assert resources == sorted(arns)
    assert all(d["Statement"][0]["Action"] == "sts:AssumeRole" for d in documents)


def test_more_policies_than_the_limit_is_a_clear_error():
    check_attachment_count("user x", 10, 10)
    with pytest.raises(PolicyLimitError, match=r"user x would need 11 managed policies; the limit is 10 \(user"):
        check_attachment_count("user x", 11, 10)
    check_attachment_count("user x", 11, 20)


def test_trust_document_pins_the_user_and_the_external_id():
    document = trust_document("arn:aws:iam::111111111111:user/A", "AIDAEXAMPLE", "MY-SECRET")
    statement = document["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:user/A"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "MY-SECRET"}}
    assert statement["Sid"] == "TrustAxoniusUserAIDAEXAMPLE"
    assert "Condition" not in trust_document("arn:aws:iam::1:user/A", "AIDA1", None)["Statement"][0]
