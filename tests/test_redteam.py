"""Every red-team case (tests/redteam/cases/*.yaml) gets its expected verdict from the pack over gRPC.

One pack process, started as the engine starts it, serves all cases; `benchmarks/redteam.py` prints the figures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from automation.pack_client import PolicyPackProcess
from tests.redteam.run import CaseError, load_cases, messages, parse_case, run_case, start_pack

CASES = load_cases()


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with start_pack() as process:
        yield process


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_verdict(pack, case):
    outcome = run_case(pack, case)
    assert outcome.verdict == case.expect, "\n".join(
        [f"{case.source} {case.id}: {case.why}"] + [f"{v.level} {v.policy}: {v.message}" for v in outcome.findings]
    )


def test_the_corpus_has_accept_cases_too():
    """False rejects count as much as false accepts: at least a quarter of each file's cases must pass."""
    for source in {case.source for case in CASES}:
        listed = [case for case in CASES if case.source == source]
        accepts = [case for case in listed if case.expect != "reject"]
        assert len(accepts) * 4 >= len(listed), f"{source}: {len(accepts)} of {len(listed)} cases pass"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"id": "x", "why": "w", "expect": "maybe", "resources": [{"type": "t", "name": "n"}]}, "expect is 'maybe'"),
        ({"id": "x", "why": "w", "expect": "accept", "resources": [{"type": "t", "name": "n"}], "oops": 1}, "oops"),
        ({"id": "x", "why": "w", "expect": "accept", "resources": [{"type": "t", "name": "n", "parent": "z"}]}, "'z'"),
        ({"id": "x", "why": "w", "expect": "accept", "resources": []}, "non-empty list"),
    ],
)
def test_a_malformed_case_is_refused_by_name(raw, message):
    with pytest.raises(CaseError, match=message):
        parse_case(raw, "bad.yaml")


def test_resources_are_sent_with_provider_parent_and_dependencies_as_the_engine_sends_them():
    case = parse_case(
        {
            "id": "x",
            "why": "w",
            "expect": "accept",
            "resources": [
                {"type": "pulumi:providers:kubernetes", "name": "a", "props": {"kubeconfig": "k"}},
                {"type": "t:m:Parent", "name": "p"},
                {
                    "type": "t:m:Child",
                    "name": "c",
                    "parent": "p",
                    "provider": "urn:pulumi:other::proj::pulumi:providers:kubernetes::a",
                    "dependencies": {"x": ["p"]},
                },
            ],
        },
        "inline.yaml",
    )
    provider, parent, child = messages(case)
    assert child.urn == "urn:pulumi:redteam::axonius-aws-access::t:m:Parent$t:m:Child::c" and child.parent == parent.urn
    assert child.provider.urn == provider.urn and child.provider.type == "pulumi:providers:kubernetes"
    assert dict(child.provider.properties) == {"kubeconfig": "k"}
    assert list(child.propertyDependencies["x"].urns) == [parent.urn]
