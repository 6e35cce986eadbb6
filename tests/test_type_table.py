"""The type table places every resource token of the installed SDKs, and every inert placement holds."""

from __future__ import annotations

import re

import pytest

from policy_pack.rules import type_table
from policy_pack.rules.kubernetes_checks import CHECKED_KINDS
from policy_pack.rules.policies import _rule_policies, read_types
from policy_pack.rules.type_table import INERT_KUBERNETES_KINDS, INERT_TYPES, Placement, place
from policy_pack.rules.unverifiable import REJECTED
from tests import sdk_tokens
from tests.plan_runs import plan_json

CHECKED = type_table.checked_types(read_types(_rule_policies()))
# What an inert type's inputs must not speak of (issue 18), and the same said other ways.
GRANT_WORDS = re.compile(
    r"\b(polic(?:y|ies)\w*|principals?|permissions?|grants?\w*|shar(?:e|es|ed|ing)|roles?|identit\w*|"
    r"credentials?|tokens?|passwords?|secrets?|keys?|code|scripts?|commands?|execut\w*|runs?|invo\w*|"
    r"trust\w*|assum\w*|access\w*|members?\w*|auth\w*|sign\w*|certificat\w*|users?|admin\w*|lambda\w*|webhooks?)\b",
    re.IGNORECASE,
)
URL = re.compile(r"https?://\S+")
CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def words(name: str, doc: str) -> str:
    """An input's name as words (`role_arn`, `roleArn` -> `role arn`) and its documentation without URLs."""
    spaced = CAMEL.sub(r"\1 \2", name).replace("_", " ")
    return f"{spaced} {URL.sub('', doc)}"


def grant_words(sdk: str, token: str) -> list[str]:
    found = ((name, GRANT_WORDS.search(words(name, doc))) for name, doc in sdk_tokens.inputs(sdk, token).items())
    return [f"{name}: {match.group(0)!r}" for name, match in found if match]


SDK_TOKENS = [(sdk, token) for sdk, tokens in sdk_tokens.all_tokens().items() for token in tokens]
INERT_SDK_TOKENS = [(sdk, t) for sdk, t in SDK_TOKENS if place(t, {}, CHECKED).placement is Placement.INERT]


def test_the_sdks_bring_no_token_the_table_was_not_reviewed_against():
    """An SDK upgrade with new tokens fails here: regenerate with `python -m tests.sdk_tokens`, read the diff."""
    recorded = sdk_tokens.recorded()
    assert recorded["versions"] == sdk_tokens.versions()
    assert recorded["tokens"] == sdk_tokens.all_tokens()


def test_every_token_of_the_installed_sdks_has_exactly_one_placement():
    placements = {token: place(token, {}, CHECKED).placement for _, token in SDK_TOKENS}
    assert len(placements) == len(SDK_TOKENS) > 4000
    assert all(isinstance(placement, Placement) for placement in placements.values())
    # The rules are not vacuous: each placement holds some tokens of pulumi-aws and of pulumi-kubernetes.
    for sdk in ("pulumi_aws", "pulumi_kubernetes"):
        assert {placements[t] for t in sdk_tokens.classes(sdk)} == set(Placement), sdk


def test_checked_inert_and_rejected_are_disjoint():
    inert = INERT_TYPES | type_table.INERT_PROVIDERS
    assert not CHECKED & inert
    assert not CHECKED & frozenset(REJECTED)
    assert not inert & frozenset(REJECTED)
    checked_kinds = {(group, kind.lower()) for group, kinds in CHECKED_KINDS for kind in kinds}
    assert not checked_kinds & {(group, kind.lower()) for group, kind in INERT_KUBERNETES_KINDS}


def test_every_explicit_inert_sdk_type_is_an_sdk_token():
    tokens = {token for _, token in SDK_TOKENS}
    assert {t for t in INERT_TYPES if not t.startswith("pulumi:pulumi:")} <= tokens


@pytest.mark.parametrize(("sdk", "token"), INERT_SDK_TOKENS, ids=[token for _, token in INERT_SDK_TOKENS])
def test_an_inert_type_has_no_input_that_speaks_of_granting(sdk, token):
    assert grant_words(sdk, token) == []


def test_the_inert_word_test_finds_the_grants_it_is_for():
    assert grant_words("pulumi_random", "random:index/randomPassword:RandomPassword")
    assert any(hit.startswith("policy:") for hit in grant_words("pulumi_aws", "aws:iam/policy:Policy"))
    assert grant_words("pulumi_aws", "aws:lambda/function:Function")
    assert grant_words("pulumi_command", "command:local:Command")


def test_the_inert_kubernetes_kinds_are_inert_in_every_version_and_form():
    inert = [t for sdk, t in INERT_SDK_TOKENS if sdk == "pulumi_kubernetes" and t.startswith("kubernetes:core/")]
    assert {t.rsplit(":", 1)[1] for t in inert} >= {"Namespace", "NamespacePatch", "NamespaceList"}
    assert place("kubernetes:core/v1:namespace", {}, CHECKED).placement is Placement.INERT


@pytest.mark.parametrize(
    "token",
    [
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
        "kubernetes:admissionregistration.k8s.io/v1:MutatingAdmissionPolicy",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:argoproj.io/v1alpha1:Application",  # a CustomResource the pack cannot read
        "aws-native:iam:OidcProvider",
        "tls:index/privateKey:PrivateKey",
        "random:index/randomPassword:RandomPassword",
        "command:local:Command",
        "command:remote:CopyToRemote",
        "pulumi-nodejs:dynamic:Resource",
        "pulumi-python:dynamic:Resource",
        "pulumi:providers:command",
        "acme:index:Anything",
    ],
)
def test_types_that_may_grant_and_types_nobody_placed_are_rejected(token):
    assert place(token, {}, CHECKED).placement is Placement.REJECTED


def test_the_types_the_program_declares_are_checked_or_inert():
    """prod has every kind of resource the program makes (user, roles, clusters in each mode, aws-auth)."""
    declared = plan_json("prod")["resources"]
    placed = {r["type"]: place(r["type"], r["inputs"], CHECKED).placement for r in declared}
    assert placed["pulumi-python:dynamic/eks:AwsAuthMapping"] is Placement.CHECKED  # its pickle says it is ours
    assert {t for t, p in placed.items() if p is Placement.REJECTED} == set()
    assert {t for t, p in placed.items() if p is Placement.INERT} == {
        "pulumi:providers:aws",
        *(t for t in placed if t.startswith("axonius-aws-access:")),
    }
