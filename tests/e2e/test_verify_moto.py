"""`python -m automation verify` against a moto server with IAM authorization on, and two local Kubernetes APIs.

The stack is the real program on the mock engine (adapter and security-services sets, a role in the user's own
account with an external ID, a role in a second account, a cluster in each), applied to moto as `pulumi up` would
apply it. verify runs with the key moto issued, through `AWS_ENDPOINT_URL`. Each check is shown passing on the
correct stack and failing on a stack broken in exactly one way.

What moto does not evaluate, and how these tests go around it (FINDINGS.md, "moto 5.2"):
- Cross-account trust and external IDs are not evaluated, but a *wrong* `sts:ExternalId` is denied within one
  account: so the role with an external ID lives in the user's own account, and the wrong-ID test uses it.
- `DurationSeconds` is not capped by the role's `MaxSessionDuration`: verify also reads the role's cap with the
  session's own `iam:GetRole`, and that is the failure shown here. AWS itself refuses the longer session
  (ValidationError), which verify reports the same way, but moto cannot show it.
- An Inactive key still signs requests in moto: verify reads the key's status with `iam:ListAccessKeys`, which is
  what shows an Inactive key here (AWS would also refuse the key itself).
- rest-json GETs fail moto's signature check (it signs parsed parameters, not the empty body): the module
  corrects that one computation for the duration of these tests (`rest_json_get_signatures_checked_as_aws_does`).
- moto's server does not accept presigned (query-string) signatures, so the Kubernetes APIs check EKS tokens
  with `tests/e2e/eks_authenticator.py`, which verifies the SigV4 query signature against the secret moto holds.
- moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES (seconds per account): the test that
  attaches AdministratorAccess adds that one policy from moto's own copy of AWS's data.
- moto has no `ssm:DescribeInstanceInformation`; verify's SSM read is `ssm:DescribeParameters` (names, no values).
- Security Hub is not enabled in moto's accounts (`InvalidAccessException`): the "not enabled counts as
  reachable" case is moto's own answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

import automation.__main__ as cli
from automation.mock_engine import AwsMocks, MockRun, run_program
from automation.verify import (
    FAIL,
    PASS,
    WARN,
    CheckResult,
    Principal,
    VerifyTarget,
    assume_role,
    aws_session,
    check_cluster,
    check_identity,
    check_key,
    check_reads,
    check_writes,
    target_from_outputs,
    verify,
)
from tests.conftest import PROJECT_DIR, stack_config
from tests.e2e.eks_authenticator import authenticator
from tests.e2e.moto_deploy import (
    MotoStack,
    add_aws_managed_policy,
    admin,
    authorization_off,
    rest_json_get_signatures_checked_as_aws_does,
)
from tests.e2e.moto_server import moto_server
from tests.fake_kube_api import FakeKubeApi

HOME, MEMBER = "111111111111", "222222222222"
HOME_ROLE = f"{HOME}/Axonius-Readonly-Role"  # the row of the role in the user's own account
GROUP = "axonius-readonly"
STACK: dict[str, Any] = {
    "permissions": {"sets": ["adapter", "security-services"]},
    "roles": {"accounts": [{"id": HOME, "externalId": "MY-SECRET"}, {"id": MEMBER}]},
    "eks": {
        "clusters": [
            {"name": "home-eks", "region": "us-east-1", "mode": "accessEntry"},
            {"name": "member-eks", "region": "us-east-1", "account": MEMBER, "mode": "awsAuth"},
        ]
    },
}
READS = 13  # 9 services of the adapter set, 4 of the security-services set


def declare(values: dict[str, Any]) -> MockRun:
    return run_program(PROJECT_DIR, "verify", stack_config(values), [], AwsMocks())


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with rest_json_get_signatures_checked_as_aws_does(), moto_server() as url:
        yield url
        # Other modules in this process start their own servers with authorization off.
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def declared() -> MockRun:
    return declare(STACK)


class Clusters:
    """A local Kubernetes API per cluster of the stack; the mapped identity's group may list pods."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.grants: dict[str, set[tuple[str, str]]] = {GROUP: {("list", "pods")}}
        self.mapped = {c["name"]: {c["identity"]: [GROUP]} for c in outputs["eksClusters"]}
        self.apis = {
            name: FakeKubeApi(authenticate=authenticator(name, groups), grants=self.grants)
            for name, groups in self.mapped.items()
        }

    def __enter__(self) -> Clusters:
        for api in self.apis.values():
            api.__enter__()
        return self

    def __exit__(self, *_: object) -> None:
        for api in self.apis.values():
            api.__exit__()

    def point(self, outputs: dict[str, Any]) -> dict[str, Any]:
        for entry in outputs["eksEndpoints"]:
            entry["endpoint"] = self.apis[entry["name"]].endpoint
        return outputs


@pytest.fixture
def world(moto_url, declared, monkeypatch) -> Iterator[tuple[MotoStack, Clusters]]:
    """The correct stack, freshly deployed: moto reset, a bucket in each account, authorization on."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    stack = MotoStack(moto_url)
    with authorization_off(moto_url):
        stack.apply(declared)
        for account in (HOME, MEMBER):
            admin(moto_url, account).client("s3", endpoint_url=moto_url).create_bucket(Bucket=f"inventory-{account}")
    with Clusters(stack.outputs) as clusters:
        clusters.point(stack.outputs)
        yield stack, clusters


def run_verify(outputs: dict[str, Any], **options: Any) -> list[CheckResult]:
    return verify(target_from_outputs(outputs, key_slot=options.pop("key_slot", None)), **options)


def by_cell(results: list[CheckResult]) -> dict[tuple[str, str], CheckResult]:
    cells = {(r.account, r.check): r for r in results}
    assert len(cells) == len(results), "one result per account and check"
    return cells


def failing(results: list[CheckResult]) -> set[tuple[str, str]]:
    return {(r.account, r.check) for r in results if r.status == FAIL}


def test_the_correct_stack_passes_every_check(world):
    stack, _ = world
    results = run_verify(stack.outputs)
    assert failing(results) == set(), [r for r in results if r.status != PASS]
    cells = by_cell(results)
    rows = {HOME, HOME_ROLE, MEMBER}
    assert {account for account, _ in cells} == rows | {"eks home-eks", "eks member-eks"}
    for row in rows:
        assert sum(check.startswith("read ") for account, check in cells if account == row) == READS
        for action in ("ec2:RunInstances", "iam:CreateUser", "s3:PutObject"):
            assert cells[(row, f"deny {action}")].detail == "denied"
    assert cells[(HOME, "identity")].detail == f"arn:aws:iam::{HOME}:user/Axonius-Readonly"
    assert cells[(HOME, "key")].detail.endswith("Active, 0 days old")
    assert "with external ID" in cells[(HOME_ROLE, "assume-role")].detail
    assert "14400 s session" in cells[(MEMBER, "assume-role")].detail
    assert "not enabled" in cells[(MEMBER, "read securityhub")].detail  # reachable, not switched on
    assert cells[(MEMBER, "read ec2")].detail == "allowed"
    assert "as arn:aws:iam::222222222222:role/Axonius-Readonly-Role" in cells[("eks member-eks", "eks pods")].detail
    assert cells[("eks home-eks", "eks secrets")].detail.endswith("403 forbidden")


def test_administrator_access_on_a_role_fails_its_writes_and_names_the_policy(world):
    stack, _ = world
    with authorization_off(stack.url):
        administrator = add_aws_managed_policy(MEMBER, "AdministratorAccess")
        stack.iam(MEMBER).attach_role_policy(RoleName="Axonius-Readonly-Role", PolicyArn=administrator)
    results = run_verify(stack.outputs)
    assert failing(results) == {(MEMBER, f"deny {a}") for a in ("ec2:RunInstances", "iam:CreateUser", "s3:PutObject")}
    detail = by_cell(results)[(MEMBER, "deny iam:CreateUser")].detail
    assert detail.startswith("iam:CreateUser is ALLOWED for arn:aws:iam::222222222222:role/Axonius-Readonly-Role")
    assert "allowed by AdministratorAccess (arn:aws:iam::aws:policy/AdministratorAccess)" in detail
    assert "; user axonius-verify-probe-" in detail and detail.endswith(" removed again")
    with authorization_off(stack.url):
        users = stack.iam(MEMBER).list_users()["Users"]
    assert not [u for u in users if u["UserName"].startswith("axonius-verify")]  # the probe cleaned up after itself


def test_a_wrong_external_id_fails_that_role_only(world):
    stack, _ = world
    outputs = dict(stack.outputs)
    entries = json.loads(outputs["roleArnFileJson"])
    entries[0]["external_id"] = "NOT-MY-SECRET"
    outputs["roleArnFileJson"] = json.dumps(entries)
    results = run_verify(outputs)
    assert failing(results) == {(HOME_ROLE, "assume-role")}
    assert "AccessDenied" in by_cell(results)[(HOME_ROLE, "assume-role")].detail
    assert [r.check for r in results if r.account == HOME_ROLE] == ["assume-role"]  # no session, nothing more
    assert by_cell(results)[(MEMBER, "assume-role")].status == PASS


def member_role(stack: MotoStack) -> tuple[VerifyTarget, CheckResult, Principal | None]:
    """The role in the second account, assumed as verify assumes it."""
    target = target_from_outputs(stack.outputs)
    home = aws_session(target.region, target.access_key_id, target.secret_access_key)
    result, session = assume_role(home, target.roles[1], target, MEMBER)
    return target, result, session and Principal(MEMBER, target.roles[1].arn, session, MEMBER)


def test_a_role_capping_sessions_below_max_session_duration_fails(world):
    stack, _ = world
    assert member_role(stack)[1].status == PASS
    with authorization_off(stack.url):
        stack.iam(MEMBER).update_role(RoleName="Axonius-Readonly-Role", MaxSessionDuration=3600)
    result = member_role(stack)[1]
    assert result.status == FAIL
    assert "caps sessions at 3600 s, shorter than maxSessionDuration 14400 s" in result.detail


def test_reads_the_role_may_not_make_fail_with_access_denied(world):
    stack, _ = world
    with authorization_off(stack.url):
        iam = stack.iam(MEMBER)
        for policy in iam.list_attached_role_policies(RoleName="Axonius-Readonly-Role")["AttachedPolicies"]:
            iam.detach_role_policy(RoleName="Axonius-Readonly-Role", PolicyArn=policy["PolicyArn"])
    target, _, principal = member_role(stack)
    assert principal is not None
    reads = check_reads(principal, target.permission_sets)
    assert len(reads) == READS and {r.status for r in reads} == {FAIL}
    assert all("AccessDenied" in r.detail for r in reads), [r.detail for r in reads]


def test_a_write_with_nothing_to_write_to_is_a_warning_not_a_pass(world):
    stack, _ = world
    with authorization_off(stack.url):
        admin(stack.url, MEMBER).client("s3", endpoint_url=stack.url).delete_bucket(Bucket=f"inventory-{MEMBER}")
    _, _, principal = member_role(stack)
    assert principal is not None
    writes = {r.check: r for r in check_writes(principal)}
    assert writes["deny s3:PutObject"].status == WARN
    assert writes["deny s3:PutObject"].detail == "not tried: no bucket in this account to try it on"
    assert writes["deny iam:CreateUser"].status == PASS


def test_a_key_of_another_user_fails_the_identity_check(world):
    stack, _ = world
    with authorization_off(stack.url):
        iam = stack.iam(HOME)
        iam.create_user(UserName="someone-else")
        other = iam.create_access_key(UserName="someone-else")["AccessKey"]
    target = target_from_outputs(stack.outputs)
    result = check_identity(aws_session(target.region, other["AccessKeyId"], other["SecretAccessKey"]), target)
    assert result.status == FAIL
    assert "signed in as arn:aws:iam::111111111111:user/someone-else" in result.detail
    unknown = check_identity(aws_session(target.region, "AKIANOTAKEY000000000", "x" * 40), target)
    assert unknown.status == FAIL and unknown.detail.startswith("the key is not accepted")


def test_an_inactive_key_fails_and_an_old_key_warns(world):
    stack, _ = world
    target = target_from_outputs(stack.outputs)
    home = aws_session(target.region, target.access_key_id, target.secret_access_key)
    aged = check_key(home, target, datetime.now(UTC) + timedelta(days=91))
    assert aged.status == WARN and "is 91 days old; rotate it" in aged.detail
    assert check_key(home, target, datetime.now(UTC) + timedelta(days=89)).status == PASS
    with authorization_off(stack.url):
        key = stack.keys[1]
        stack.iam(HOME).update_access_key(UserName=key["UserName"], AccessKeyId=key["AccessKeyId"], Status="Inactive")
    inactive = check_key(home, target, datetime.now(UTC))
    assert inactive.status == FAIL and inactive.detail == f"{key['AccessKeyId']} is Inactive"


def test_an_unmapped_identity_cannot_list_pods_and_a_group_reading_secrets_fails(world):
    stack, clusters = world
    clusters.mapped["member-eks"].clear()  # no access entry / aws-auth entry for the role
    clusters.grants[GROUP].add(("list", "secrets"))
    target, _, principal = member_role(stack)
    home_cluster, member_cluster = target.clusters
    home = aws_session(target.region, target.access_key_id, target.secret_access_key)
    assert principal is not None
    member = {r.check: r for r in check_cluster(member_cluster, principal.session)}
    assert member["eks pods"].status == FAIL and "401 token not accepted" in member["eks pods"].detail
    assert member["eks secrets"].status == FAIL  # not even forbidden: not signed in
    at_home = {r.check: r for r in check_cluster(home_cluster, home)}
    assert at_home["eks pods"].status == PASS
    assert at_home["eks secrets"].status == FAIL and at_home["eks secrets"].detail.endswith("200 allowed")


def test_the_command_reads_an_outputs_file_and_exits_by_the_result(world, tmp_path, capsys):
    stack, _ = world
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack.outputs))
    assert cli.main(["verify", "--outputs", str(path)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:3] == ["account", "identity", "key"]
    assert "0 failed" in text
    with authorization_off(stack.url):
        administrator = add_aws_managed_policy(MEMBER, "AdministratorAccess")
        stack.iam(MEMBER).attach_role_policy(RoleName="Axonius-Readonly-Role", PolicyArn=administrator)
    assert cli.main(["verify", "--outputs", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    assert {c["check"] for c in report["checks"] if c["status"] == FAIL} == {
        "deny ec2:RunInstances",
        "deny iam:CreateUser",
        "deny s3:PutObject",
    }


ROTATION = [(1, "absent"), (1, "active"), (2, "active"), (2, "inactive"), (2, "absent")]


def test_the_adapters_key_keeps_working_through_a_rotation(moto_url, monkeypatch):
    """Each step deployed in turn; Axonius takes the new key when it appears, verify passes with the key it holds."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    stack, held, retired = MotoStack(moto_url), 1, 1
    for active, other in ROTATION:
        before = set(stack.keys)
        with authorization_off(moto_url):
            stack.apply(declare({**STACK, "user": {"activeKey": active, "otherKey": other}}))
        if before and (appeared := set(stack.keys) - before):  # the new key: handed to Axonius once verify passes
            held, retired = appeared.pop(), held
        with Clusters(stack.outputs) as clusters:
            results = run_verify(clusters.point(stack.outputs), key_slot=held)
            assert failing(results) == set(), (active, other, [r for r in results if r.status == FAIL])
            if other == "inactive":
                old = by_cell(run_verify(stack.outputs, key_slot=retired))[(HOME, "key")]
                assert old.status == FAIL and old.detail.endswith("is Inactive")
    assert held == 2 and set(stack.keys) == {2}
