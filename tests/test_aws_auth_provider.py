"""The aws-auth dynamic provider through the real `kubernetes` client, against a local API server."""

from __future__ import annotations

import base64
import subprocess
import sys
from contextlib import contextmanager

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from kubernetes.client.rest import ApiException

from components.aws_auth_mapping import AwsAuthMappingProvider
from tests.conftest import PROJECT_DIR
from tests.fake_kube_api import FakeKubeApi
from tests.test_aws_auth_merge import config_maps, foreign, parsed

OUR_USER = "arn:aws:iam::111111111111:user/Axonius-Readonly"
NODES = (
    "- rolearn: arn:aws:iam::111111111111:role/eks-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups:\n  - system:bootstrappers\n  - system:nodes\n"
)
ADMINS = "- userarn: arn:aws:iam::111111111111:user/admin\n  username: admin\n  groups:\n  - system:masters\n"
FOREIGN = {"mapRoles": NODES, "mapUsers": ADMINS, "mapAccounts": "- '111111111111'\n"}


def props(api: FakeKubeApi, **overrides) -> dict:
    return {
        "mapKind": "mapUsers",
        "arn": OUR_USER,
        "username": "axonius-readonly",
        "groups": ["axonius-readonly"],
        "clusterName": "prod-eks",
        "region": "us-east-1",
        "endpoint": api.endpoint,
        "certificateAuthority": "",
        "roleArn": None,
        **overrides,
    }


def provider() -> AwsAuthMappingProvider:
    return AwsAuthMappingProvider(token_source=lambda _props: "test-token")


def entries(api: FakeKubeApi, kind: str) -> list:
    assert api.data is not None, "the aws-auth ConfigMap is gone"
    return yaml.safe_load(api.data.get(kind, "[]")) or []


def foreign_survives(api: FakeKubeApi) -> None:
    assert api.data is not None and api.config_map is not None, "the aws-auth ConfigMap is gone"
    assert yaml.safe_load(api.data["mapRoles"]) == yaml.safe_load(NODES)
    assert api.data["mapAccounts"] == FOREIGN["mapAccounts"]
    assert [e for e in entries(api, "mapUsers") if e["userarn"] != OUR_USER] == yaml.safe_load(ADMINS)
    assert api.config_map["metadata"]["labels"] == {"owner": "eks"}


def test_create_update_read_delete_touch_only_our_entry():
    with FakeKubeApi(FOREIGN) as api:
        p = provider()
        created = p.create(props(api))
        assert created.id == f"prod-eks/mapUsers/{OUR_USER}"
        assert entries(api, "mapUsers")[-1] == {
            "userarn": OUR_USER,
            "username": "axonius-readonly",
            "groups": ["axonius-readonly"],
        }
        foreign_survives(api)

        p.update(created.id, props(api), props(api, username="renamed"))
        assert [e["username"] for e in entries(api, "mapUsers")] == ["admin", "renamed"]
        foreign_survives(api)

        read = p.read(created.id, props(api))
        assert read.id == created.id and read.outs["username"] == "renamed"

        p.delete(created.id, props(api))
        assert api.data["mapUsers"] and entries(api, "mapUsers") == yaml.safe_load(ADMINS)
        foreign_survives(api)


def test_read_reports_drift_and_a_missing_entry():
    with FakeKubeApi(FOREIGN) as api:
        p = provider()
        created = p.create(props(api))
        drifted = [e | {"groups": ["other"]} if e["userarn"] == OUR_USER else e for e in entries(api, "mapUsers")]
        api.store({**api.data, "mapUsers": yaml.safe_dump(drifted)})
        assert p.read(created.id, props(api)).outs["groups"] == ["other"]
        api.store(FOREIGN)
        assert p.read(created.id, props(api)).id is None


def test_a_concurrent_writers_entry_is_never_lost():
    with FakeKubeApi(FOREIGN) as api:
        newcomer = {"userarn": "arn:aws:iam::111111111111:user/newcomer", "username": "n", "groups": ["dev"]}

        def concurrent_write(server: FakeKubeApi) -> None:
            assert server.data is not None
            server.store({**server.data, "mapUsers": yaml.safe_dump([*entries(server, "mapUsers"), newcomer])})

        api.after_get = concurrent_write
        provider().create(props(api))
        assert api.conflicts == 1
        users = entries(api, "mapUsers")
        assert newcomer in users and any(e["userarn"] == OUR_USER for e in users)

        api.after_get = concurrent_write  # the same race on delete
        provider().delete("id", props(api))
        users = entries(api, "mapUsers")
        assert newcomer in users and not any(e["userarn"] == OUR_USER for e in users)


def test_create_makes_the_config_map_when_absent_and_merges_when_it_appears_meanwhile():
    with FakeKubeApi() as api:
        provider().create(props(api))
        assert entries(api, "mapUsers") == [
            {"userarn": OUR_USER, "username": "axonius-readonly", "groups": ["axonius-readonly"]}
        ]
    with FakeKubeApi() as api:
        original_post = api.config_map

        def appear(server: FakeKubeApi) -> None:
            server.store(FOREIGN)

        assert original_post is None
        p = provider()
        # The first read finds nothing; someone creates aws-auth before our POST lands.
        real_api = p._api

        @contextmanager
        def racing_api(props_):
            with real_api(props_) as core:
                original = core.read_namespaced_config_map

                def read(*args, **kwargs):
                    try:
                        return original(*args, **kwargs)
                    except ApiException:
                        if api.config_map is None:
                            appear(api)
                        raise

                core.read_namespaced_config_map = read
                yield core

        p._api = racing_api
        p.create(props(api))
        assert api.conflicts == 1
        foreign_survives(api)


def test_delete_when_the_config_map_is_gone_is_a_no_op():
    with FakeKubeApi() as api:
        provider().delete("id", props(api))
        assert api.config_map is None and api.writes == 0


def test_invalid_yaml_stops_before_anything_is_written():
    with FakeKubeApi({**FOREIGN, "mapUsers": "- userarn: [broken"}) as api:
        with pytest.raises(ValueError, match="aws-auth mapUsers is not valid YAML"):
            provider().create(props(api))
        assert api.writes == 0


def test_the_bearer_token_reaches_the_api_server():
    with FakeKubeApi(FOREIGN, token="expected") as api:
        with pytest.raises(ApiException) as caught:
            provider().create(props(api))
        assert caught.value.status == 401


def test_diff_replaces_on_identity_or_cluster_and_updates_the_rest():
    p = provider()
    base = {
        "mapKind": "mapUsers",
        "arn": OUR_USER,
        "username": "a",
        "groups": ["g"],
        "clusterName": "c",
        "region": "us-east-1",
        "endpoint": "https://x",
        "certificateAuthority": "",
        "roleArn": None,
    }
    assert not p.diff("id", base, dict(base)).changes
    renamed = p.diff("id", base, base | {"username": "b"})
    assert renamed.changes and renamed.replaces == []
    moved = p.diff("id", base, base | {"arn": "arn:aws:iam::111111111111:user/other"})
    assert moved.replaces == ["arn"]


def test_the_provider_pickles_and_loads_in_a_fresh_interpreter_as_the_dynamic_host_does():
    from pulumi.dynamic.dynamic import serialize_provider

    encoded = serialize_provider(AwsAuthMappingProvider())
    code = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.stdin.read()))\n"
        "print(type(p).__name__, p.token_source.__name__)\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], input=encoded, cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == ["AwsAuthMappingProvider", "eks_bearer_token"]
    assert base64.b64decode(encoded)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config_maps())
def test_foreign_content_survives_create_update_and_delete_on_any_config_map(data):
    with FakeKubeApi(data) as api:
        p = provider()
        created = p.create(props(api))
        p.update(created.id, props(api), props(api, groups=["axonius-readonly", "inventory"]))
        assert foreign(api.data) == foreign(data)
        p.delete(created.id, props(api))
        assert parsed(api.data) == parsed(data)
