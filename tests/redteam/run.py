"""The red-team corpus, run through the pack as the engine runs it.

Cases live in `cases/*.yaml` (format in `cases/README.md`). The pack is started once as the engine starts it
(`PolicyPackProcess`: `python -u -m pulumi.policy <engine> .` in `policy_pack/`); for each case it is configured
(the project's `policy-config.json`, then the case's overrides), every resource goes through `Analyze` as the
engine sends it before creating it, then all of them through `AnalyzeStack`. A case's verdict is computed from
the findings: `reject` when any is mandatory, `sensitive` when none is but `iam-no-sensitive-reads` reported,
otherwise `accept`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime.proto import analyzer_pb2

from automation.pack_client import PolicyPackProcess, Violation, to_struct, violations

CASES_DIR = Path(__file__).resolve().parent / "cases"
PROJECT_DIR = Path(__file__).resolve().parents[2]
PACK_DIR = PROJECT_DIR / "policy_pack"
STACK, PROJECT = "redteam", "axonius-aws-access"
EXPECTATIONS = ("reject", "accept", "sensitive")
SENSITIVE_POLICY = "iam-no-sensitive-reads"
CASE_KEYS = frozenset({"id", "why", "expect", "config", "resources"})
RESOURCE_KEYS = frozenset({"type", "name", "props", "provider", "parent", "dependencies"})


class CaseError(ValueError):
    """A case file that does not follow the format: named by file, case and key."""


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    provider: str | None = None
    parent: str | None = None
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    expect: str
    resources: tuple[Resource, ...]
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str
    findings: tuple[Violation, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return self.verdict == self.case.expect


def urn(type_: str, name: str, parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise CaseError(f"{where}: {message}")


def _resource(raw: Any, where: str) -> Resource:
    _require(isinstance(raw, dict), where, f"a resource is {raw!r}; expected a mapping")
    unknown = set(raw) - RESOURCE_KEYS
    _require(not unknown, where, f"unknown key(s) {sorted(unknown)}; accepted: {sorted(RESOURCE_KEYS)}")
    for key in ("type", "name"):
        _require(isinstance(raw.get(key), str) and raw[key], where, f"{key} is {raw.get(key)!r}; give a string")
    props = raw.get("props", {})
    _require(isinstance(props, dict), where, f"props is {props!r}; expected a mapping of wire (camelCase) names")
    dependencies = raw.get("dependencies", {})
    _require(
        isinstance(dependencies, dict)
        and all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in dependencies.values()),
        where,
        f"dependencies is {dependencies!r}; expected {{property: [resource names]}}",
    )
    return Resource(raw["type"], raw["name"], props, raw.get("provider"), raw.get("parent"), dependencies)


def parse_case(raw: Any, source: str) -> Case:
    where = f"{source}: case {raw.get('id') if isinstance(raw, dict) else raw!r}"
    _require(isinstance(raw, dict), where, "a case must be a mapping")
    unknown = set(raw) - CASE_KEYS
    _require(not unknown, where, f"unknown key(s) {sorted(unknown)}; accepted: {sorted(CASE_KEYS)}")
    _require(isinstance(raw.get("id"), str) and raw["id"], where, "id must be a non-empty string")
    _require(isinstance(raw.get("why"), str) and raw["why"], where, "why must say what the case tries")
    _require(raw.get("expect") in EXPECTATIONS, where, f"expect is {raw.get('expect')!r}; one of {EXPECTATIONS}")
    config = raw.get("config", {})
    _require(isinstance(config, dict), where, f"config is {config!r}; expected {{policy: {{key: value}}}}")
    resources = raw.get("resources")
    _require(isinstance(resources, list) and bool(resources), where, "resources must be a non-empty list")
    parsed = tuple(_resource(item, where) for item in resources)
    names = [r.name for r in parsed]
    _require(len(set(names)) == len(names), where, f"resource names repeat: {names}")
    for r in parsed:
        for target in [r.parent, *(n for ns in r.dependencies.values() for n in ns)]:
            _require(target is None or target in names, where, f"{r.name} refers to {target!r}, not in this case")
    return Case(raw["id"], raw["why"], raw["expect"], parsed, config, source)


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        listed = yaml.safe_load(path.read_text())
        if not isinstance(listed, list):
            raise CaseError(f"{path.name}: expected a YAML list of cases")
        cases.extend(parse_case(raw, path.name) for raw in listed)
    ids = [case.id for case in cases]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CaseError(f"case ids repeat: {repeated}")
    return cases


def _provider_resource(case: Case, reference: str) -> Resource | None:
    """The case's provider resource a `provider:` names: by its name, or by a URN ending in its type and name."""
    return next(
        (
            r
            for r in case.resources
            if reference in (r.name, urn(r.type, r.name))
            or (r.type.startswith("pulumi:providers:") and reference.endswith(f"::{r.type}::{r.name}"))
        ),
        None,
    )


def messages(case: Case) -> list[analyzer_pb2.AnalyzerResource]:
    """Each resource as the engine sends it: URN, parent, provider and property dependencies by URN."""
    by_name = {r.name: r for r in case.resources}
    urns = {r.name: urn(r.type, r.name, by_name[r.parent].type if r.parent else None) for r in case.resources}
    sent = []
    for r in case.resources:
        message = analyzer_pb2.AnalyzerResource(
            type=r.type, properties=to_struct(dict(r.props)), urn=urns[r.name], name=r.name
        )
        if r.parent:
            message.parent = urns[r.parent]
        for key, targets in r.dependencies.items():
            message.propertyDependencies[key].urns.extend(urns[t] for t in targets)
        if r.provider:
            declared = _provider_resource(case, r.provider)
            provider_urn = urns[declared.name] if declared else r.provider
            provider_type = provider_urn.split("::")[-2] if "::" in provider_urn else ""
            provider_props = dict(declared.props) if declared else {}
            message.provider.CopyFrom(
                analyzer_pb2.AnalyzerProviderResource(
                    type=provider_type,
                    urn=provider_urn,
                    name=provider_urn.rsplit("::", 1)[-1],
                    properties=to_struct(provider_props),
                )
            )
        sent.append(message)
    return sent


def base_config() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads((PACK_DIR / "policy-config.json").read_text())
    return loaded


def case_config(case: Case) -> dict[str, dict[str, Any]]:
    config = base_config()
    for policy, values in case.config.items():
        config[policy] = {**config.get(policy, {}), **values}
    return config


def verdict(found: Iterable[Violation]) -> str:
    listed = list(found)
    if any(v.level == "mandatory" for v in listed):
        return "reject"
    if any(v.policy == SENSITIVE_POLICY for v in listed):
        return "sensitive"
    return "accept"


def run_case(pack: PolicyPackProcess, case: Case) -> Outcome:
    started = time.perf_counter()
    pack.configure(case_config(case))
    sent = messages(case)
    found: list[Violation] = []
    for message in sent:
        request = analyzer_pb2.AnalyzeRequest(
            type=message.type, properties=message.properties, urn=message.urn, name=message.name
        )
        if message.HasField("provider"):
            request.provider.CopyFrom(message.provider)
        found.extend(violations(pack.stub.Analyze(request).diagnostics, default_urn=message.urn))
    response = pack.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=sent))
    found.extend(violations(response.diagnostics))
    return Outcome(case, verdict(found), tuple(found), time.perf_counter() - started)


def start_pack() -> PolicyPackProcess:
    return PolicyPackProcess(PACK_DIR, stack=STACK)


def explain(outcome: Outcome) -> str:
    lines = [f"{outcome.case.source} {outcome.case.id}: expected {outcome.case.expect}, got {outcome.verdict}"]
    lines.append(f"  why: {outcome.case.why}")
    lines.extend(f"  {v.level} {v.policy}: {v.message}" for v in outcome.findings)
    return "\n".join(lines)
