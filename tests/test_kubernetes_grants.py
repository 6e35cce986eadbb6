"""Kubernetes grants outside RBAC, IRSA and add-on pod identities: the kinds against the SDK, unknowns, manifests.

The verdicts on whole resources are in tests/redteam/cases/kubernetes.yaml (test_redteam_kubernetes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws
import pulumi_kubernetes
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.cluster_identity import kubeconfig
from components.stack_config import EksCluster
from policy_pack.rules.eks_identity import ADDON_TYPES, EKS_REJECTED, check_addon, check_service_account
from policy_pack.rules.kubernetes_checks import CHECKED_COMPONENT_TYPES, CHECKED_KINDS, REJECTED_COMPONENT_TYPES
from policy_pack.rules.kubernetes_grants import (
    ADMISSION_KINDS,
    API_SERVICE_KINDS,
    CREDENTIAL_KINDS,
    ENDPOINT_KINDS,
    WORKLOAD_KINDS,
    check_csi_driver,
    check_custom_resource_definition,
    check_secret,
    is_rejected_kind,
)
from policy_pack.rules.kubernetes_manifests import IN_PROGRAM_COMPONENT_TYPES, MAX_DOCUMENTS, config_group_manifests
from policy_pack.rules.kubernetes_provider import check_kubeconfig
from policy_pack.rules.kubernetes_rbac import kind_key, kubernetes_type
from policy_pack.rules.resource_types import (
    ACCESS_ENTRY_TYPES,
    ACCESS_POLICY_ASSOCIATION,
    HELM_TYPES,
    POD_IDENTITY_TYPES,
)
from tests.policy_helpers import UNKNOWN, analyze, mandatory_messages

TOKEN = re.compile(r"[\"'](kubernetes:[a-z0-9.]*/?[a-z0-9]+:[A-Za-z]+)[\"']")
# Named but not SDK types: TokenRequest is a subresource, IAMIdentityMapping aws-iam-authenticator's own CRD; a
# CustomResource token can spell either.
NOT_IN_THE_SDK = {("authentication.k8s.io", "tokenrequest"), ("iamauthenticator.k8s.aws", "iamidentitymapping")}


def source_tokens(package_dir: Path, pattern: re.Pattern[str]) -> set[str]:
    """Type tokens as the SDK's source spells them (read as text: importing every module takes seconds)."""
    return {token for path in package_dir.rglob("*.py") for token in pattern.findall(path.read_text())}


KUBERNETES_TOKENS = source_tokens(Path(pulumi_kubernetes.__file__).parent, TOKEN)


def test_every_kind_named_is_spelled_as_the_sdk_spells_it():
    sdk_kinds = {kind_key(declared) for token in KUBERNETES_TOKENS if (declared := kubernetes_type(token))}
    named = ADMISSION_KINDS | WORKLOAD_KINDS | CREDENTIAL_KINDS | API_SERVICE_KINDS | ENDPOINT_KINDS | CHECKED_KINDS
    assert named - NOT_IN_THE_SDK <= sdk_kinds, named - NOT_IN_THE_SDK - sdk_kinds


@pytest.mark.parametrize("group", ["admissionregistration.k8s.io", "apiregistration.k8s.io", "batch"])
def test_every_sdk_token_of_a_rejected_group_is_rejected_in_each_form(group):
    tokens = {t for t in KUBERNETES_TOKENS if t.startswith(f"kubernetes:{group}/")}
    assert tokens and all(is_rejected_kind(kubernetes_type(t)) for t in tokens)
    assert {t.rsplit(":", 1)[1] for t in tokens} >= {"CronJob", "CronJobPatch", "CronJobList"} or group != "batch"


def test_every_component_of_the_sdk_that_applies_manifests_is_placed():
    prefixes = ("kubernetes:yaml", "kubernetes:kustomize", "kubernetes:helm.sh/")
    # Resources only: the invokes (`kubernetes:yaml:decode`, `kubernetes:kustomize:directory`) are lower case.
    components = {t for t in KUBERNETES_TOKENS if t.startswith(prefixes) and t.rsplit(":", 1)[1][0].isupper()}
    placed = CHECKED_COMPONENT_TYPES | REJECTED_COMPONENT_TYPES | HELM_TYPES | IN_PROGRAM_COMPONENT_TYPES
    assert len(components) == 10 and components <= placed, components - placed


def test_no_kind_is_both_checked_and_rejected():
    both = {t for t in KUBERNETES_TOKENS if (d := kubernetes_type(t)) and kind_key(d) in CHECKED_KINDS}
    assert both and not any(is_rejected_kind(kubernetes_type(t)) for t in both)


def test_every_eks_resource_of_the_sdk_is_checked_or_rejected():
    tokens = source_tokens(Path(pulumi_aws.__file__).parent / "eks", re.compile(r"[\"'](aws:eks/\w+:[A-Z]\w*)[\"']"))
    placed = ACCESS_ENTRY_TYPES | {ACCESS_POLICY_ASSOCIATION} | ADDON_TYPES | set(EKS_REJECTED) | POD_IDENTITY_TYPES
    assert len(tokens) == 9 and tokens <= placed, tokens - placed


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("kubernetes:core/v1:Secret", {"metadata": {"name": "s"}, "type": UNKNOWN}),
        ("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "a", "annotations": UNKNOWN}}),
        ("kubernetes:yaml/v2:ConfigGroup", {"yaml": UNKNOWN}),
        ("kubernetes:yaml/v2:ConfigGroup", {"objs": [UNKNOWN]}),
        ("kubernetes:yaml/v2:ConfigGroup", {"objs": [{"apiVersion": "v1", "kind": UNKNOWN}]}),
        ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", {"spec": {"conversion": UNKNOWN}}),
        ("aws:eks/addon:Addon", {"clusterName": "c", "podIdentityAssociations": UNKNOWN}),
        ("aws:eks/addon:Addon", {"clusterName": "c", "configurationValues": UNKNOWN}),
        ("kubernetes:storage.k8s.io/v1:CSIDriver", {"spec": {"tokenRequests": UNKNOWN}}),
    ],
)
def test_unknown_values_are_noted_not_guessed(type_, props):
    found = analyze(type_, props)
    assert mandatory_messages(found) == [] and any(v.level == "advisory" for v in found), found


def test_an_unknown_secret_name_does_not_hold_up_a_token_type():
    found = analyze(
        "kubernetes:core/v1:Secret", {"metadata": {"name": UNKNOWN}, "type": "kubernetes.io/service-account-token"}
    )
    assert mandatory_messages(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: ConfigMap\napiVersion: v1\nkind: Secret\n", "appears twice"),
        ("base: &b {kind: Secret}\n<<: *b\n", "anchors and aliases"),
        ("<<: {kind: Secret}\napiVersion: v1\n", "merge keys"),
        ("- apiVersion: v1\n", "not a Kubernetes object"),
        ("apiVersion: v1\n", "both must be strings"),
    ],
)
def test_manifests_read_differently_by_the_provider_are_refused(text, expected):
    problems = config_group_manifests({"yaml": text}).problems
    assert any(expected in problem for problem in problems), problems


def test_the_number_of_manifests_is_bounded():
    objs = [{"apiVersion": "v1", "kind": "ConfigMap"}] * (MAX_DOCUMENTS + 1)
    assert "split it" in config_group_manifests({"objs": objs}).problems[0]


TEXT = st.text(max_size=8).filter(lambda text: "None" not in text)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | TEXT
    | st.sampled_from(["kubernetes.io/service-account-token", "Webhook"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
FIELDS = ("type", "metadata", "spec", "annotations", "podIdentityAssociations", "serviceAccountRoleArn", "items")
ADDON_TEXT = st.text(alphabet="{}[]:,\"'&*! \nabrn-/0123456789", max_size=40)


@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4))
@settings(max_examples=300, deadline=None)
def test_any_shape_is_judged_without_raising_or_saying_none(props):
    messages = [
        *check_secret(props),
        *check_custom_resource_definition(props),
        *check_service_account(props),
        *check_addon(props),
        *check_csi_driver(props),
        *config_group_manifests({"objs": [props], "yaml": json.dumps(props)}).problems,
    ]
    assert all(isinstance(m, str) and "None" not in m for m in messages)


@given(ADDON_TEXT)
@settings(max_examples=300, deadline=None)
def test_any_addon_configuration_is_read_or_rejected_with_a_reason(text):
    for message in check_addon({"configurationValues": text}):
        assert message.startswith("the add-on's configurationValues")


def program_kubeconfig(role_arn: str | None = None) -> dict[str, Any]:
    cluster = EksCluster("prod-eks", "eu-west-1")
    return kubeconfig(cluster, "https://0A1B2C3D4E5F.yl4.eu-west-1.eks.amazonaws.com", "Q0E=", role_arn)


@pytest.mark.parametrize("role_arn", [None, "arn:aws:iam::333333333333:role/Axonius-Deploy"])
def test_the_kubeconfig_the_program_writes_passes(role_arn):
    assert check_kubeconfig(json.dumps(program_kubeconfig(role_arn))) == []
    assert check_kubeconfig(yaml.safe_dump(program_kubeconfig(role_arn))) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["eks", "get-token", "--cluster-name=prod-eks", "--region=eu-west-1"], None),
        (["eks", "get-token", "--cluster-name", "--region", "eu-west-1"], "give it a value"),
        (["eks", "get-token", "--cluster-name", "c", "--endpoint-url", "https://x"], "'--endpoint-url'"),
        (["sts", "get-caller-identity"], "not aws eks get-token"),
    ],
)
def test_get_token_flags(args, expected):
    config = program_kubeconfig()
    config["users"][0]["user"]["exec"]["args"] = args
    problems = check_kubeconfig(json.dumps(config))
    assert (problems == []) if expected is None else any(expected in p for p in problems), problems


def test_kubeconfig_keys_are_read_as_client_go_reads_them():
    text = json.dumps(program_kubeconfig()).replace('"exec"', '"Exec"', 1)
    assert check_kubeconfig(text.replace('"command": "aws"', '"command": "aws", "COMMAND": "sh"'))


@given(st.text(alphabet="{}[]:,\"'&*! \nabceoxsr-/0123456789", max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_kubeconfig_text_is_read_or_rejected_with_a_reason(text):
    assert all(m.startswith("the provider's kubeconfig") and "None" not in m for m in check_kubeconfig(text))
