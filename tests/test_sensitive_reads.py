"""The sensitive-read catalogue: a seed from a maintained public list, our additions beside it, tested both ways."""

from __future__ import annotations

import json

import pytest

from policy_pack.generate_sensitive_reads import SOURCE_LISTS, seed, source_lists, source_text
from policy_pack.rules.sensitive_actions import SEED_PATH, SENSITIVE_READS, seeded_reads, sensitive_actions
from tests.policy_helpers import allow, document, findings

SENSITIVE = "iam-no-sensitive-reads"


def test_the_committed_seed_is_current_with_the_installed_source(catalog):
    """Regenerate with `venv/bin/python -m policy_pack.generate_sensitive_reads` when this fails."""
    version, text = source_text()  # cloudsplaining, pinned in requirements-dev.txt
    committed = json.loads(SEED_PATH.read_text())
    assert committed == seed(version, text, catalog)
    assert committed["source"].startswith(f"cloudsplaining {version} (MIT)")


def test_the_seed_reads_both_lists_of_the_source():
    lists = source_lists(source_text()[1])
    assert set(lists) == set(SOURCE_LISTS)
    assert "ecr:getauthorizationtoken" in lists["credentials exposure"] and "s3:GetObject" in lists["data exfiltration"]


def test_every_entry_exists_at_a_list_or_read_level(catalog):
    listed = [name for names in seeded_reads().values() for name in names]
    listed += [name for names in SENSITIVE_READS.values() for name in names]
    for name in listed:
        action = catalog.lookup(name)
        assert action is not None and action.name == name and action.read_only, name


def test_our_additions_do_not_repeat_the_seed_and_each_has_a_reason():
    seeded = {name.lower() for names in seeded_reads().values() for name in names}
    for category, entries in SENSITIVE_READS.items():
        for name, reason in entries.items():
            assert name.lower() not in seeded, f"{category}: {name} is in the seed now; remove it from our additions"
            assert len(reason) > 5, name


def test_the_seed_leaves_out_what_the_read_only_rule_already_rejects(catalog):
    left_out = json.loads(SEED_PATH.read_text())["leftOut"]
    assert "iam:CreateAccessKey" in left_out and "sts:AssumeRole" in left_out
    assert all(catalog.lookup(name) is None or not catalog.lookup(name).read_only for name in left_out)


@pytest.mark.parametrize(
    "action",
    [
        "ec2:GetPasswordData",
        "connect:GetFederationToken",
        "gamelift:GetInstanceAccess",
        "cloud9:CreateEnvironmentToken",
        "secretsmanager:GetSecretValue",
        "s3:GetObject",
        "logs:GetLogEvents",
        "lambda:GetFunctionConfiguration",
    ],
)
def test_known_credential_and_data_reads_are_flagged(action):
    found = findings("aws:iam/policy:Policy", {"policy": document(allow(action))})
    (violation,) = found[SENSITIVE]
    assert violation.level == "advisory" and action in violation.message
    assert "iam-read-only-actions" not in found


@pytest.mark.parametrize(
    "action",
    ["ec2:DescribeInstances", "iam:GetRole", "s3:ListAllMyBuckets", "kms:DescribeKey", "ssm:DescribeParameters"],
)
def test_ordinary_reads_are_not_flagged(action, catalog):
    assert action not in sensitive_actions(catalog)
    assert findings("aws:iam/policy:Policy", {"policy": document(allow(action))}) == {}
