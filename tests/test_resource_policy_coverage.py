"""Every pulumi-aws resource with a policy-document input is placed: read by the document rules, rejected, or not
an access document (with the reason). An SDK upgrade that brings a new resource policy fails here until placed."""

from __future__ import annotations

from pathlib import Path

import pulumi_aws

from policy_pack.generate_role_hand_offs import INPUT, TOKEN, camel
from policy_pack.rules import resource_types as types
from policy_pack.rules.policies import IDENTITY_DOCUMENT_TYPES
from policy_pack.rules.shares import SHARE_CHECKS
from policy_pack.rules.unverifiable import UNVERIFIABLE

DOCUMENT_INPUTS = frozenset({"policy", "policyDocument", "accessPolicy", "accessPolicies", "resourcePolicy"})
# Inputs with a policy name that hold no access grant: what each one says instead.
NOT_ACCESS_DOCUMENTS = {
    "aws:cloudwatch/logAccountPolicy:LogAccountPolicy": "data protection, subscription filter or index settings",
    "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy": "which log data is masked",
    "aws:cloudwatch/logIndexPolicy:LogIndexPolicy": "which log fields are indexed",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "when images expire",
    "aws:networkmanager/coreNetworkPolicyAttachment:CoreNetworkPolicyAttachment": "network segments and routes",
    "aws:opensearch/serverlessLifecyclePolicy:ServerlessLifecyclePolicy": "how long data is kept",
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": "encryption keys and network access",
    "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy": "recovery time and point objectives",
    "aws:ses/receiptFilter:ReceiptFilter": "which sender IP addresses are blocked",
    "aws:sns/dataProtectionPolicy:DataProtectionPolicy": "which message data is masked",
}


def types_with_document_inputs() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for source in Path(pulumi_aws.__file__).resolve().parent.rglob("*.py"):
        text = source.read_text()
        token = TOKEN.search(text)
        if token is None:
            continue
        inputs = {camel(name) for name, value in INPUT.findall(text) if value == name} & DOCUMENT_INPUTS
        if inputs:
            found[token.group(1)] = inputs
    return found


def test_every_policy_document_input_of_the_sdk_is_placed():
    placed = (
        set(types.RESOURCE_POLICY_FIELDS)
        | set(IDENTITY_DOCUMENT_TYPES)
        | set(SHARE_CHECKS)
        | set(UNVERIFIABLE)
        | set(NOT_ACCESS_DOCUMENTS)
    )
    unplaced = {token: inputs for token, inputs in types_with_document_inputs().items() if token not in placed}
    assert unplaced == {}


def test_the_document_rules_read_the_field_the_sdk_has():
    found = types_with_document_inputs()
    for token, field in types.RESOURCE_POLICY_FIELDS.items():
        if token.startswith("aws:") and token in found:
            assert field in found[token], (token, field, found[token])
