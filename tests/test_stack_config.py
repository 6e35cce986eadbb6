"""One test per validation rule: each names the key path, the value and what is accepted."""

from __future__ import annotations

import pulumi
import pytest

from components.config_validation import parse_stack_config
from components.home_checks import check_cluster_accounts
from components.stack_config import ConfigError, EksCluster, RoleAccount, StackConfig
from policy_pack.rules.kubernetes_rbac import check_role


def problems(catalog, raw, secret_keys=frozenset()) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, catalog, secret_keys=secret_keys)
    return list(caught.value.problems)


def test_empty_config_gives_the_documented_defaults(catalog):
    config = parse_stack_config({}, catalog)
    assert config == StackConfig()
    assert config.user.name == "Axonius-Readonly" and config.user.access_key
    assert config.permissions.sets == ["adapter"]
    assert config.roles.max_session_duration == 14400
    assert config.roles.deploy_role_name == "OrganizationAccountAccessRole"
    assert config.eks.rules[0].verbs == ["list"] and config.eks.rules[0].resources == ["pods"]


def test_full_config_parses(catalog):
    config = parse_stack_config(
        {
            "user": {"name": "ax", "path": "/inventory/", "accessKey": False},
            "permissions": {
                "sets": ["adapter", "security-services"],
                "extraActions": ["ec2:describeregions"],
                "excludeActions": ["iam:ListUsers"],
            },
            "roles": {"accounts": [{"id": "222222222222", "externalId": "MY-SECRET"}], "maxSessionDuration": 3600},
            "eks": {"clusters": [{"name": "prod-eks", "region": "eu-west-1", "mode": "awsAuth"}]},
        },
        catalog,
    )
    assert config.user.path == "/inventory/" and not config.user.access_key
    assert config.permissions.extra_actions == ["ec2:DescribeRegions"]  # canonical spelling
    assert config.roles.accounts == [RoleAccount("222222222222", "MY-SECRET")]
    assert config.eks.clusters == [EksCluster("prod-eks", "eu-west-1", None, "awsAuth")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"user": {"name": "a" * 65}}, "user.name: 'aaaa"),
        ({"user": {"name": "bad name"}}, "user.name: 'bad name' is not accepted; expected 1 to 64"),
        ({"user": {"path": "no-slashes"}}, "user.path: 'no-slashes'"),
        ({"user": {"path": "/" + "a" * 511 + "/"}}, "user.path:"),
        ({"user": {"accessKey": "yes"}}, "user.accessKey: 'yes' is not accepted; expected true or false"),
        (
            {"user": {"nmae": "x"}},
            "user.nmae: unknown key (did you mean name?); accepted keys are name, path, accessKey",
        ),
        ({"usr": {}}, "axonius-aws-access:usr: unknown key"),
        ({"user": "Axonius"}, "user: 'Axonius' is not accepted; expected a mapping"),
        ({"roles": {"name": "r" * 65}}, "roles.name:"),
        ({"roles": {"deployRoleName": "a/b"}}, "roles.deployRoleName: 'a/b'"),
        ({"roles": {"maxSessionDuration": 3599}}, "roles.maxSessionDuration: 3599 is not accepted; expected a whole"),
        ({"roles": {"maxSessionDuration": 43201}}, "roles.maxSessionDuration: 43201"),
        ({"roles": {"maxSessionDuration": True}}, "roles.maxSessionDuration: True"),
        (
            {"roles": {"accounts": [{"id": "12345"}]}},
            "roles.accounts[0].id: '12345' is not accepted; expected a quoted",
        ),
        ({"roles": {"accounts": [{"id": 222222222222}]}}, "roles.accounts[0].id: 222222222222"),
        (
            {"roles": {"accounts": [{"id": "222222222222"}, {"id": "222222222222"}]}},
            "roles.accounts[1].id: '222222222222' is not accepted; expected each account once",
        ),
        (
            {"roles": {"accounts": [{"id": "1"}, {"id": "222222222222"}, {"id": "222222222222", "externalId": "ab"}]}},
            "roles.accounts[2].id: '222222222222' is not accepted; expected each account once",
        ),
        ({"eks": {"rules": []}}, "eks.rules: [] is not accepted; expected a non-empty list of rules"),
        ({"roles": {"accounts": [{"id": "222222222222", "externalId": "x"}]}}, "roles.accounts[0].externalId: 'x'"),
        (
            {"roles": {"accounts": [{"id": "222222222222", "externalId": "a" * 1225}]}},
            "roles.accounts[0].externalId:",
        ),
        ({"roles": {"accounts": [{"id": "222222222222", "externalId": "has space"}]}}, "externalId: 'has space'"),
        ({"roles": {"accounts": ["222222222222"]}}, "roles.accounts[0]: '222222222222' is not accepted"),
        ({"roles": {"accounts": [{"id": "222222222222", "extId": "ab"}]}}, "roles.accounts[0].extId: unknown key"),
        ({"permissions": {"sets": ["adapters"]}}, "permissions.sets[0]: 'adapters' is not accepted; expected one of"),
        ({"permissions": {"sets": []}}, "permissions.sets: [] is not accepted; expected at least one"),
        (
            {"permissions": {"extraActions": ["s3:PutObject"]}},
            "permissions.extraActions[0]: 's3:PutObject' is not accepted; expected a List or Read action "
            "(s3:PutObject is Write)",
        ),
        (
            {"permissions": {"extraActions": ["iam:AttachUserPolicy"]}},
            "(iam:AttachUserPolicy is Permissions management, Write)",
        ),
        ({"permissions": {"extraActions": ["ec2:Describe*"]}}, "expected one IAM action spelled out"),
        ({"permissions": {"extraActions": ["ec2:DescribeNothing"]}}, "expected an action in the IAM data (version"),
        ({"permissions": {"excludeActions": ["nosuch:Thing"]}}, "permissions.excludeActions[0]: 'nosuch:Thing'"),
        ({"eks": {"clusters": [{"name": "c", "region": "us-east-1", "mode": "configMap"}]}}, "mode: 'configMap'"),
        ({"eks": {"clusters": [{"name": "c", "region": "useast"}]}}, "eks.clusters[0].region: 'useast'"),
        ({"eks": {"clusters": [{"name": "-c", "region": "us-east-1"}]}}, "eks.clusters[0].name: '-c'"),
        ({"eks": {"clusters": [{"name": "c", "region": "us-east-1", "account": "1"}]}}, "eks.clusters[0].account"),
        (
            {"eks": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "delete"]}]}},
            "eks.rules[0].verbs[1]: 'delete' is not accepted; expected one of get, list, watch",
        ),
        ({"eks": {"rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}}, "resources[0]"),
        ({"eks": {"rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]}]}}, "'pods/exec'"),
        (
            {"eks": {"rules": [{"apiGroups": ["Apps"], "resources": ["pods"], "verbs": ["get"]}]}},
            "apiGroups[0]: 'Apps'",
        ),
        (
            {"eks": {"rules": [{"resources": ["pods"], "verbs": ["get"]}]}},
            "eks.rules[0].apiGroups: missing; expected a non-empty list",
        ),
        ({"eks": {"group": "system:masters"}}, "eks.group: 'system:masters'"),
        ({"eks": {"username": "system:admin"}}, "eks.username: 'system:admin'"),
        ({"eks": {"clusterRole": "Not_A_Name"}}, "eks.clusterRole: 'Not_A_Name'"),
    ],
)
def test_each_rule_names_key_value_and_what_is_accepted(catalog, raw, expected):
    found = problems(catalog, raw)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    "rule",
    [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["*"], "verbs": ["get"]},
        {"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "patch"]},
    ],
)
def test_eks_rules_are_refused_exactly_when_the_pack_refuses_them(catalog, rule):
    """The parser asks the pack's own rule check, so a stack never declares a role the pack would reject."""
    pack = check_role({"rules": [rule]})
    try:
        parse_stack_config({"eks": {"rules": [rule]}}, catalog)
    except ConfigError as error:
        assert pack and all(problem.startswith("eks.rules[0].") for problem in error.problems)
    else:
        assert pack == []


def test_every_problem_is_reported_at_once(catalog):
    found = problems(
        catalog,
        {
            "user": {"name": "bad name"},
            "roles": {"maxSessionDuration": 1, "accounts": [{"id": "1"}]},
            "permissions": {"extraActions": ["kms:Decrypt"]},
        },
    )
    assert len(found) == 4
    assert [p.split(":")[0] for p in found] == [
        "user.name",
        "permissions.extraActions[0]",
        "roles.maxSessionDuration",
        "roles.accounts[0].id",
    ]


def test_a_secret_external_id_is_not_echoed(catalog):
    raw = {"roles": {"accounts": [{"id": "222222222222", "externalId": "s"}]}}
    found = problems(catalog, raw, secret_keys=frozenset({"roles"}))
    assert found == [
        "roles.accounts[0].externalId: '[secret]' is not accepted; expected 2 to 1224 characters of "
        "letters, digits and _+=,.@:/-"
    ]


def test_clusters_must_be_in_a_reachable_account(catalog):
    raw = {
        "roles": {"accounts": [{"id": "222222222222"}]},
        "eks": {
            "clusters": [
                {"name": "a", "region": "us-east-1", "account": "222222222222"},
                {"name": "b", "region": "us-east-1", "account": "111111111111"},
                {"name": "c", "region": "us-east-1", "account": "333333333333"},
            ]
        },
    }
    config = parse_stack_config(raw, catalog)
    with pytest.raises(ConfigError) as caught:
        check_cluster_accounts(config, "111111111111")
    assert caught.value.problems == (
        "eks.clusters[2].account: '333333333333' is not accepted; expected the user's account (111111111111) "
        "or one listed in roles.accounts",
    )


def test_a_whole_config_object_encrypted_as_one_string_gets_a_clear_message(run_stack):
    """The CLI hands a whole-key `secure:` value to the program as the decrypted string."""
    with pytest.raises(pulumi.RunError, match=r"axonius-aws-access:roles: the whole value is a secret that is not a"):
        run_stack({"roles": "accounts: [222222222222]"}, secret=("roles",))


def test_organization_regions_default_to_the_stack_region_and_are_never_guessed(catalog):
    organization = {"organizationalUnits": ["ou-ab12-11111111"], "adminAccount": "999999999999"}
    config = parse_stack_config({"organization": organization}, catalog, region="eu-west-1")
    assert config.organization is not None and config.organization.regions == ["eu-west-1"]
    assert problems(catalog, {"organization": organization}) == [
        "organization.regions: none given and aws:region is not set; expected a list of regions or aws:region"
    ]
