"""Only the project's own dynamic resource passes, told by its pickled provider (read, never unpickled)."""

from __future__ import annotations

import base64
import os
import pickle

import dill  # type: ignore[import-untyped]  # pulumi's own dependency, untyped
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import analyzer_pb2

from automation.pack_client import PolicyPackProcess, Violation, to_struct, violations
from components import aws_auth_mapping
from components.aws_auth_mapping import AwsAuthMappingProvider
from policy_pack.rules import dynamic_providers
from policy_pack.rules import resource_types as types
from policy_pack.rules.dynamic_providers import provider_problem
from tests.conftest import PROJECT_DIR
from tests.policy_helpers import mandatory

OURS = {"mapKind": "mapUsers", "arn": "arn:aws:iam::111111111111:user/Axonius-Readonly", "username": "axonius-readonly"}


def fixed_token(props):
    return "token"


class AwsAuthMappingProviderImpostor(ResourceProvider):  # same shape, another module
    pass


class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def encoded(value: object) -> str:
    return base64.b64encode(pickle.dumps(value, protocol=4)).decode()


def test_the_names_read_are_those_of_the_projects_provider():
    assert (
        AwsAuthMappingProvider.__module__,
        AwsAuthMappingProvider.__qualname__,
    ) == (dynamic_providers.OWN_MODULE, dynamic_providers.OWN_PROVIDER)
    assert (dynamic_providers.OWN_MODULE, aws_auth_mapping.eks_bearer_token.__name__) in dynamic_providers.OWN_GLOBALS


def test_the_projects_provider_as_the_sdk_pickles_it_passes():
    assert provider_problem(serialize_provider(AwsAuthMappingProvider())) is None


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (AwsAuthMappingProvider(fixed_token), "references tests.test_dynamic_providers.fixed_token"),
        (AwsAuthMappingProviderImpostor(), "references tests.test_dynamic_providers.AwsAuthMappingProviderImpostor"),
        (AwsAuthMappingProvider(lambda props: "token"), "calls code while it loads"),  # dill pickles it by value
    ],
)
def test_another_provider_or_token_source_is_not_ours(provider, expected):
    problem = provider_problem(serialize_provider(provider))
    assert problem is not None and expected in problem


def test_a_pickle_that_runs_code_is_refused_without_running_it(capfd):
    problem = provider_problem(encoded(RunsCode()))
    assert problem is not None and "REDUCE" in problem
    assert "owned" not in capfd.readouterr().out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "not a serialized string"),
        ("not base64!", "cannot be read as a pickle"),
        (base64.b64encode(b"garbage").decode(), "cannot be read as a pickle"),
        (encoded({"a": 1}), "does not build components.aws_auth_mapping.AwsAuthMappingProvider"),
        (encoded([aws_auth_mapping.eks_bearer_token]), "does not build"),
        (base64.b64encode(dill.dumps(AwsAuthMappingProvider(), recurse=True)).decode(), None),
    ],
)
def test_odd_provider_values(value, expected):
    problem = provider_problem(value)
    assert problem is None if expected is None else expected in (problem or "")


def test_the_pack_rejects_every_dynamic_resource_but_ours():
    ours = {**OURS, "groups": ["axonius-readonly"], "__provider": serialize_provider(AwsAuthMappingProvider())}
    assert mandatory(types.AWS_AUTH_MAPPING, ours) == []
    (impostor,) = mandatory(types.AWS_AUTH_MAPPING, {**ours, "__provider": encoded(AwsAuthMappingProviderImpostor())})
    assert impostor.startswith(f"{types.AWS_AUTH_MAPPING} is named like the project's aws-auth mapping, but")
    (unseen,) = mandatory(types.AWS_AUTH_MAPPING, {key: value for key, value in ours.items() if key != "__provider"})
    assert "leaves `__provider` out of what it sends policy packs" in unseen
    for other in ("pulumi-python:dynamic:Resource", "pulumi-nodejs:dynamic:Resource", "pulumi-python:dynamic/x:Y"):
        assert any("is a dynamic resource" in m for m in mandatory(other, ours)), other


# --- Over gRPC, as the engine sends it: `__provider` only to Remediate, which runs just before Analyze -----------

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@pytest.fixture(scope="module")
def pack():
    with PolicyPackProcess(PROJECT_DIR / "policy_pack") as process:
        process.configure({})
        yield process


def engine_sends(pack, name: str, provider: str) -> list[Violation]:
    """Remediate with every key (the provider as the secret the SDK makes it), then Analyze without `__` keys."""
    props = {**OURS, "groups": ["axonius-readonly"]}
    urn = f"urn:pulumi:dev::axonius-aws-access::{types.AWS_AUTH_MAPPING}::{name}"
    remediate = analyzer_pb2.AnalyzeRequest(
        type=types.AWS_AUTH_MAPPING,
        urn=urn,
        name=name,
        properties=to_struct({**props, "__provider": {**SECRET_SIG, "value": provider}}),
    )
    remediations = pack.stub.Remediate(remediate).remediations
    assert [r.properties.fields for r in remediations] == []  # nothing is changed
    request = analyzer_pb2.AnalyzeRequest(type=types.AWS_AUTH_MAPPING, urn=urn, name=name, properties=to_struct(props))
    return violations(pack.stub.Analyze(request).diagnostics, default_urn=urn)


def test_over_grpc_the_provider_remediate_saw_is_judged_in_analyze(pack):
    assert engine_sends(pack, "ours", serialize_provider(AwsAuthMappingProvider())) == []
    (found,) = engine_sends(pack, "impostor", encoded(AwsAuthMappingProviderImpostor()))
    assert found.policy == "resource-types-known" and found.level == "mandatory"
    assert "AwsAuthMappingProviderImpostor" in found.message


def test_over_grpc_a_mapping_remediate_never_showed_is_rejected(pack):
    urn = f"urn:pulumi:dev::axonius-aws-access::{types.AWS_AUTH_MAPPING}::unseen"
    request = analyzer_pb2.AnalyzeRequest(
        type=types.AWS_AUTH_MAPPING, urn=urn, name="unseen", properties=to_struct(OURS)
    )
    (found,) = violations(pack.stub.Analyze(request).diagnostics, default_urn=urn)
    assert found.policy == "resource-types-known" and "leaves `__provider` out" in found.message
