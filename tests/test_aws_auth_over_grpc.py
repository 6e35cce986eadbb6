"""The aws-auth dynamic provider driven over the engine's gRPC protocol, in the host the engine starts.

One `python -m pulumi.dynamic` process serves the whole module, as one serves a whole `pulumi up`; the
Kubernetes API is tests/fake_kube_api.py (resourceVersion, 409 Conflict). Every write step runs with a
concurrent writer that adds its own entry between our read and our write; all of them must survive.
The request timeouts are checked in process, where they can be shortened.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import pytest
import yaml
from pulumi.runtime.proto import provider_pb2

from components import aws_auth_mapping
from components.aws_auth_mapping import AwsAuthMappingProvider
from components.eks_token import CLUSTER_HEADER, TOKEN_PREFIX
from tests.dynamic_host import PROVIDER_KEY, UNKNOWN, DynamicProviderHost, StaticToken, with_provider
from tests.fake_kube_api import FakeKubeApi
from tests.test_aws_auth_provider import ADMINS, FOREIGN, NODES, OUR_USER, entries, props

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
TEST_TOKEN = "test-token"
TEST_PROVIDER = AwsAuthMappingProvider(token_source=StaticToken(TEST_TOKEN))


@pytest.fixture(scope="module")
def host_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dynamic-host-tmp")


@pytest.fixture(scope="module")
def host(host_tmp: Path) -> Iterator[DynamicProviderHost]:
    env = {
        "TMPDIR": str(host_tmp),
        # Static credentials for the production token source: it signs locally, with no network call.
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_CONFIG_FILE": str(host_tmp / "absent-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(host_tmp / "absent-credentials"),
    }
    with DynamicProviderHost(env) as started:
        assert started.configure().acceptSecrets is False
        yield started


def inputs(api: FakeKubeApi, provider: AwsAuthMappingProvider = TEST_PROVIDER, **overrides: Any) -> dict[str, Any]:
    return with_provider(props(api, **overrides), provider)


class ConcurrentWriter:
    """Adds one foreign mapUsers entry right after the provider's next read, before its write."""

    def __init__(self) -> None:
        self.added: list[dict[str, Any]] = []

    def arm(self, api: FakeKubeApi) -> None:
        entry = {
            "userarn": f"arn:aws:iam::111111111111:user/concurrent-{len(self.added)}",
            "username": f"concurrent-{len(self.added)}",
            "groups": ["dev"],
        }
        self.added.append(entry)

        def write(server: FakeKubeApi) -> None:
            assert server.data is not None
            server.store({**server.data, "mapUsers": yaml.safe_dump([*entries(server, "mapUsers"), entry])})

        api.after_get = write

    def everyone_else_survives(self, api: FakeKubeApi) -> None:
        """Every entry and key that is not ours, the original ones and the concurrent writer's, is unchanged."""
        assert api.data is not None and api.config_map is not None, "the aws-auth ConfigMap is gone"
        assert yaml.safe_load(api.data["mapRoles"]) == yaml.safe_load(NODES)
        assert api.data["mapAccounts"] == FOREIGN["mapAccounts"]
        others = [entry for entry in entries(api, "mapUsers") if entry["userarn"] != OUR_USER]
        assert others == [*yaml.safe_load(ADMINS), *self.added]
        assert api.config_map["metadata"]["labels"] == {"owner": "eks"}


def our_entry(api: FakeKubeApi) -> dict[str, Any] | None:
    return next((entry for entry in entries(api, "mapUsers") if entry["userarn"] == OUR_USER), None)


def test_the_host_configures_as_the_engine_expects(host: DynamicProviderHost):
    assert host.configure().acceptSecrets is False  # so `__provider` arrives as a plain string


def test_preview_checks_and_diffs_unknown_inputs_without_touching_the_cluster(host: DynamicProviderHost):
    with FakeKubeApi(FOREIGN) as api:
        unknown = inputs(api, endpoint=UNKNOWN, certificateAuthority=UNKNOWN)
        checked = host.check({}, unknown)
        assert list(checked.failures) == []
        assert checked.inputs["endpoint"] == UNKNOWN and checked.inputs[PROVIDER_KEY] == unknown[PROVIDER_KEY]

        known = inputs(api)
        assert host.diff("id", known, unknown).changes == provider_pb2.DiffResponse.DIFF_SOME
        assert host.diff("id", known, unknown).replaces == []
        moved = host.diff("id", known, {**known, "arn": UNKNOWN})
        assert list(moved.replaces) == ["arn"]
        assert api.writes == 0 and api.data == FOREIGN


def test_create_read_diff_update_delete_touch_only_our_entry_under_concurrent_writes(host: DynamicProviderHost):
    with FakeKubeApi(FOREIGN) as api:
        writer = ConcurrentWriter()
        checked = host.check({}, inputs(api))
        news = dict(checked.inputs)

        writer.arm(api)
        id_, outs = host.create(news)
        assert id_ == f"prod-eks/mapUsers/{OUR_USER}" and outs[PROVIDER_KEY] == news[PROVIDER_KEY]
        assert our_entry(api) == {"userarn": OUR_USER, "username": "axonius-readonly", "groups": ["axonius-readonly"]}
        assert api.conflicts == 1
        writer.everyone_else_survives(api)

        read_id, read_outs = host.read(id_, outs, news)
        assert read_id == id_ and read_outs["groups"] == ["axonius-readonly"]

        renamed = {**news, "username": "inventory"}
        diff = host.diff(id_, outs, renamed)
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
        writer.arm(api)
        outs = host.update(id_, outs, renamed)
        ours = our_entry(api)
        assert ours is not None
        assert outs["username"] == "inventory" and ours["username"] == "inventory"
        assert api.conflicts == 2
        writer.everyone_else_survives(api)

        drifted = [
            entry | {"groups": ["other"]} if entry["userarn"] == OUR_USER else entry
            for entry in entries(api, "mapUsers")
        ]
        assert api.data is not None
        api.store({**api.data, "mapUsers": yaml.safe_dump(drifted)})
        assert host.read(id_, outs, renamed)[1]["groups"] == ["other"]

        writer.arm(api)
        host.delete(id_, outs)
        assert our_entry(api) is None
        assert api.conflicts == 3
        writer.everyone_else_survives(api)

        missing_id, missing_outs = host.read(id_, outs, renamed)
        assert missing_id == "" and set(missing_outs) == {PROVIDER_KEY}  # gone: the engine plans to create it again


@pytest.mark.parametrize("key", ["clusterName", "region", "mapKind", "arn"])
def test_diff_replaces_when_the_cluster_or_identity_changes(host: DynamicProviderHost, key: str):
    with FakeKubeApi(FOREIGN) as api:
        olds = inputs(api)
        moved = {
            "clusterName": "other-eks",
            "region": "eu-west-1",
            "mapKind": "mapRoles",
            "arn": "arn:aws:iam::111111111111:user/other",
        }
        diff = host.diff("id", olds, {**olds, key: moved[key]})
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == [key]


@pytest.mark.parametrize(
    "change", [{"username": "b"}, {"groups": ["a", "b"]}, {"endpoint": "http://127.0.0.1:2"}, {"roleArn": "x"}]
)
def test_diff_updates_in_place_for_everything_else(host: DynamicProviderHost, change: dict[str, Any]):
    with FakeKubeApi(FOREIGN) as api:
        olds = inputs(api)
        assert host.diff("id", olds, dict(olds)).changes == provider_pb2.DiffResponse.DIFF_NONE
        diff = host.diff("id", olds, {**olds, **change})
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_api_server_is_a_readable_grpc_error(host: DynamicProviderHost):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with FakeKubeApi() as api:
        unreachable = inputs(api, endpoint=endpoint)
    for call in (lambda: host.create(unreachable), lambda: host.delete("id", unreachable)):
        with pytest.raises(grpc.RpcError) as caught:
            call()
        assert caught.value.code() == grpc.StatusCode.UNKNOWN
        details = caught.value.details()
        assert details is not None
        last_line = details.strip().splitlines()[-1]
        assert last_line.startswith("components.aws_auth_mapping.KubernetesUnreachableError: cannot reach the")
        assert f"cluster prod-eks (us-east-1) at {endpoint}" in last_line and "Connection refused" in last_line


def test_a_silent_api_server_times_out_instead_of_hanging(monkeypatch: pytest.MonkeyPatch):
    """In process, with the timeouts shortened: the kernel accepts the connection, nobody ever answers."""
    monkeypatch.setattr(aws_auth_mapping, "REQUEST_TIMEOUT", (0.2, 0.2))
    with socket.create_server(("127.0.0.1", 0)) as silent, FakeKubeApi() as api:
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(aws_auth_mapping.KubernetesUnreachableError, match=f"at {endpoint}: .*timed out"):
            AwsAuthMappingProvider(token_source=StaticToken(TEST_TOKEN)).create(props(api, endpoint=endpoint))


class EksTokenKubeApi(FakeKubeApi):
    """Accepts only EKS tokens as `aws eks get-token` makes them; remembers the presigned URLs."""

    def __init__(self, data: dict[str, str]) -> None:
        self.presigned: list[str] = []
        super().__init__(data)

    def accepts(self, authorization: str | None) -> bool:
        token = (authorization or "").removeprefix("Bearer ")
        if not token.startswith(TOKEN_PREFIX):
            return False
        encoded = token.removeprefix(TOKEN_PREFIX)
        self.presigned.append(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
        return True


def test_the_production_provider_signs_its_eks_token_in_the_host(host: DynamicProviderHost):
    with EksTokenKubeApi(FOREIGN) as api:
        host.create(inputs(api, AwsAuthMappingProvider()))
        assert our_entry(api) is not None
        url = urlsplit(api.presigned[0])
        query = parse_qs(url.query)
        assert url.netloc == "sts.us-east-1.amazonaws.com" and query["Action"] == ["GetCallerIdentity"]
        assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY}/")
        assert CLUSTER_HEADER in query["X-Amz-SignedHeaders"][0].split(";")


def test_the_ca_file_exists_while_the_client_is_open_and_is_removed_after(host: DynamicProviderHost, host_tmp: Path):
    ca = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    seen: list[bytes] = []
    with FakeKubeApi(FOREIGN) as api:

        def look(_server: FakeKubeApi) -> None:
            seen.extend(path.read_bytes() for path in host_tmp.rglob("*.crt"))

        api.after_get = look
        host.create(inputs(api, certificateAuthority=base64.b64encode(ca).decode()))
        assert seen == [ca]
        assert list(host_tmp.iterdir()) == []
