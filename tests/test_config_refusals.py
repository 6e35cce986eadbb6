"""Stack files a careful user might write by mistake: each is refused (exit 2) naming the key, before any resource.

Each case is a whole stack file through `python -m automation plan`, as the user meets it.
"""

from __future__ import annotations

import textwrap

import pulumi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automation.__main__ as cli
from tests.conftest import PROJECT_DIR


def plan_file(capsys, tmp_path, text: str) -> tuple[int, str, str]:
    stack = tmp_path / "Pulumi.case.yaml"
    stack.write_text(textwrap.dedent(text))
    # The example organization answers Organizations, so an organization stack reaches its config checks.
    organization = PROJECT_DIR / "stacks" / "organization.org.json"
    code = cli.main(
        ["plan", "--stack", "case", "--config-file", str(stack), "--organization", str(organization), "--json"]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


ROLES = """
  axonius-aws-access:roles:
    accounts:
      - id: "222222222222"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "config:\n  axonius-aws-access:rolse:\n    accounts:\n      - id: '222222222222'\n",
            "axonius-aws-access:rolse: unknown key (did you mean roles?); accepted keys are user, permissions, roles",
            id="typo of a top-level key",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:roles.accounts:\n    - id: '222222222222'\n",
            "axonius-aws-access:roles.accounts: unknown key (a path key: nest it as roles: {accounts: ...}",
            id="flat path key",
        ),
        pytest.param(
            "config:\n  axonius-aws-acess:user:\n    name: x\n",
            "axonius-aws-acess:user: unknown key; did you mean axonius-aws-access:user?",
            id="near-miss namespace",
        ),
        pytest.param(
            "config:\n  rolse: {}\n",
            "axonius-aws-access:rolse: unknown key (did you mean roles?)",
            id="bare key in the project namespace",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:user:\n    accessKey: yes\n",
            "user.accessKey: 'yes' is not accepted; expected true or false",
            id="YAML 1.2: yes is a string",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:user:\n    accessKey: on\n",
            "user.accessKey: 'on' is not accepted; expected true or false",
            id="YAML 1.2: on is a string",
        ),
        pytest.param(
            f"config:{ROLES}  axonius-aws-access:roles:\n    accounts: []\n",
            'duplicate key "axonius-aws-access:roles"',
            id="duplicate key",
        ),
        pytest.param(
            """
            config:
              axonius-aws-access:eks:
                clusters:
                  - {name: prod-eks, region: us-east-1}
                  - {name: prod-eks, region: us-east-1, account: "111111111111"}
            """,
            "eks.clusters[1]: cluster 'prod-eks' in us-east-1 of account 111111111111 is not accepted; expected each "
            "cluster once (eks.clusters[0] is the same cluster)",
            id="same cluster, home account implicit and explicit (one URN twice)",
        ),
        pytest.param(
            """
            config:
              axonius-aws-access:user: {name: Axonius}
              axonius-aws-access:roles:
                name: axonius
                accounts: [{id: "111111111111"}]
            """,
            "roles.name: 'axonius' is not accepted; expected a name other than user.name when roles.accounts lists "
            "the user's own account (111111111111): both would create policies named axonius-ReadOnly-1 there",
            id="two policies with one name in one account",
        ),
        pytest.param(
            """
            config:
              axonius-aws-access:permissions:
                sets: [cloud-asset-compliance]
                excludeActions: [EXCLUDED]
            """,
            "permissions.excludeActions: excludes every action of permission set cloud-asset-compliance",
            id="exclusions leave a set empty",
        ),
        pytest.param(
            """
            config:
              axonius-aws-access:permissions:
                sets: []
                extraActions: [ec2:describeregions]
                excludeActions: [EC2:DescribeRegions]
            """,
            "permissions.excludeActions: excludes every action of permissions.extraActions, and permissions.sets is "
            "empty: the user would get no policy",
            id="exclusions empty the extra actions of a stack without sets",
        ),
        pytest.param(
            "config:\n  aws:region: us-east-7\n",
            "aws:region: 'us-east-7' is not accepted; expected a region of partition aws (did you mean us-east-2?)",
            id="not a region",
        ),
        pytest.param(
            "config:\n  aws:region: cn-north-1\n",
            "aws:region: 'cn-north-1' is not accepted; expected a region of partition aws (it is in partition aws-cn)",
            id="a region of another partition",
        ),
        pytest.param(
            "config:\n  aws:region: us-east-7\n",
            "af-south-1 (opt-in), ap-east-1 (opt-in), ap-east-2 (opt-in), ap-northeast-1, ",
            id="the accepted regions say which are opt-in",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:eks:\n    clusters: [{name: c, region: eu-west-9}]\n",
            "eks.clusters[0].region: 'eu-west-9' is not accepted; expected a region of partition aws",
            id="a cluster region that does not exist",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:roles:\n    secure: v1:AAAAbm90IHJlYWxseSBjaXBoZXJ0ZXh0\n",
            "axonius-aws-access:roles is encrypted as a whole (secure: ...); expected a mapping in which only secret "
            "values are encrypted",
            id="whole-key secure value",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:user:\n    accessKey: false\n    activeKey: 2\n",
            "user.activeKey: 2 is not accepted; expected 1 or no value when user.accessKey is false",
            id="key slot without an access key",
        ),
        pytest.param(
            "config:\n  axonius-aws-access:organization:\n    organizationalUnits: [ou-ab12-11111111]\n",
            "organization.adminAccount: missing; expected a quoted string of 12 digits",
            id="organization without its admin account",
        ),
    ],
)
def test_refused_before_anything_is_declared(capsys, tmp_path, catalog, text, expected):
    if "EXCLUDED" in text:
        from components.permission_sets import permission_set

        text = text.replace("EXCLUDED", ", ".join(sorted(permission_set("cloud-asset-compliance", catalog))))
    code, out, err = plan_file(capsys, tmp_path, text)
    assert code == 2 and out == ""
    assert expected in err, err


def test_keys_of_other_providers_and_of_pulumi_stay_allowed(capsys, tmp_path):
    code, out, _ = plan_file(
        capsys,
        tmp_path,
        """
        config:
          aws:region: eu-west-1
          aws:profile: inventory
          kubernetes:enableServerSideApply: "true"
          pulumi:tags: {team: security}
          axonius-aws-access:user: {name: Axonius}
        """,
    )
    assert code == 0 and '"userName": "Axonius"' in out


def test_an_opt_in_region_is_planned_and_named(capsys, caplog, tmp_path):
    """The warning goes to the engine's log: the CLI shows it, the mock engine hands it to `logging`."""
    code, _, _ = plan_file(capsys, tmp_path, "config:\n  aws:region: af-south-1\n")
    assert code == 0
    assert any("af-south-1 is an opt-in region: enable it in each account" in r.message for r in caplog.records)


def test_timestamps_stay_strings_as_the_cli_reads_them(capsys, tmp_path):
    stack = "config:\n  aws:region: us-east-1\n  axonius-aws-access:user:\n    name: 2024-01-01\n"
    code, _, err = plan_file(capsys, tmp_path, stack)
    assert code == 0, err


def test_organization_regions_are_regions_of_the_partition(capsys, tmp_path):
    code, _, err = plan_file(
        capsys,
        tmp_path,
        """
        config:
          axonius-aws-access:organization:
            organizationalUnits: [ou-ab12-11111111]
            adminAccount: "999999999999"
            regions: [us-east-1, cn-north-1]
        """,
    )
    assert code == 2
    assert "organization.regions[1]: 'cn-north-1' is not accepted; expected a region of partition aws" in err


CLUSTER_NAMES = st.sampled_from(["a", "a-k8s", "a-binding", "k8s", "b"])
CLUSTERS = st.lists(
    st.fixed_dictionaries(
        {"name": CLUSTER_NAMES, "region": st.sampled_from(["us-east-1", "us-east-2"])},
        optional={"account": st.sampled_from(["111111111111", "222222222222"])},
    ),
    max_size=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clusters=CLUSTERS, home_role=st.booleans())
def test_an_accepted_config_never_declares_one_urn_twice(run_stack, clusters, home_role):
    """The engine refuses a URN registered twice, after creating what came before: we refuse such configs first."""
    accounts = [{"id": "222222222222"}] + ([{"id": "111111111111"}] if home_role else [])
    try:
        run = run_stack({"roles": {"accounts": accounts}, "eks": {"clusters": clusters}})
    except pulumi.RunError as error:
        assert "is the same cluster" in str(error)
        return
    # The mock's URN keeps only the parent's type: equal engine URNs (whole type chain) are equal here too.
    urns = [resource.urn for resource in run.resources]
    assert len(urns) == len(set(urns))
