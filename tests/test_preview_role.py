"""Pull-request previews assume a read-only role in member accounts; nothing else they send changes."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.deploy_identity import PREVIEW_ROLE_VARIABLE, provider_role_name
from components.stack_config import ConfigError
from tests.conftest import of_type

DEPLOY = "OrganizationAccountAccessRole"
STACK = {
    "roles": {"accounts": [{"id": "222222222222"}]},
    "eks": {"clusters": [{"name": "c1", "region": "eu-west-1", "account": "222222222222", "mode": "awsAuth"}]},
}


def test_the_deploy_role_unless_the_environment_names_a_preview_role():
    assert provider_role_name(DEPLOY, {}, dry_run=True) == DEPLOY
    assert provider_role_name(DEPLOY, {PREVIEW_ROLE_VARIABLE: ""}, dry_run=False) == DEPLOY
    assert provider_role_name(DEPLOY, {PREVIEW_ROLE_VARIABLE: "Axonius-Preview"}, dry_run=True) == "Axonius-Preview"


def test_the_preview_role_never_deploys():
    with pytest.raises(ConfigError, match=f"{PREVIEW_ROLE_VARIABLE}: 'Axonius-Preview' is set during an update"):
        provider_role_name(DEPLOY, {PREVIEW_ROLE_VARIABLE: "Axonius-Preview"}, dry_run=False)


def test_a_preview_role_that_is_no_role_name_is_refused():
    with pytest.raises(ConfigError, match=f"{PREVIEW_ROLE_VARIABLE}: 'arn:aws:iam::1:role/x' is not accepted"):
        provider_role_name(DEPLOY, {PREVIEW_ROLE_VARIABLE: "arn:aws:iam::1:role/x"}, dry_run=True)


def deploy_inputs(run) -> dict[str, str]:
    (provider,) = of_type(run, "pulumi:providers:aws")
    (k8s,) = of_type(run, "pulumi:providers:kubernetes")
    (mapping,) = of_type(run, "pulumi-python:dynamic/eks:AwsAuthMapping")
    args = json.loads(k8s.inputs["kubeconfig"])["users"][0]["user"]["exec"]["args"]
    return {
        "aws provider": json.loads(provider.inputs["assumeRoles"])[0]["roleArn"],
        "kubernetes sign-in": args[args.index("--role-arn") + 1],
        "aws-auth mapping": mapping.inputs["roleArn"],
    }


def test_in_a_preview_only_the_aws_provider_switches_roles(run_stack, monkeypatch):
    deployed = deploy_inputs(run_stack(STACK))
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    monkeypatch.setenv(PREVIEW_ROLE_VARIABLE, "Axonius-Preview")
    previewed = deploy_inputs(run_stack(STACK))
    assert set(deployed.values()) == {f"arn:aws:iam::222222222222:role/{DEPLOY}"}
    assert previewed == deployed | {"aws provider": "arn:aws:iam::222222222222:role/Axonius-Preview"}


def test_an_update_with_the_preview_role_set_is_a_configuration_error(run_stack, monkeypatch):
    monkeypatch.setenv(PREVIEW_ROLE_VARIABLE, "Axonius-Preview")
    with pytest.raises(pulumi.RunError, match=f"invalid configuration for stack test:\n{PREVIEW_ROLE_VARIABLE}"):
        run_stack(STACK)
