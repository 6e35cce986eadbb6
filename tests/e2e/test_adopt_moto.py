"""`python -m automation adopt` against the vendor's guide done by hand in moto and a local Kubernetes API.

The guide's steps are performed as a customer performs them (`manual_setup.py`): a hand-named read-only policy,
the user with the key Axonius holds, the role in two more accounts (first trusting the home account, then
narrowed to the user), the assume-role policy, and in a cluster the kubectl steps and the aws-auth edit.
adopt reads all of it with the deploying credentials (an admin in the home account, the deploy role
elsewhere, through `AWS_ENDPOINT_URL`), and EKS tokens it signs itself, which the local API checks.

moto's EKS clusters answer an endpoint that does not exist: the test's Cloud points each cluster at its local
API (the one change to what adopt reads). moto has no EKS access entries, so the stack maps the cluster through
aws-auth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

import automation.__main__ as cli
from automation.adopt import run_adopt
from automation.adopt_cloud import Cloud, Cluster
from automation.plan import plan
from automation.verify import PASS, VerifyUsageError, aws_session, check_identity, check_key, target_from_outputs
from tests.e2e.manual_setup import (
    ADAPTER_POLICY,
    ASSUME_POLICY,
    NODES,
    ROLE,
    USER,
    ManualSetup,
    allow_assuming_roles,
    create_role,
    create_user_with_key,
    kubectl_as,
    kubectl_steps,
)
from tests.e2e.moto_deploy import admin, authorization_off
from tests.e2e.moto_server import moto_server
from tests.standin.kube_api import StandinKubeApi
from tests.test_adopt import urn_of

HOME, WORKLOADS, DATA = "111111111111", "222222222222", "333333333333"
CLUSTER = "home-eks"
STACK_FILE = {
    "config": {
        "aws:region": "us-east-1",
        "axonius-aws-access:roles": {
            "accounts": [{"id": WORKLOADS, "externalId": "axonius-workloads"}, {"id": DATA}],
        },
        "axonius-aws-access:eks": {"clusters": [{"name": CLUSTER, "region": "us-east-1", "mode": "awsAuth"}]},
    }
}


class LocalClusters(Cloud):
    """The deploying credentials' view, each EKS cluster answered at its local Kubernetes API."""

    def __init__(self, session: Any, apis: dict[str, StandinKubeApi]) -> None:
        super().__init__(session)
        self.apis = apis

    def cluster(self, account: str, region: str, name: str) -> Cluster | None:
        found = super().cluster(account, region, name)
        return found and replace(found, endpoint=self.apis[name].endpoint, certificate_authority="")


@dataclass
class World:
    url: str
    setup: ManualSetup
    api: StandinKubeApi
    stack_file: Path
    tmp: Path

    clients: dict[str, Any] = field(default_factory=dict)

    def iam(self, account: str = HOME) -> Any:
        if account not in self.clients:
            self.clients[account] = admin(self.url, account).client("iam", endpoint_url=self.url)
        return self.clients[account]

    def adopt(self, *options: str, stack_file: Path | None = None) -> int:
        args = cli.parser().parse_args(
            ["adopt", "--stack", "adopted", "--config-file", str(stack_file or self.stack_file), *options]
        )
        return run_adopt(args, LocalClusters(admin(self.url, HOME), {CLUSTER: self.api}))

    def attached(self, kind: str, name: str, account: str = HOME) -> set[str]:
        iam = self.iam(account)
        listing = (
            iam.list_attached_user_policies(UserName=name)
            if kind == "user"
            else iam.list_attached_role_policies(RoleName=name)
        )
        return {policy["PolicyName"] for policy in listing["AttachedPolicies"]}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's accounts and its authorization switch are one per process: leave both as a fresh moto has them."""
    with moto_server() as url:
        yield url
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        requests.post(f"{url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


@pytest.fixture
def world(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The guide done by hand, from a fresh moto: what every test starts from (IAM authorization off: adopt
    runs as the deploying admin)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    stack_file = tmp_path / "Pulumi.adopted.yaml"
    stack_file.write_text(yaml.safe_dump(STACK_FILE))
    with authorization_off(moto_url), StandinKubeApi(CLUSTER, {"mapRoles": NODES}) as api:
        home = admin(moto_url, HOME)
        home.client("eks", endpoint_url=moto_url).create_cluster(
            name=CLUSTER, roleArn=f"arn:aws:iam::{HOME}:role/eks", resourcesVpcConfig={}
        )
        setup = create_user_with_key(home.client("iam", endpoint_url=moto_url), HOME)
        for account in (WORKLOADS, DATA):
            create_role(admin(moto_url, account).client("iam", endpoint_url=moto_url), account, HOME, setup)
        allow_assuming_roles(home.client("iam", endpoint_url=moto_url), setup)
        with kubectl_as(admin(moto_url, HOME), api.endpoint, CLUSTER) as kubectl:
            kubectl_steps(kubectl, setup.user_arn)
        yield World(moto_url, setup, api, stack_file, tmp_path)


def adopted(world: World, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run adopt; its import file and its JSON report."""
    out = world.tmp / "import.json"
    assert world.adopt("--out", str(out), "--json") == 0, capsys.readouterr().err
    return json.loads(out.read_text()), json.loads(capsys.readouterr().out)


def by_type(import_file: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in import_file["resources"]:
        found.setdefault(entry["type"].rsplit(":", 1)[-1], []).append(entry)
    return found


def test_adopt_finds_each_part_of_the_guides_setup(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    import_file, report = adopted(world, capsys)
    ids = {kind: sorted(e["id"] for e in entries if "id" in e) for kind, entries in by_type(import_file).items()}
    assert ids["User"] == [USER]
    assert ids["AccessKey"] == [world.setup.access_key_id]  # the key Axonius holds, in the active slot
    assert ids["Role"] == [ROLE, ROLE]
    assert ids["ClusterRole"] == ["axonius-view-role"]
    assert ids["ClusterRoleBinding"] == ["axonius-view-cbr"]
    assert ids["AwsAuthMapping"] == [f"{CLUSTER}/mapUsers/{world.setup.user_arn}"]
    assert "Policy" not in ids  # the guide's policies have other names: the stack's own are created by up
    created = {entry["type"].rsplit(":", 1)[-1] for entry in report["createdByUp"]}
    assert created == {"Policy", "UserPolicyAttachment", "RolePolicyAttachment"}
    # adopt read the cluster with a token it signed: the admin's identity, as EKS sees it
    assert set(world.api.callers) == {f"arn:aws:iam::{HOME}:role/admin"}
    assert world.api.writes == 1  # the guide's own aws-auth edit; adopt wrote nothing


def test_the_import_file_names_the_urns_the_program_declares(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    import_file, report = adopted(world, capsys)
    entries = {entry["name"]: entry for entry in import_file["resources"]}
    declared = plan("adopted", config_file=world.stack_file, home_account=HOME, policies=False)
    by_urn = {r.urn: r for r in declared.resources}
    for entry in import_file["resources"]:
        resource = by_urn[urn_of(entries, entry, "adopted")]  # every entry is a resource the program declares
        assert resource.type == entry["type"] and resource.name == entry["logicalName"]
        provider = entries[entry["provider"]] if "provider" in entry else None
        declared_provider = by_urn.get(resource.provider.rsplit("::", 1)[0])
        assert (provider and urn_of(entries, provider, "adopted")) == (declared_provider and declared_provider.urn)
    urns = {urn_of(entries, entry, "adopted") for entry in import_file["resources"] if "id" in entry}
    assert urns == {a["urn"] for a in report["adopted"]}
    # the other accounts' roles come in through the provider that deploys there, with the program's inputs
    role_providers = {entries[e["provider"]]["inputs"]["allowedAccountIds"] for e in by_type(import_file)["Role"]}
    assert role_providers == {json.dumps([WORKLOADS]), json.dumps([DATA])}


def test_unmanaged_grants_are_reported_by_name(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    iam = world.iam()
    iam.put_user_policy(
        UserName=USER,
        PolicyName="AxoniusExtra",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ),
    )
    iam.create_group(GroupName="Auditors")
    iam.add_user_to_group(GroupName="Auditors", UserName=USER)
    iam.create_access_key(UserName=USER)
    out = world.tmp / "import.json"
    assert world.adopt("--out", str(out), "--json") == 2  # two keys: which one does Axonius hold?
    assert "name the one Axonius holds with --adapter-key-id" in capsys.readouterr().err
    assert world.adopt("--out", str(out), "--json", "--adapter-key-id", world.setup.access_key_id) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    unmanaged = {(f["where"].split(" (")[0], f["what"].split(" (")[0]) for f in findings if f["kind"] == "unmanaged"}
    assert unmanaged == {
        (f"user {USER}", f"managed policy {ADAPTER_POLICY}"),
        (f"user {USER}", f"managed policy {ASSUME_POLICY}"),
        (f"user {USER}", "inline policy AxoniusExtra"),
        (f"user {USER}", "member of group Auditors"),
        (f"user {USER}", next(f["what"] for f in findings if "not the adapter's" in f["what"]).split(" (")[0]),
        (f"role {ROLE}", f"managed policy {ADAPTER_POLICY}"),
    }
    changed = [f for f in findings if f["kind"] == "changed-by-up"]
    assert any("axonius-workloads" in f["what"] for f in changed)  # the stack adds the external ID condition
    # the guide's `--verb=list --resource=pods` is the stack's default rule: nothing to change there
    assert not [f for f in changed if "ClusterRole" in f["what"]]
    assert all(f.get("undo", "").startswith("aws iam ") for f in findings if "managed policy" in f["what"])


def test_a_different_aws_auth_entry_for_the_user_stops_the_run(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dict(world.api.data or {})
    entries = yaml.safe_load(data["mapUsers"])
    entries[0]["groups"].append("ops-view")
    world.api.store({**data, "mapUsers": yaml.safe_dump(entries)})
    out = world.tmp / "import.json"
    assert world.adopt("--out", str(out)) == 2
    error = capsys.readouterr().err
    assert f"an entry for {world.setup.user_arn} that is not the stack's" in error
    assert "beyond ours: ['ops-view']" in error and "nothing was changed" in error
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("names", "nothing it declares exists under its names"),
        ("trust", f"its trust policy lets in AWS arn:aws:iam::{HOME}:root"),
        ("aws-auth", "aws-auth mapUsers is not valid YAML"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    world: World, capsys: pytest.CaptureFixture[str], change: str, message: str
) -> None:
    stack_file = world.stack_file
    if change == "names":
        other = {"config": {"aws:region": "us-east-1", "axonius-aws-access:user": {"name": "Someone-Else"}}}
        stack_file = world.tmp / "Pulumi.other.yaml"
        stack_file.write_text(yaml.safe_dump(other))
    elif change == "trust":
        root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HOME}:root"}, "Action": "sts:AssumeRole"}
        world.iam(DATA).update_assume_role_policy(
            RoleName=ROLE, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [root]})
        )
    else:
        world.api.store({**(world.api.data or {}), "mapUsers": "- {userarn: [unclosed"})
    before = world.api.snapshot()
    out = world.tmp / "import.json"
    assert world.adopt("--out", str(out), stack_file=stack_file) == 2
    error = capsys.readouterr().err.splitlines()
    assert sum(message in line for line in error) == 1, error
    assert error[-1] == "nothing was changed" and not out.exists() and world.api.snapshot() == before
    assert world.attached("user", USER) == {ADAPTER_POLICY, ASSUME_POLICY}


def deploy_own_policies(world: World) -> dict[str, set[str]]:
    """What `pulumi up` after the import does to IAM: the stack's own policies, created and attached. Returns
    the policy names attached to each identity (`user` or the role's account)."""
    declared = plan("adopted", config_file=world.stack_file, home_account=HOME, policies=False)
    accounts = {
        r.urn: json.loads(r.inputs["allowedAccountIds"])[0]
        for r in declared.resources
        if r.type == "pulumi:providers:aws"
    }
    attached: dict[str, set[str]] = {}
    for resource in sorted(declared.resources, key=lambda r: not r.type.endswith("policy:Policy")):
        account = accounts.get(resource.provider.rsplit("::", 1)[0], HOME)
        iam, inputs = world.iam(account), resource.inputs
        if resource.type.endswith("policy:Policy"):
            iam.create_policy(PolicyName=inputs["name"], PolicyDocument=inputs["policy"])
        elif resource.type.endswith("userPolicyAttachment:UserPolicyAttachment"):
            iam.attach_user_policy(UserName=inputs["user"], PolicyArn=inputs["policyArn"])
            attached.setdefault("user", set()).add(inputs["policyArn"].rsplit("/", 1)[-1])
        elif resource.type.endswith("rolePolicyAttachment:RolePolicyAttachment"):
            iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])
            attached.setdefault(account, set()).add(inputs["policyArn"].rsplit("/", 1)[-1])
    return attached


def test_detach_waits_for_the_stacks_own_policies_then_leaves_only_them(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.iam().create_group(GroupName="Auditors")
    world.iam().add_user_to_group(GroupName="Auditors", UserName=USER)
    assert world.adopt("--detach-unmanaged") == 2
    assert "is not attached yet: run pulumi up first; nothing was detached" in capsys.readouterr().err
    assert world.attached("user", USER) == {ADAPTER_POLICY, ASSUME_POLICY}
    own = deploy_own_policies(world)
    assert world.adopt("--detach-unmanaged") == 0
    undo = capsys.readouterr().out
    assert world.attached("user", USER) == own["user"] and f"{USER}-AssumeRoles-1" in own["user"]
    for account in (WORKLOADS, DATA):
        assert world.attached("role", ROLE, account) == own[account] != set()
    assert world.iam().list_groups_for_user(UserName=USER)["Groups"] == []
    assert f"aws iam attach-user-policy --user-name {USER} --policy-arn {world.setup.policy_arns[HOME]}" in undo
    assert f"aws iam add-user-to-group --user-name {USER} --group-name Auditors" in undo


def test_verify_signs_with_the_adopted_key_and_the_secret_the_user_supplies(world: World, tmp_path: Path) -> None:
    """After the import the adopted slot's secret is not in the stack (`secretKnown: false`): verify takes it
    from a file, and the key is the one Axonius holds."""
    declared = plan("adopted", config_file=world.stack_file, home_account=HOME, policies=False)
    outputs = {name: output.value for name, output in declared.outputs.items()}
    outputs["accessKeys"] = [
        {"slot": 1, "accessKeyId": world.setup.access_key_id, "status": "Active", "secretKnown": False}
    ]
    outputs["accessKeyId"], outputs["secretAccessKey"], outputs["secretAccessKey1"] = (
        world.setup.access_key_id,
        None,
        None,
    )
    secret_file = tmp_path / "secret"
    secret_file.write_text(world.setup.secret_access_key + "\n")
    target = target_from_outputs(outputs, key_slot=1, secret_file=secret_file)
    session = aws_session(target.region, target.access_key_id, target.secret_access_key)
    assert check_identity(session, target).detail == world.setup.user_arn
    assert check_key(session, target, datetime.now(UTC)).status == PASS
    with pytest.raises(VerifyUsageError, match="give it with --secret-access-key-file"):
        target_from_outputs(outputs, key_slot=1)
