"""Resources that grant access the pack cannot see into: rejected, each with why and what to do instead.

Pure functions over resolved properties (see unknowns.py). CloudFormation templates of the AWS provider are read
instead (cloudformation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import resource_types as types
from .iam_documents import shown


def _reject_native_template(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    return [
        f"{resource_type} deploys a CloudFormation template the pack does not read (it reads aws.cloudformation "
        "Stack and StackSet templateBody), so what it grants cannot be verified; use aws.cloudformation with the "
        "template inline, or declare the resources directly"
    ]


def _reject_helm(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    return [
        f"{resource_type} applies a chart's manifests, which the pack never sees, so the RBAC objects it may create "
        "cannot be verified; declare the Kubernetes objects directly (or render the chart to a ConfigGroup)"
    ]


def _reject_pod_identity(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    return [
        f"{resource_type} hands role {shown(props.get('roleArn'))} to the pods of service account "
        f"{shown(props.get('serviceAccount'))}; the pack cannot see what that role grants, so it cannot be verified; "
        "the inventory needs no pod identity: remove it"
    ]


def _reject_customer_reference(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    field = (
        "customerManagedPolicyReferences"
        if resource_type == types.NATIVE_PERMISSION_SET
        else "customerManagedPolicyReference"
    )
    if resource_type == types.NATIVE_PERMISSION_SET and not props.get(field):
        return []
    return [
        f"{field} {shown(props.get(field))} attaches, by name, a customer managed policy in each assigned account, "
        "which the pack cannot read, so it cannot be verified; use an inline policy or a read-only AWS managed policy"
    ]


def _reject_sharing(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    keys = ("principal", "accountId", "group", "organizationArn", "organizationalUnitArn", "resourceArn")
    target = next((props[key] for key in keys if props.get(key) is not None), None)
    return [
        f"{resource_type} shares access with {shown(target)}: what the shared resource or delegated service "
        "exposes is not in this stack, so it cannot be verified; the inventory needs no sharing: remove it"
    ]


def _reject_deploy_time_code(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    return [
        f"{resource_type} runs code at deploy time with the deployer's credentials; what that code does is not in "
        "what the pack sees, so it cannot be verified; remove it (the inventory needs no deploy-time code)"
    ]


Rejection = Callable[[str, Mapping[str, Any]], list[str]]
# Rejected whatever their properties: the type table (type_table.py) places these as rejected, and this rule says why.
REJECTED: dict[str, Rejection] = {
    **dict.fromkeys(types.NATIVE_CLOUDFORMATION_TYPES, _reject_native_template),
    **dict.fromkeys(types.HELM_TYPES, _reject_helm),
    **dict.fromkeys(types.POD_IDENTITY_TYPES, _reject_pod_identity),
    **dict.fromkeys(types.SSO_CUSTOMER_ATTACHMENT_TYPES, _reject_customer_reference),
    **dict.fromkeys(types.SHARING_TYPES, _reject_sharing),
    **dict.fromkeys(types.DEPLOY_TIME_CODE_TYPES, _reject_deploy_time_code),
}
# Types other rules check, rejected here only in the shape that reaches outside the stack.
CONDITIONAL: dict[str, Rejection] = {
    types.NATIVE_PERMISSION_SET: _reject_customer_reference,
}
UNVERIFIABLE: dict[str, Rejection] = {**REJECTED, **CONDITIONAL}
