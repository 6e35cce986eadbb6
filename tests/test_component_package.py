"""The component package (`component_provider/`) started exactly as the engine starts a Python plugin, driven over gRPC.

The engine runs `<plugin>/venv/bin/python <plugin dir> <engine address>` in the plugin folder and reads the
port from the first stdout line. The plugin folder is a copy of `component_provider/` in a checkout outside the
project, with a venv holding only the pins (`tests/installed.py`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)
from pulumi.runtime.rpc import wrap_rpc_secret

from automation.display import presentable
from automation.mock_engine import AwsMocks, RecordingMonitor
from automation.project import PROJECT
from components.component_host import package_version
from tests.conftest import PROJECT_DIR
from tests.installed import installed_venv

TYPE = "axonius-aws-access:index:AxoniusAccess"
STACK = "component"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
SCHEMA_SNAPSHOT = PROJECT_DIR / "component_provider" / "schema.json"
SECRET_EXTERNAL_ID = "MY-SECRET-EXTERNAL-ID"
CONFIG = {
    "roles": {"accounts": [{"id": "222222222222"}, {"id": "333333333333"}], "maxSessionDuration": 7200},
    "eks": {"clusters": [{"name": "prod-eks", "region": "us-east-1"}]},
}


class GrpcMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The mock engine's recording monitor behind a real gRPC server, as the engine's monitor is."""

    def __init__(self) -> None:
        self.monitor = _FixedStackMonitor(AwsMocks())

    def SupportsFeature(self, request, context):  # noqa: N802 (RPC names)
        return resource_pb2.SupportsFeatureResponse(hasSupport=self.monitor.SupportsFeature(request).hasSupport)

    def GetDeploymentInfo(self, request, context):  # noqa: N802
        return self.monitor.GetDeploymentInfo(request)

    def RegisterResource(self, request, context):  # noqa: N802
        return self.monitor.RegisterResource(request)

    def RegisterResourceOutputs(self, request, context):  # noqa: N802
        return empty_pb2.Empty()

    def Invoke(self, request, context):  # noqa: N802
        return self.monitor.Invoke(request)


class _FixedStackMonitor(RecordingMonitor):
    """URNs from the request alone: the mock monitor reads stack and project from context the gRPC threads lack."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
        return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


class Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request, context):  # noqa: N802
        self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=STACK_URN)

    def SetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.SetRootResourceResponse()


def serve(add: Any, servicer: Any) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[Engine, int]]:
    servicer = Engine()
    server, port = serve(engine_pb2_grpc.add_EngineServicer_to_server, servicer)
    yield servicer, port
    server.stop(None)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory, engine) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    # A checkout elsewhere, as `pulumi package add <repository>/component_provider@<version>` fetches one: the
    # plugin folder, and the project beside it (linked), which the plugin's own entry puts on the path.
    checkout = tmp_path_factory.mktemp("checkout")
    folder = checkout / "component_provider"
    shutil.copytree(PROJECT_DIR / "component_provider", folder, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    for name in ("components", "policy_pack", "pyproject.toml"):
        (checkout / name).symlink_to(PROJECT_DIR / name)
    python = installed_venv(folder / "venv", project_on_path=False)
    process = subprocess.Popen(
        [str(python), str(folder), f"127.0.0.1:{engine[1]}"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None  # both are pipes
    try:
        port = int(process.stdout.readline().strip())
    except ValueError:
        process.kill()
        pytest.fail(f"the plugin did not print its port: {process.stderr.read()}")
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    process.terminate()
    process.wait(timeout=10)


def test_get_schema_matches_the_checked_in_snapshot(plugin):
    """Regenerate `component_provider/schema.json` with `make schema` when the arguments change."""
    schema = json.loads(plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema == json.loads(SCHEMA_SNAPSHOT.read_text())
    inputs = schema["resources"][TYPE]["inputProperties"]
    assert set(inputs) == {"user", "permissions", "roles", "eks", "organization", "externalIds"}
    assert schema["types"]["axonius-aws-access:index:EksMode"]["enum"][0]["value"] == "auto"


def construct(plugin, inputs: dict[str, Any]) -> GrpcMonitor:
    servicer = GrpcMonitor()
    server, port = serve(resource_pb2_grpc.add_ResourceMonitorServicer_to_server, servicer)
    properties = struct_pb2.Struct()
    properties.update(inputs)
    try:
        plugin.Construct(
            provider_pb2.ConstructRequest(
                project=PROJECT,
                stack=STACK,
                config={"aws:region": "us-east-1"},
                dryRun=False,
                parallel=1,
                monitorEndpoint=f"127.0.0.1:{port}",
                type=TYPE,
                name=PROJECT,
                parent=STACK_URN,
                inputs=properties,
            )
        )
    finally:
        server.stop(None)
    return servicer


def comparable(resources, show_secrets: bool) -> set[tuple[str, str, str]]:
    return {
        (r.type, r.name, json.dumps(presentable(r.inputs, show_secrets), sort_keys=True))
        for r in resources
        if r.type != "pulumi:pulumi:Stack"
    }


def test_construct_registers_what_the_program_registers_with_a_secret_external_id(plugin, run_stack):
    program_config = json.loads(json.dumps(CONFIG))
    program_config["roles"]["accounts"][1]["externalId"] = SECRET_EXTERNAL_ID
    program = run_stack(program_config, secret=("roles",))
    constructed = construct(plugin, {**CONFIG, "externalIds": {"333333333333": wrap_rpc_secret(SECRET_EXTERNAL_ID)}})
    declared = constructed.monitor.declared
    assert comparable(declared, show_secrets=True) == comparable(program.resources, show_secrets=True)
    assert comparable(declared, show_secrets=False) == comparable(program.resources, show_secrets=False)
    assert_secret_external_id_in_trust(declared)


def assert_secret_external_id_in_trust(declared) -> dict[str, Any]:
    trust = {r.name: r.inputs["assumeRolePolicy"] for r in declared if r.type == "aws:iam/role:Role"}
    assert presentable(trust["role-333333333333"], False) == "[secret]"  # the secret reached the trust policy
    condition = json.loads(presentable(trust["role-333333333333"], True))["Statement"][0]["Condition"]
    assert condition == {"StringEquals": {"sts:ExternalId": SECRET_EXTERNAL_ID}}
    return trust


def test_a_whole_secret_map_of_external_ids_keeps_its_values_secret(plugin):
    """A map read as one secret (e.g. `config.requireSecretObject`) makes each of its values secret."""
    constructed = construct(plugin, {**CONFIG, "externalIds": wrap_rpc_secret({"333333333333": SECRET_EXTERNAL_ID})})
    trust = assert_secret_external_id_in_trust(constructed.monitor.declared)
    assert "Condition" not in json.loads(presentable(trust["role-222222222222"], False))["Statement"][0]


def test_bad_arguments_fail_the_construct_naming_the_key(plugin):
    with pytest.raises(grpc.RpcError) as caught:
        construct(plugin, {"roles": {"accounts": [{"id": "12345"}]}})
    assert "roles.accounts[0].id: '12345' is not accepted; expected a quoted string of 12 digits" in str(caught.value)


def test_an_object_argument_sent_as_one_secret_is_resolved_not_dropped(plugin):
    """A secret inside `roles` makes the SDK send all of `roles` as one secret output; its roles are still declared."""
    roles = {"accounts": [{"id": "222222222222"}, {"id": "333333333333", "externalId": SECRET_EXTERNAL_ID}]}
    roles["accounts"][1]["externalId"] = wrap_rpc_secret(SECRET_EXTERNAL_ID)
    constructed = construct(plugin, {"roles": roles})
    trust = assert_secret_external_id_in_trust(constructed.monitor.declared)
    assert set(trust) == {"role-222222222222", "role-333333333333"}


def test_get_schema_names_the_release(plugin):
    schema = json.loads(plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema["version"] == package_version() != "0.0.0"


# The wire's signature of an output value (Pulumi's property-value encoding), as an engine sends one to a
# provider that accepts outputs.
SIGNATURE_KEY, OUTPUT_VALUE = "4dabf18193072939515e22adb298388d", "d0e6a833031e9bbcd3f4e8bde6ca49a4"
CLUSTER_URN = f"urn:pulumi:{STACK}::{PROJECT}::aws:eks/cluster:Cluster::made"


def test_a_cluster_name_sent_as_another_resources_output_declares_that_clusters_access(plugin):
    name = {SIGNATURE_KEY: OUTPUT_VALUE, "value": "made-eks", "dependencies": [CLUSTER_URN]}
    constructed = construct(plugin, {"eks": {"clusters": [{"name": name, "region": "us-east-1"}]}})
    entries = [r for r in constructed.monitor.declared if r.type == "aws:eks/accessEntry:AccessEntry"]
    assert [(r.name, r.inputs["clusterName"]) for r in entries] == [
        ("eks-111111111111-us-east-1-made-eks-access-entry", "made-eks")
    ]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        pytest.param(
            {"eks": {"clusters": [{"name": "prod-eks", "region": "us-east-1", "mode": "bogus"}]}},
            "eks.clusters[0].mode: 'bogus' is not accepted; expected one of auto, accessEntry, awsAuth",
            id="an enum value the SDK would refuse in its own words",
        ),
        pytest.param(
            {"eks": {"clusters": [{"name": "prod-eks"}]}},
            "eks.clusters[0].region: missing; expected an AWS region such as us-east-1",
            id="a required key the SDK would refuse in its own words",
        ),
        pytest.param(
            {"externalIds": {"22222222222": "my-external-id"}, "roles": {"accounts": [{"id": "222222222222"}]}},
            "externalIds: '22222222222' is not accepted; expected an account of roles.accounts (222222222222)",
            id="a mistyped account of externalIds",
        ),
    ],
)
def test_arguments_are_refused_in_the_stack_files_words(plugin, inputs, expected):
    with pytest.raises(grpc.RpcError) as caught:
        construct(plugin, inputs)
    assert expected in str(caught.value)
