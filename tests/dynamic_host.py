"""Pulumi's Python dynamic-provider host, started as the engine starts it, and the engine's side of its protocol.

The engine runs `python -u -m pulumi.dynamic <engine address>` (what `pulumi-resource-pulumi-python` does)
from the project root, reads the port from the first stdout line and talks `ResourceProvider` gRPC. Each
request carries the provider pickled by the SDK's `serialize_provider` in `__provider`, as a plain string:
the host's Configure answers `acceptSecrets: false`, so the engine strips secrets, and it leaves unset
(None) properties off the wire.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.aws_auth_mapping import AwsAuthMappingProvider
from tests.conftest import PROJECT_DIR

PROVIDER_KEY = "__provider"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel during preview
URN = "urn:pulumi:test::axonius-aws-access::pulumi-python:dynamic/eks:AwsAuthMapping::aws-auth-prod-eks"
CALL_TIMEOUT = 120  # seconds: a hung call fails the test instead of hanging the suite


@dataclass(frozen=True)
class StaticToken:
    """A bearer-token source for tests; the pickled provider carries it into the host, as it carries the real one."""

    token: str

    def __call__(self, _props: Mapping[str, Any]) -> str:
        return self.token


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in props.items() if value is not None})
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


def with_provider(props: Mapping[str, Any], provider: AwsAuthMappingProvider) -> dict[str, Any]:
    return {**props, PROVIDER_KEY: serialize_provider(provider)}


class DynamicProviderHost:
    """`python -m pulumi.dynamic` in the project root; each call is one engine request."""

    def __init__(self, env: Mapping[str, str]) -> None:
        """`env` on top of this process's environment less its AWS settings: the host sees only the test's."""
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        self.env = {**inherited, "PULUMI_PROJECT": "axonius-aws-access", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None

    def __enter__(self) -> DynamicProviderHost:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.process.kill()
            _, stderr = self.process.communicate()
            raise RuntimeError(f"the dynamic provider host did not start: {stderr.decode()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        return self

    def __exit__(self, *_: object) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.process is not None:
            self.process.terminate()
            self.process.communicate(timeout=30)

    @property
    def rpc(self) -> provider_pb2_grpc.ResourceProviderStub:
        assert self.stub is not None, "use the host as a context manager"
        return self.stub

    def configure(self) -> provider_pb2.ConfigureResponse:
        request = provider_pb2.ConfigureRequest(args=to_struct({}), acceptSecrets=True, acceptResources=True)
        return self.rpc.Configure(request, timeout=CALL_TIMEOUT)

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> provider_pb2.CheckResponse:
        request = provider_pb2.CheckRequest(urn=URN, olds=to_struct(olds), news=to_struct(news))
        return self.rpc.Check(request, timeout=CALL_TIMEOUT)

    def diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> provider_pb2.DiffResponse:
        request = provider_pb2.DiffRequest(id=id_, urn=URN, olds=to_struct(olds), news=to_struct(news))
        return self.rpc.Diff(request, timeout=CALL_TIMEOUT)

    def create(self, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(urn=URN, properties=to_struct(inputs))
        response = self.rpc.Create(request, timeout=CALL_TIMEOUT)
        return response.id, from_struct(response.properties)

    def read(self, id_: str, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=URN, properties=to_struct(outputs), inputs=to_struct(inputs))
        response = self.rpc.Read(request, timeout=CALL_TIMEOUT)
        return response.id, from_struct(response.properties)

    def update(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(id=id_, urn=URN, olds=to_struct(olds), news=to_struct(news))
        return from_struct(self.rpc.Update(request, timeout=CALL_TIMEOUT).properties)

    def delete(self, id_: str, outputs: Mapping[str, Any]) -> None:
        request = provider_pb2.DeleteRequest(id=id_, urn=URN, properties=to_struct(outputs))
        self.rpc.Delete(request, timeout=CALL_TIMEOUT)
