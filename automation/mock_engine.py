"""Run the Pulumi program on Pulumi's mock engine, with AWS-shaped results, and record what it declares.

This is what `plan` runs offline: the real program, the real SDKs and the wire form of every
resource's inputs, with the cloud replaced by deterministic, realistic answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import runpy
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import Stack

from policy_pack.rules import resource_types as types

from .organization_file import Organization
from .project import PROJECT

DEFAULT_HOME_ACCOUNT = "111111111111"
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class DeclaredResource:
    urn: str
    type: str
    name: str
    parent: str
    provider: str
    custom: bool
    inputs: dict[str, Any]
    wire_inputs: struct_pb2.Struct = field(repr=False, compare=False)
    wire_outputs: struct_pb2.Struct = field(repr=False, compare=False)


@dataclass(frozen=True)
class StackOutput:
    value: Any
    secret: bool


@dataclass(frozen=True)
class MockRun:
    resources: tuple[DeclaredResource, ...]
    outputs: dict[str, StackOutput]


def _stable_id(prefix: str, *parts: str, length: int = 17) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:length]


def provider_allowed_accounts(inputs: Mapping[str, Any]) -> list[str]:
    """A provider's `allowedAccountIds`; the engine passes provider list inputs as JSON strings."""
    allowed = inputs.get("allowedAccountIds") or []
    return json.loads(allowed) if isinstance(allowed, str) else list(allowed)


class AwsMocks(pulumi.runtime.Mocks):
    """Answers shaped like AWS's: ARNs in the right account and partition, unique IDs, access keys."""

    def __init__(
        self,
        home_account: str = DEFAULT_HOME_ACCOUNT,
        partition: str = "aws",
        organization: Organization | None = None,
    ) -> None:
        self.home_account = home_account
        self.partition = partition
        # Organizations calls are answered from this tree (the plan's --organization file).
        self.organization = organization
        self._provider_accounts: dict[str, str] = {}

    def created_id(self, prefix: str, *parts: str, length: int = 17) -> str:
        """The ID AWS gives what it creates: derived from `parts`, so two plans of one stack compare equal.

        The hashed text ends in a separator (an empty last part): the IDs plans have always shown.
        """
        return _stable_id(prefix, *parts, "", length=length)

    def authentication_mode(self, cluster: str) -> str:
        """A cluster's EKS authentication mode: clusters made today default to both."""
        return "API_AND_CONFIG_MAP"

    def account_of(self, provider_reference: str) -> str:
        urn = provider_reference.rsplit("::", 1)[0]
        return self._provider_accounts.get(urn.rsplit("::", 1)[-1], self.home_account)

    def iam_arn(self, account: str, kind: str, path: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{account}:{kind}{path or '/'}{name}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            allowed = provider_allowed_accounts(inputs)
            if allowed:
                self._provider_accounts[args.name] = allowed[0]
            return self.created_id("provider-", args.name), inputs
        account = self.account_of(args.provider) if args.provider else self.home_account
        name = inputs.get("name") or args.name
        path = inputs.get("path", "/")
        if args.typ == types.IAM_USER:
            unique_id = self.created_id("AIDA", account, name)
            return name, {**inputs, "arn": self.iam_arn(account, "user", path, name), "uniqueId": unique_id}
        if args.typ == types.IAM_ROLE:
            unique_id = self.created_id("AROA", account, name)
            return name, {**inputs, "arn": self.iam_arn(account, "role", path, name), "uniqueId": unique_id}
        if args.typ == types.IAM_POLICY:
            arn = self.iam_arn(account, "policy", path, name)
            return arn, {**inputs, "arn": arn, "policyId": self.created_id("ANPA", arn)}
        if args.typ == types.IAM_ACCESS_KEY:
            key_id = self.created_id("AKIA", account, str(inputs.get("user")), args.name, length=16)
            secret = _stable_id("", key_id, "secret", length=40)
            return key_id, {**inputs, "secret": secret, "status": inputs.get("status") or "Active"}
        return self.created_id(f"{args.name}-", account, args.typ, length=8), inputs

    def eks_cluster(self, name: str, region: str, provider_reference: str) -> dict | tuple[dict, list]:
        account = self.account_of(provider_reference) if provider_reference else self.home_account
        endpoint_id = _stable_id("", account, region, name, length=32).lower()
        return {
            "id": name,
            "name": name,
            "region": region,
            "arn": f"arn:{self.partition}:eks:{region}:{account}:cluster/{name}",
            "endpoint": f"https://{endpoint_id}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthorities": [{"data": CERTIFICATE}],
            "accessConfigs": [
                {
                    "authenticationMode": self.authentication_mode(name),
                    "bootstrapClusterCreatorAdminPermissions": True,
                }
            ],
            "version": "1.31",
            "status": "ACTIVE",
        }

    # The SDK types only the (result, failures) tuple, but takes a bare dict too (MockMonitor.Invoke checks).
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict | tuple[dict, list]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            account = self.home_account
            return {
                "accountId": account,
                "arn": f"arn:{self.partition}:iam::{account}:user/deployer",
                "userId": _stable_id("AIDA", account, "deployer"),
                "id": account,
            }
        if args.token == "aws:eks/getCluster:getCluster":
            return self.eks_cluster(args.args["name"], args.args.get("region") or "us-east-1", args.provider)
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "dnsSuffix": "amazonaws.com", "id": self.partition}
        if args.token.startswith("aws:organizations/"):
            return self.organizations_call(args.token.rsplit(":", 1)[-1], args.args)
        return {}

    def organizations_call(self, function: str, args: Mapping[str, Any]) -> dict | tuple[dict, list]:
        """Organizations answered from the organization file, as the provider answers (errors included)."""
        organization = self.organization
        if organization is None:
            return {}, [("", "AWSOrganizationsNotInUseException: no organization file was given to the mock engine")]
        management = organization.management_account_id or self.home_account
        accounts_arn = f"arn:{self.partition}:organizations::{management}:account/{organization.id}"
        if function == "getOrganization":
            return {
                "id": organization.id,
                "arn": f"arn:{self.partition}:organizations::{management}:organization/{organization.id}",
                "masterAccountId": management,
                "masterAccountArn": f"{accounts_arn}/{management}",
                "featureSet": "ALL",
                "roots": [{"id": organization.root_id, "name": "Root"}],
            }
        if function == "getOrganizationalUnitDescendantAccounts":
            parent = args.get("parentId", "")
            if not organization.knows(parent):
                return {}, [("parentId", f"ParentNotFoundException: {parent} is not in organization {organization.id}")]
            accounts = [
                {
                    "id": account.id,
                    "arn": f"{accounts_arn}/{account.id}",
                    "name": account.name,
                    "email": f"aws+{account.id}@example.com",
                    "status": account.status,
                    "state": account.status,
                    "joinedMethod": "CREATED",
                    "joinedTimestamp": "2026-01-01T00:00:00Z",
                }
                for account in organization.descendant_accounts(parent)
            ]
            return {"id": parent, "parentId": parent, "accounts": accounts}
        return {}


CERTIFICATE = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\n"
    b"MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrOHMtY2Et\n"
    b"-----END CERTIFICATE-----\n"
).decode()


class RecordingMonitor(mocks.MockMonitor):
    """The mock monitor, also keeping each registration as the engine receives it."""

    def __init__(self, mock: pulumi.runtime.Mocks) -> None:
        super().__init__(mock)
        self.declared: list[DeclaredResource] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: the parent's whole type chain (the SDK's mock keeps only the parent's own
        type), without the root stack's type (the mock keeps it)."""
        parent_types = parent.split("::")[2] if parent else ""
        qualified = type_ if parent_types in ("", STACK_TYPE) else f"{parent_types}${type_}"
        return super().make_urn("", qualified, name)

    def RegisterResource(  # noqa: N802 (the engine's RPC name)
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        response = super().RegisterResource(request)
        if request.type != STACK_TYPE:
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.declared.append(
                DeclaredResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    provider=request.provider,
                    custom=request.custom,
                    inputs=inputs,
                    wire_inputs=request.object,
                    wire_outputs=response.object,
                )
            )
        return response


def run_program(
    program_dir: Path,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str],
    aws_mocks: pulumi.runtime.Mocks,
) -> MockRun:
    """Run `program_dir/__main__.py` as `pulumi up` would, against mocks; raise what the program raises."""
    monitor = RecordingMonitor(aws_mocks)
    # None makes set_mocks build a fresh root stack (it checks get_root_resource() is None); the SDK types the
    # parameter as Resource only.
    settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks.set_mocks(aws_mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    set_all_config(dict(config), secret_keys)
    root = cast(Stack, pulumi.runtime.get_root_resource())  # set_mocks made the root: a Stack
    outputs: dict[str, StackOutput] = {}

    async def resolve_outputs() -> None:
        for name, value in root.outputs.items():
            output = pulumi.Output.from_input(value)
            outputs[name] = StackOutput(value=await output.future(), secret=await output.is_secret())

    # The SDK's runner for programs on mocks: it runs the function, then waits for what it returns (here the
    # outputs' values) and for every outstanding registration, and raises what the program raised.
    @pulumi.runtime.test
    def program() -> Awaitable[None]:
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")
        return resolve_outputs()

    program()
    # Registration order depends on thread timing; URN order keeps plans reproducible for review.
    return MockRun(resources=tuple(sorted(monitor.declared, key=lambda r: r.urn)), outputs=outputs)
