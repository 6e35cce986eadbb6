"""Property tests of the classifier against the brute-force oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_pack.generate_managed_table import build_table
from policy_pack.rules.iam_actions import default_catalog
from policy_pack.rules.iam_documents import check_document
from tests.conftest import PROJECT_DIR
from tests.iam_oracle import all_actions, grants_beyond_read, oracle_expand

REFERENCE = PROJECT_DIR.parent / "shared" / "reference" / "aws-managed-policies.json"
NAMES = sorted(all_actions())
READS = [n for n in NAMES if all_actions()[n] in ("List", "Read")]
NON_READS = [n for n in NAMES if all_actions()[n] not in ("List", "Read")]
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mixed_case(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@st.composite
def patterns(draw, names: list[str] = NAMES) -> str:
    service, action = draw(st.sampled_from(names)).split(":")
    kind = draw(st.sampled_from(["exact", "question", "prefix", "service-star", "infix"]))
    if kind == "question":
        index = draw(st.integers(0, len(action) - 1))
        action = action[:index] + "?" + action[index + 1 :]
    elif kind == "prefix":
        action = action[: draw(st.integers(0, len(action)))] + "*"
    elif kind == "service-star":
        service = service[: draw(st.integers(0, len(service)))] + "*"
    elif kind == "infix":
        start = draw(st.integers(0, len(action)))
        action = action[:start] + "*" + action[draw(st.integers(start, len(action))) :]
    return draw(mixed_case(f"{service}:{action}"))


def document(actions: list[str]) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


def passes(doc: dict) -> bool:
    return not check_document(doc, default_catalog()).problems


@PROPERTY
@given(st.lists(patterns(), min_size=1, max_size=4))
def test_a_document_passes_iff_everything_it_could_grant_is_list_or_read(actions):
    doc = document(actions)
    assert passes(doc) == (not grants_beyond_read(doc["Statement"]))


@PROPERTY
@given(patterns())
def test_expansion_equals_the_brute_force_oracle(pattern):
    expanded = {a.name.lower() for a in default_catalog().expand(pattern)}
    assert expanded == {name for name, _ in oracle_expand(pattern)}


@PROPERTY
@given(
    st.lists(st.sampled_from(READS).flatmap(mixed_case), min_size=1, max_size=20),
    st.sampled_from(NON_READS).flatmap(mixed_case),
    st.integers(0, 20),
)
def test_adding_any_non_read_action_to_a_passing_document_makes_it_fail(reads, extra, position):
    assert passes(document(reads))
    with_extra = [*reads[:position], extra, *reads[position:]]
    assert not passes(document(with_extra))


@pytest.fixture(scope="module")
def managed_policies() -> dict:
    if not REFERENCE.exists():
        pytest.skip(f"the shared reference is not beside the project ({REFERENCE})")
    return json.loads(REFERENCE.read_text())


def test_no_aws_managed_policy_beyond_list_and_read_gets_past(managed_policies):
    misses, passed = [], []
    for name, doc in managed_policies.items():
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        ours = passes(doc)
        if ours:
            passed.append(name)
        if ours and grants_beyond_read(statements):
            misses.append(name)
    assert misses == []
    assert len(managed_policies) == 1644 and len(passed) == 332
    assert "ReadOnlyAccess" not in passed and "ViewOnlyAccess" not in passed and "SecurityAudit" not in passed


def test_the_committed_managed_policy_table_is_current(managed_policies):
    committed = json.loads((PROJECT_DIR / "policy_pack/rules/aws_managed_policies.json").read_text())
    assert build_table(Path(REFERENCE), default_catalog()) == committed
