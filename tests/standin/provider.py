"""The provider protocol for the stand-in plugins: wire conversion, Check/Diff as the bridge computes them, and the
gRPC server the engine starts (`pulumi-resource-<name> <engine address>`, the port as the first stdout line).

A plugin supplies a `Cloud`: what each resource type does on create/read/update/delete, which inputs force a
replacement, and how invokes are answered.
"""

# ruff: noqa: N802 (the method names are the protocol's RPC names)

from __future__ import annotations

import json
import math
import random
import signal
import sys
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

# Outputs that are never inputs (what an import's Read leaves out of the inputs it reports).
OUTPUT_ONLY = frozenset({"id", "arn", "uniqueId", "tagsAll", "policyId", "attachmentCount", "createDate", "secret"})

# The engine's "unknown during preview" value.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

Properties = dict[str, Any]


class CloudError(Exception):
    """A failed cloud call: the engine shows its message on the resource, as a provider's error."""


@dataclass(frozen=True)
class Created:
    id: str
    outputs: Properties


@dataclass(frozen=True)
class Kind:
    """How one resource type behaves. `replace_on` are the inputs (or dotted paths into them) whose change replaces
    it (ForceNew in the Terraform schema the bridge reads); `computed` are the outputs only the cloud knows (unknown
    in a preview); `autoname` types get `<name>-<7 hex>` when no name is given; `imported` are the inputs an import
    takes from what Read finds."""

    replace_on: frozenset[str] = frozenset()
    computed: tuple[str, ...] = ()
    autoname: bool = False
    # The inputs `pulumi import` records from what Read finds (the ones the program sets); none: not importable.
    imported: tuple[str, ...] = ()


class Cloud(Protocol):
    kinds: Mapping[str, Kind]

    def configure(self, config: Properties) -> None: ...

    def create(self, type_: str, name: str, inputs: Properties) -> Created: ...

    def read(self, type_: str, id_: str, state: Properties) -> Properties | None: ...

    def update(self, type_: str, id_: str, olds: Properties, news: Properties) -> Properties: ...

    def delete(self, type_: str, id_: str, state: Properties) -> None: ...

    def invoke(self, token: str, args: Properties) -> Properties: ...


def from_wire(struct: struct_pb2.Struct) -> Properties:
    """A Struct as plain data; whole floats back to ints (the wire has only doubles)."""

    def plain(value: Any) -> Any:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(json_format.MessageToDict(struct))


def to_wire(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in properties.items() if v is not None})
    return struct


def sdk_plugin_version(package: str) -> str:
    """The plugin version an installed SDK asks the engine for (its pulumi-plugin.json)."""
    return str(json.loads(resources.files(package).joinpath("pulumi-plugin.json").read_text())["version"])


def _at(properties: Properties, path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def replaced_by(kind: Kind, key: str, olds: Properties, news: Properties) -> bool:
    """Whether a change of input `key` replaces the resource: the key itself, or a nested path under it
    (`metadata.name`), is ForceNew."""
    return key in kind.replace_on or any(
        path.startswith(f"{key}.") and (_at(olds, path) != _at(news, path) or has_unknown(_at(news, path)))
        for path in kind.replace_on
    )


def has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return value == UNKNOWN


def provider_list(value: Any) -> list[Any]:
    """A provider's list input: the engine passes provider inputs that are not strings as JSON strings."""
    if isinstance(value, str):
        return list(json.loads(value))
    return list(value or [])


@dataclass
class StandinProvider(provider_pb2_grpc.ResourceProviderServicer):
    name: str
    version: str
    cloud: Cloud
    configured: bool = field(default=False)

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=self.version)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> provider_pb2.GetSchemaResponse:
        return provider_pb2.GetSchemaResponse(schema=json.dumps({"name": self.name, "version": self.version}))

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        olds, news = from_wire(request.old_inputs or request.olds), from_wire(request.news)
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k) and not k.startswith("__"))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=changed,
        )

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext) -> Any:
        config = from_wire(request.args) if request.HasField("args") else {}
        for key, value in request.variables.items():  # `aws:config:region` style, for old engines
            config.setdefault(key.rsplit(":", 1)[-1], value)
        try:
            self.cloud.configure(config)
        except CloudError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        return provider_pb2.ConfigureResponse(acceptSecrets=False, supportsPreview=True, acceptResources=False)

    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext) -> Any:
        news = from_wire(request.news)
        kind = self.kind(request.type, context)
        if kind.autoname and "name" not in news:
            olds = from_wire(request.olds)
            # Like pulumi-aws: the resource's name and 7 random hex digits, kept across updates.
            seed = random.Random(request.randomSeed or request.urn)
            news["name"] = olds.get("name") or f"{request.name}-{seed.getrandbits(28):07x}"
        return provider_pb2.CheckResponse(inputs=to_wire(news))

    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext) -> Any:
        kind = self.kind(request.type, context)
        olds = from_wire(request.old_inputs) if request.HasField("old_inputs") else from_wire(request.olds)
        news = from_wire(request.news)
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k) or has_unknown(news.get(k)))
        replaces = [k for k in changed if replaced_by(kind, k, olds, news)]
        detailed = {
            k: provider_pb2.PropertyDiff(
                kind=provider_pb2.PropertyDiff.UPDATE_REPLACE if k in replaces else provider_pb2.PropertyDiff.UPDATE,
                inputDiff=True,
            )
            for k in changed
        }
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=replaces,
            diffs=changed,
            detailedDiff=detailed,
            hasDetailedDiff=True,
            # The bridge deletes first when a replaced resource keeps a name the user chose: the new one would clash.
            deleteBeforeReplace=bool(replaces) and kind.autoname and "name" in news and not has_unknown(news["name"]),
        )

    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext) -> Any:
        inputs = from_wire(request.properties)
        kind = self.kind(request.type, context)
        if request.preview:
            return provider_pb2.CreateResponse(properties=to_wire({**inputs, **dict.fromkeys(kind.computed, UNKNOWN)}))
        try:
            created = self.cloud.create(request.type, request.name, inputs)
        except CloudError as error:
            context.abort(grpc.StatusCode.UNKNOWN, f"creating {request.type} {request.name}: {error}")
        return provider_pb2.CreateResponse(id=created.id, properties=to_wire(created.outputs))

    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext) -> Any:
        state = from_wire(request.properties)
        importing = not state  # `pulumi import`: the engine knows only the ID
        kind = self.kind(request.type, context)
        if importing and not kind.imported:
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED, f"the stand-in {self.name} provider cannot import {request.type}"
            )
        try:
            found = self.cloud.read(request.type, request.id, state)
        except CloudError as error:
            context.abort(grpc.StatusCode.UNKNOWN, f"reading {request.type} {request.id}: {error}")
        if found is None:
            return provider_pb2.ReadResponse()  # gone: no ID
        if importing:  # its inputs are the ones an import records for this type
            inputs = {k: found[k] for k in kind.imported if k in found}
        else:
            inputs = from_wire(request.inputs) if request.HasField("inputs") else {}
        if not inputs:  # a read of an unmanaged resource: its inputs are its settable outputs
            inputs = {k: v for k, v in found.items() if k not in OUTPUT_ONLY and k not in kind.computed}
        return provider_pb2.ReadResponse(id=request.id, properties=to_wire(found), inputs=to_wire(inputs))

    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext) -> Any:
        olds, news = from_wire(request.olds), from_wire(request.news)
        kind = self.kind(request.type, context)
        if request.preview:
            kept = {k: olds[k] for k in kind.computed if k in olds}
            return provider_pb2.UpdateResponse(properties=to_wire({**olds, **news, **kept}))
        try:
            outputs = self.cloud.update(request.type, request.id, olds, news)
        except CloudError as error:
            context.abort(grpc.StatusCode.UNKNOWN, f"updating {request.type} {request.id}: {error}")
        return provider_pb2.UpdateResponse(properties=to_wire(outputs))

    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext) -> Any:
        try:
            self.cloud.delete(request.type, request.id, from_wire(request.properties))
        except CloudError as error:
            context.abort(grpc.StatusCode.UNKNOWN, f"deleting {request.type} {request.id}: {error}")
        return empty_pb2.Empty()

    def Invoke(self, request: provider_pb2.InvokeRequest, context: grpc.ServicerContext) -> Any:
        try:
            answer = self.cloud.invoke(request.tok, from_wire(request.args))
        except CloudError as error:
            return provider_pb2.InvokeResponse(failures=[provider_pb2.CheckFailure(property="", reason=str(error))])
        response = provider_pb2.InvokeResponse()
        getattr(response, "return").CopyFrom(to_wire(answer))  # `return` is a Python keyword
        return response

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    def kind(self, type_: str, context: grpc.ServicerContext) -> Kind:
        return self.cloud.kinds.get(type_, Kind())


def serve(provider: StandinProvider) -> None:
    """Listen on a free port, print it, and serve until the engine kills the process."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    # The engine ends its plugins with SIGINT when it is done: a normal end, not an error.
    signal.signal(signal.SIGINT, lambda *_: server.stop(0))
    server.wait_for_termination()
