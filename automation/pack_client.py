"""Drive the policy pack exactly as the Pulumi engine does: a child process and its gRPC Analyzer service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from components.config_validation import parse_stack_config
from components.stack_config import CONFIG_KEYS, NAMESPACE, StackConfig
from policy_pack.rules.iam_actions import default_catalog

from .deploying_account import deploying_account, partition_of
from .deploying_account import user_arn as iam_user_arn
from .mock_engine import DeclaredResource
from .project import PROJECT
from .stack_file import StackSettings

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def mandatory(violations: Iterable[Violation]) -> tuple[Violation, ...]:
    """The findings that block a deployment."""
    return tuple(v for v in violations if v.level == "mandatory")


class PolicyPackError(RuntimeError):
    pass


PackConfig = dict[str, dict[str, Any]]
# The policies that read the stack's own names: the role name the user may assume, the user its roles trust.
ASSUMABLE_ROLE_POLICIES = ("iam-read-only-actions", "iam-customer-policy-attachments", "iam-adopted-identities")
TRUST_POLICIES = ("iam-role-trust", "iam-adopted-identities")


def read_pack_config(path: Path) -> PackConfig:
    """A policy config file as `pulumi --policy-pack-config` reads it: {"policy": {"enforcementLevel", ...}}."""
    try:
        config = json.loads(path.read_text())
    except OSError as error:
        raise PolicyPackError(f"cannot read policy config file {path}: {error.strerror}") from None
    except ValueError as error:
        raise PolicyPackError(f"policy config file {path} is not valid JSON: {error}") from None
    if not isinstance(config, dict) or not all(isinstance(v, dict) for v in config.values()):
        raise PolicyPackError(f'policy config file {path}: expected {{"<policy>": {{"enforcementLevel": ...}}, ...}}')
    return config


def stack_identity(settings: StackSettings) -> StackConfig:
    """The stack's parsed config (raises `ConfigError`), from its settings as the program would read them."""
    raw: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = settings.config.get(f"{NAMESPACE}:{key}")
        if value is not None:
            try:
                raw[key] = json.loads(value)
            except ValueError:
                raw[key] = value
    secret = frozenset(key for key in CONFIG_KEYS if f"{NAMESPACE}:{key}" in settings.secret_keys)
    region = settings.config.get("aws:region")
    return parse_stack_config(raw, default_catalog(), secret_keys=secret, region=region)


def deploying_user_arn(settings: StackSettings, home_account: str | None = None) -> str:
    """The user's exact ARN where preview or up deploys it: in `home_account` when given (the partition of the
    stack's `aws:region`), else in the account of the deploying credentials (raises `DeployingAccountError`)."""
    user = stack_identity(settings).user  # a bad config is named before any call to AWS
    if home_account:
        partition, account = partition_of(settings.config.get("aws:region")), home_account
    else:
        partition, account = deploying_account()
    return iam_user_arn(partition, account, user.path, user.name)


def stack_pack_config(config_file: Path, settings: StackSettings, user_arn: str) -> PackConfig:
    """The policy config file plus this stack's own names, for `plan`, `preview` and `up` alike.

    The user may assume only roles named as the stack's `roles.name`; roles may trust only the stack's user, by
    its exact ARN (`plan` knows it from the mock engine, preview and up from the deploying account): a name alone
    would trust a user of that name in any account. Names the config file already lists are kept.
    """
    stack = stack_identity(settings)
    config = {name: dict(values) for name, values in read_pack_config(config_file).items()}

    def add(policy: str, key: str, value: str) -> None:
        entry = config.setdefault(policy, {})
        listed = entry.get(key, [])
        if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
            raise PolicyPackError(f"{config_file}: {policy}.{key} is {listed!r}; expected a list of names")
        entry[key] = sorted({*listed, value})

    for policy in ASSUMABLE_ROLE_POLICIES:
        add(policy, "assumableRoleNames", stack.roles.name)
    for policy in TRUST_POLICIES:
        add(policy, "trustedPrincipals", user_arn)
    return config


class PolicyPackProcess:
    """`python -u -m pulumi.policy <engine> .` in the pack folder; its port is the first line it prints."""

    def __init__(self, pack_dir: Path, *, stack: str = "dev") -> None:
        env = {
            **os.environ,
            "PULUMI_CONFIG": "{}",
            "PULUMI_PROJECT": PROJECT,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",  # as in a preview: plan deploys nothing
        }
        # Nothing logs to the engine address unless a policy fails, which the stub never serves.
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
            cwd=pack_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first_line = self.process.stdout.readline().strip() if self.process.stdout else ""
        if not first_line.isdigit():
            self.close()
            raise PolicyPackError(f"the policy pack did not start: {first_line or self._stderr()}")
        self.port = int(first_line)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _stderr(self) -> str:
        try:
            return self.process.communicate(timeout=5)[1].strip()
        except subprocess.TimeoutExpired:
            return "(no output)"

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, config: Mapping[str, Mapping[str, Any]]) -> None:
        """Per-policy config as in a policy config file: {"policy": {"enforcementLevel": ..., other keys}}.

        As the engine does, a policy whose entry names no level keeps the level the pack gives it.
        """
        defaults = {policy.name: policy.enforcementLevel for policy in self.info().policies}
        policy_config = {}
        for name, values in config.items():
            if name not in defaults:
                raise PolicyPackError(f"the policy config names {name!r}, which is not a policy of this pack")
            properties = {key: value for key, value in values.items() if key != "enforcementLevel"}
            level = values.get("enforcementLevel")
            if level is not None and level not in LEVEL_VALUES:
                raise PolicyPackError(
                    f"{name}.enforcementLevel is {level!r}; expected one of {', '.join(LEVEL_VALUES)}"
                )
            policy_config[name] = analyzer_pb2.PolicyConfig(
                enforcementLevel=defaults[name] if level is None else LEVEL_VALUES[level],
                properties=to_struct(properties),
            )
        self.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config))

    def analyze(self, message: analyzer_pb2.AnalyzerResource) -> list[Violation]:
        request = analyzer_pb2.AnalyzeRequest(
            type=message.type, properties=message.properties, urn=message.urn, name=message.name
        )
        return violations(self.stub.Analyze(request).diagnostics, default_urn=message.urn)

    def analyze_stack(self, messages: Iterable[analyzer_pb2.AnalyzerResource]) -> list[Violation]:
        response = self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=list(messages)))
        return violations(response.diagnostics)

    def close(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> PolicyPackProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(value)), struct)
    return struct


def analyzer_resource(resource: DeclaredResource, *, deployed: bool = False) -> analyzer_pb2.AnalyzerResource:
    """As the engine sends it: inputs to `Analyze`, the deployed state (with ARNs) to `AnalyzeStack` after `up`."""
    message = analyzer_pb2.AnalyzerResource(
        type=resource.type,
        properties=resource.wire_outputs if deployed else resource.wire_inputs,
        urn=resource.urn,
        name=resource.name,
        parent=resource.parent,
    )
    if resource.provider:  # "<provider urn>::<id>"; the engine names the provider, so rules can tell clusters apart
        urn = resource.provider.rsplit("::", 1)[0]
        message.provider.CopyFrom(analyzer_pb2.AnalyzerProviderResource(urn=urn, name=urn.rsplit("::", 1)[-1]))
    return message


def violations(diagnostics: Iterable[analyzer_pb2.AnalyzeDiagnostic], default_urn: str = "") -> list[Violation]:
    """Findings as the engine reports them; the SDK prefixes each message with its policy's description."""
    return [
        Violation(
            policy=d.policyName,
            level=LEVELS.get(d.enforcementLevel, "advisory"),
            urn=d.urn or default_urn,
            message=d.message.removeprefix(f"{d.description}\n"),
        )
        for d in diagnostics
    ]


def evaluate_stack(
    pack_dir: Path,
    stack: str,
    resources: Iterable[DeclaredResource],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Violation]:
    """Every resource through `Analyze`, then the whole stack through `AnalyzeStack`, as `pulumi up` does.

    `config` is the pack's policy config (see `stack_pack_config`); without it, the pack folder's own
    `policy-config.json` (the project's defaults) applies.
    """
    declared = [r for r in resources if r.custom]
    default_file = pack_dir / "policy-config.json"
    if config is None and default_file.exists():
        config = read_pack_config(default_file)
    with PolicyPackProcess(pack_dir, stack=stack) as pack:
        if config:
            pack.configure(config)
        found = [violation for resource in declared for violation in pack.analyze(analyzer_resource(resource))]
        return found + pack.analyze_stack(analyzer_resource(resource, deployed=True) for resource in declared)
