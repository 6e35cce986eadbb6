"""Every type token the pack knows is spelled as the SDK spells it: a misspelt token checks nothing, silently."""

from __future__ import annotations

import importlib

import pytest

from policy_pack.rules.resource_types import all_types
from tests import sdk_tokens


def sdk_class(token: str) -> type:
    """The SDK class a token names: `aws:s3/bucketPolicy:BucketPolicy` is `pulumi_aws.s3.BucketPolicy`."""
    package, module, name = token.split(":")
    if package == "pulumi":  # pulumi:providers:aws -> pulumi_aws.Provider
        return importlib.import_module(f"pulumi_{name}").Provider
    if package == "aws":
        module_name = "pulumi_aws." + module.split("/")[0].replace("lambda", "lambda_")
    else:  # kubernetes:rbac.authorization.k8s.io/v1:ClusterRole -> pulumi_kubernetes.rbac.v1
        group, version = module.split("/")
        module_name = f"pulumi_kubernetes.{group.split('.')[0]}.{version}"
    return getattr(importlib.import_module(module_name), name)


SDK_PACKAGES = ("aws:", "kubernetes:", "pulumi:providers:")


@pytest.mark.parametrize("token", sorted(t for t in all_types() if t.startswith(SDK_PACKAGES)))
def test_each_token_is_the_sdk_class_token(token):
    assert getattr(sdk_class(token), "pulumi_type", None) == token


def test_aws_native_tokens_are_those_its_installed_sdk_registers():
    """pulumi-aws-native is a test-only dependency: its registered classes, read from its source (not imported)."""
    native = {t for t in all_types() if t.startswith("aws-native:")}
    # CloudFormation types Cloud Control cannot manage, so aws-native (1.84.0) has no class for them; a rule naming
    # them checks nothing, and the type table rejects them as unknown anyway.
    absent = {"aws-native:iam:AccessKey", "aws-native:iam:UserToGroupAddition", "aws-native:sqs:QueuePolicy"}
    assert native - set(sdk_tokens.classes("pulumi_aws_native")) == absent


def test_dynamic_resource_tokens_are_those_the_python_sdk_registers():
    from pulumi.dynamic import Resource

    from components.aws_auth_mapping import AwsAuthMapping

    class Plain(Resource):  # a dynamic resource declared with no module or name
        pass

    registered = {f"pulumi-python:{cls._resource_type_name}" for cls in (Plain, AwsAuthMapping)}
    assert registered == {t for t in all_types() if t.startswith("pulumi-python:")}
