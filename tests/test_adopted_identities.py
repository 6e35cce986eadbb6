"""Credentials and cluster mappings only for the configured identities: an imported admin cannot be handed out."""

from __future__ import annotations

import pytest

from policy_pack.rules import resource_types as types
from tests.policy_helpers import UNKNOWN, findings, mandatory

POLICY = "iam-adopted-identities"
OURS = "arn:aws:iam::111111111111:user/Axonius-Readonly"
ROLE = "arn:aws:iam::222222222222:role/Axonius-Readonly-Role"
CONFIG = {POLICY: {"trustedPrincipals": [OURS], "assumableRoleNames": ["Axonius-Readonly-Role"]}}


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (types.IAM_ACCESS_KEY, {"user": "Axonius-Readonly"}),
        ("aws:iam/userLoginProfile:UserLoginProfile", {"user": "Axonius-Readonly"}),
        (types.NATIVE_ACCESS_KEY, {"userName": "Axonius-Readonly"}),
        (types.ACCESS_ENTRY, {"principalArn": OURS, "kubernetesGroups": ["g"]}),
        (types.ACCESS_ENTRY, {"principalArn": ROLE, "kubernetesGroups": ["g"]}),
    ],
)
def test_the_adapters_identities_get_credentials_and_mappings(type_, props):
    assert POLICY not in findings(type_, props, CONFIG)


@pytest.mark.parametrize(
    ("type_", "props", "shown"),
    [
        (types.IAM_ACCESS_KEY, {"user": "admin"}, "user 'admin'"),  # imported with `import_="admin"`
        (types.IAM_ACCESS_KEY, {}, "user nothing"),
        ("aws:iam/sshKey:SshKey", {"username": "ops", "publicKey": "ssh-rsa x"}, "username 'ops'"),
        (types.NATIVE_ACCESS_KEY, {"userName": "admin"}, "userName 'admin'"),
        (types.ACCESS_ENTRY, {"principalArn": "arn:aws:iam::111111111111:user/admin"}, "principalArn"),
        (types.ACCESS_ENTRY, {"principalArn": "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"}, ""),
        (types.ACCESS_ENTRY, {"principalArn": "arn:aws:iam::999999999999:user/Axonius-Readonly"}, "999999999999"),
        (types.AWS_AUTH_MAPPING, {"arn": "arn:aws:iam::111111111111:role/Admin"}, "arn 'arn:aws:iam"),
    ],
)
def test_any_other_identity_is_refused_since_it_may_be_adopted(type_, props, shown):
    (violation,) = findings(type_, props, CONFIG)[POLICY]
    assert violation.level == "mandatory" and shown in violation.message
    assert "adopted with `import`" in violation.message


def test_a_name_in_trusted_principals_matches_in_any_account_and_an_unknown_waits():
    config = {POLICY: {"trustedPrincipals": ["Axonius-Readonly"]}}
    assert POLICY not in findings(types.ACCESS_ENTRY, {"principalArn": OURS}, config)
    (note,) = findings(types.IAM_ACCESS_KEY, {"user": UNKNOWN}, config)[POLICY]
    assert note.level == "advisory"


def test_the_default_config_is_the_programs_default_names():
    assert mandatory(types.IAM_ACCESS_KEY, {"user": "Axonius-Readonly"}) == []
