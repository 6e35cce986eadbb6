"""The least-privilege IAM policy a stack's deploy identity needs, built from the resources its plan declares.

Each declared AWS resource names the actions the AWS provider calls to create, read, update, tag and delete
it, on exactly its ARN; attachments may attach only the stack's own policies; EKS actions name exactly the
stack's clusters; `sts:AssumeRole` names exactly the roles the stack's providers assume. One document serves
every account: attach it to the deploy role at home and in each member account (a statement naming another
account's ARNs grants nothing there). The read-only variant is for pull-request previews.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policy_pack.rules import resource_types as types

from .organization_file import Organization
from .plan import PlanResult, resource_places

READ = "read"
WRITE = "write"

# What the AWS provider calls per resource type, on the ARN of what it manages (see `_needs`).
USER = {
    READ: ("iam:GetUser", "iam:ListGroupsForUser", "iam:ListUserTags"),
    WRITE: ("iam:CreateUser", "iam:UpdateUser", "iam:DeleteUser", "iam:TagUser", "iam:UntagUser"),
}
ACCESS_KEY = {
    READ: ("iam:ListAccessKeys",),
    WRITE: ("iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"),
}
POLICY = {
    READ: ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags"),
    WRITE: (
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
        "iam:TagPolicy",
        "iam:UntagPolicy",
    ),
}
ROLE = {
    READ: (
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRoleTags",
    ),
    WRITE: (
        "iam:CreateRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:TagRole",
        "iam:UntagRole",
    ),
}
USER_ATTACHMENT = {READ: ("iam:ListAttachedUserPolicies",), WRITE: ("iam:AttachUserPolicy", "iam:DetachUserPolicy")}
ROLE_ATTACHMENT = {READ: ("iam:ListAttachedRolePolicies",), WRITE: ("iam:AttachRolePolicy", "iam:DetachRolePolicy")}
ACCESS_ENTRY = {READ: ("eks:DescribeAccessEntry",), WRITE: ("eks:UpdateAccessEntry", "eks:DeleteAccessEntry")}
ACCESS_ENTRY_CREATE = {READ: (), WRITE: ("eks:CreateAccessEntry",)}
CLUSTER = {READ: ("eks:DescribeCluster",), WRITE: ()}
ASSUME = {READ: ("sts:AssumeRole",), WRITE: ()}

# Organization mode, in the admin account. The StackSet's ARN ends in an ID AWS assigns (`stackset/NAME:ID`), the
# only `*` besides CreateStackSet's, which takes no resource. Instances act on the StackSet, the targets it reaches
# (`stackset-target`) and the template's resource types (`type/resource/AWS-IAM-Role`), in the configured regions.
STACK_SET_READS = (
    "cloudformation:DescribeStackSet",
    "cloudformation:DescribeStackSetOperation",
    "cloudformation:DescribeStackInstance",
    "cloudformation:ListStackInstances",
)
DELETE_STACK_SET = "cloudformation:DeleteStackSet"
# What reaches the member accounts: a template update and the instances.
STACK_SET_FAN_OUT = (
    "cloudformation:UpdateStackSet",
    "cloudformation:CreateStackInstances",
    "cloudformation:UpdateStackInstances",
    "cloudformation:DeleteStackInstances",
)
CREATE_STACK_SET = "cloudformation:CreateStackSet"
# The account discovery the program makes (get_organization, get_organizational_unit_descendant_accounts).
DESCRIBE_ORGANIZATION = "organizations:DescribeOrganization"  # takes no resource
LIST_FOR_PARENT = ("organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent")
# callAs DELEGATED_ADMIN: CloudFormation checks the caller is a registered delegated administrator for StackSets.
LIST_DELEGATED_ADMINISTRATORS = "organizations:ListDelegatedAdministrators"
STACK_SETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
STACK_SET_TYPES = (types.CLOUDFORMATION_STACK_SET, types.STACK_SET_INSTANCE)

# Declared but managed without IAM: Kubernetes objects (the cluster's RBAC decides) and the aws-auth entry
# (written through the Kubernetes API with an EKS token, signed by the deploy identity). Signing in to a member
# account's cluster assumes the deploy role there, which that account's AWS provider assumes too.
NO_IAM_PREFIXES = (types.KUBERNETES_PREFIX, types.KUBERNETES_PROVIDER, types.AWS_AUTH_MAPPING)


class DeployerPolicyError(Exception):
    """The plan declares something whose deploy permissions are not known: no policy rather than a wrong one."""


@dataclass(frozen=True)
class Need:
    """Actions on one ARN, optionally only for some policies (`iam:PolicyARN`)."""

    actions: Mapping[str, tuple[str, ...]]
    arn: str
    policy_arns: tuple[str, ...] = ()


def iam_arn(partition: str, account: str, kind: str, path: str | None, name: str) -> str:
    return f"arn:{partition}:iam::{account}:{kind}{path or '/'}{name}"


def cluster_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:eks:{region}:{account}:cluster/{name}"


def access_entry_arn(partition: str, region: str, account: str, cluster: str, principal_arn: str) -> str:
    """Access entries are named by their principal; AWS adds a UUID we cannot know before it exists."""
    principal_account, kind_and_name = principal_arn.split(":")[4], principal_arn.split(":", 5)[5]
    kind, name = kind_and_name.split("/")[0], kind_and_name.split("/")[-1]
    return f"arn:{partition}:eks:{region}:{account}:access-entry/{cluster}/{kind}/{principal_account}/{name}/*"


def _needs(result: PlanResult, partition: str, assumed_role_name: str | None) -> list[Need]:
    """What each declared resource needs; providers assume `assumed_role_name` instead of theirs when given."""
    places = resource_places(result)
    user_paths = {
        (places[r.urn], r.inputs["name"]): r.inputs.get("path") for r in result.resources if r.type == types.IAM_USER
    }
    role_paths = {
        (places[r.urn], r.inputs["name"]): r.inputs.get("path") for r in result.resources if r.type == types.IAM_ROLE
    }
    needs: list[Need] = []
    unknown: set[str] = set()
    for r in result.resources:
        inputs, account = r.inputs, places.get(r.urn, result.home_account)
        if r.type == types.AWS_PROVIDER:
            for role in json.loads(inputs.get("assumeRoles") or "[]"):
                role_account = role["roleArn"].split(":")[4]
                arn = iam_arn(partition, role_account, "role", "/", assumed_role_name) if assumed_role_name else None
                needs.append(Need(ASSUME, arn or role["roleArn"]))
        elif not r.custom or r.type.startswith(NO_IAM_PREFIXES) or r.type in STACK_SET_TYPES:
            continue  # StackSets: `_organization_statements`
        elif r.type == types.IAM_USER:
            needs.append(Need(USER, iam_arn(partition, account, "user", inputs.get("path"), inputs["name"])))
        elif r.type == types.IAM_ACCESS_KEY:
            path = user_paths.get((account, inputs["user"]))
            needs.append(Need(ACCESS_KEY, iam_arn(partition, account, "user", path, inputs["user"])))
        elif r.type == types.IAM_POLICY:
            needs.append(Need(POLICY, iam_arn(partition, account, "policy", inputs.get("path"), inputs["name"])))
        elif r.type == types.IAM_ROLE:
            needs.append(Need(ROLE, iam_arn(partition, account, "role", inputs.get("path"), inputs["name"])))
        elif r.type == types.USER_POLICY_ATTACHMENT:
            path = user_paths.get((account, inputs["user"]))
            user = iam_arn(partition, account, "user", path, inputs["user"])
            needs.append(Need(USER_ATTACHMENT, user, (inputs["policyArn"],)))
        elif r.type == types.ROLE_POLICY_ATTACHMENT:
            role = iam_arn(partition, account, "role", role_paths.get((account, inputs["role"])), inputs["role"])
            needs.append(Need(ROLE_ATTACHMENT, role, (inputs["policyArn"],)))
        elif r.type == types.ACCESS_ENTRY:
            region, cluster = inputs["region"], inputs["clusterName"]
            needs.append(Need(ACCESS_ENTRY_CREATE, cluster_arn(partition, region, account, cluster)))
            entry = access_entry_arn(partition, region, account, cluster, inputs["principalArn"])
            needs.append(Need(ACCESS_ENTRY, entry))
        else:
            unknown.add(r.type)
    if unknown:
        raise DeployerPolicyError(
            f"no deploy permissions are known for {', '.join(sorted(unknown))}; "
            "add them to automation/deployer_policy.py rather than granting more than the stack needs"
        )
    clusters = result.outputs["eksClusters"].value if "eksClusters" in result.outputs else []
    needs += [Need(CLUSTER, cluster_arn(partition, c["region"], c["account"], c["name"])) for c in clusters]
    return needs


def _statement(actions: Iterable[str], arns: Iterable[str], policies: Iterable[str] = ()) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": sorted(actions), "Resource": sorted(arns)}
    if policies:
        statement["Condition"] = {"ArnEquals": {"iam:PolicyARN": sorted(policies)}}
    return statement


def _statements(needs: Iterable[Need], levels: tuple[str, ...]) -> list[dict[str, Any]]:
    """One statement per set of actions naming every ARN that needs exactly those; attaching is a statement per
    user or role, allowed only for the policies the stack attaches to it."""
    plain: dict[tuple[str, ...], set[str]] = defaultdict(set)
    scoped: dict[tuple[tuple[str, ...], str], set[str]] = defaultdict(set)
    for need in needs:
        actions = tuple(action for level in levels for action in need.actions[level])
        attach = tuple(a for a in need.actions[WRITE] if a in actions) if need.policy_arns else ()
        rest = tuple(a for a in actions if a not in attach)
        if rest:
            plain[rest].add(need.arn)
        if attach:
            scoped[(attach, need.arn)].update(need.policy_arns)
    by_arns: dict[frozenset[str], set[str]] = defaultdict(set)
    for actions, arns in plain.items():
        by_arns[frozenset(arns)].update(actions)
    shared = [_statement(actions, arns) for arns, actions in by_arns.items()]
    attaching = [_statement(actions, [arn], policies) for (actions, arn), policies in scoped.items()]
    return sorted(shared, key=lambda s: s["Resource"]) + sorted(attaching, key=lambda s: s["Resource"])


def _provider_regions(result: PlanResult) -> dict[str, str]:
    """Provider URN to the region it is configured for (the AWS default provider: the stack's `aws:region`)."""
    return {r.urn: r.inputs.get("region", "") for r in result.resources if r.type == types.AWS_PROVIDER}


def _organization_units(organization: Organization, targets: Iterable[str]) -> list[str]:
    """The targeted roots and OUs with every OU below them: the parents the account discovery lists."""
    below = {
        unit
        for unit in organization.unit_parents
        for target in targets
        if target == organization.root_id or target in organization.ancestors(unit)
    }
    return sorted({*targets, *below})


def _organization_statements(
    result: PlanResult, organization: Organization | None, partition: str, levels: tuple[str, ...]
) -> list[dict[str, Any]]:
    """StackSet, StackSetInstance and Organizations permissions of organization mode, as tight as AWS allows."""
    stack_sets = [r for r in result.resources if r.type == types.CLOUDFORMATION_STACK_SET]
    if not stack_sets:
        return []
    if organization is None:
        raise DeployerPolicyError("the stack sets `organization`: pass --organization FILE, as for plan")
    places, regions = resource_places(result), _provider_regions(result)
    instances = [r for r in result.resources if r.type == types.STACK_SET_INSTANCE]
    statements: list[dict[str, Any]] = []
    for stack_set in stack_sets:
        account = places[stack_set.urn]
        region = regions.get(stack_set.provider.rsplit("::", 1)[0]) or "*"
        own = f"arn:{partition}:cloudformation:{region}:{account}"
        arn = f"{own}:stackset/{stack_set.inputs['name']}:*"
        template = json.loads(stack_set.inputs.get("templateBody") or "{}")
        kinds = sorted({resource["Type"].replace("::", "-") for resource in template.get("Resources", {}).values()})
        targets = [f"{own}:stackset-target/{stack_set.inputs['name']}:*", *(f"{own}:type/resource/{k}" for k in kinds)]
        mine = [r for r in instances if r.inputs.get("stackSetName") == stack_set.inputs["name"]]
        target_regions = sorted({r.inputs["stackSetInstanceRegion"] for r in mine})
        in_regions = {"ForAllValues:StringEquals": {"cloudformation:TargetRegion": target_regions}}
        statements.append(_statement(STACK_SET_READS, [arn]))
        if WRITE in levels:
            create = _statement([CREATE_STACK_SET], ["*"])
            create["Condition"] = {"Null": {"cloudformation:RoleArn": "true"}}  # service-managed: no admin role
            fan_out = _statement(STACK_SET_FAN_OUT, [arn, *targets])
            fan_out["Condition"] = in_regions
            statements += [create, _statement([DELETE_STACK_SET], [arn]), fan_out]
        if stack_set.inputs.get("callAs") == "DELEGATED_ADMIN":
            delegated = _statement([LIST_DELEGATED_ADMINISTRATORS], ["*"])
            delegated["Condition"] = {"StringEquals": {"organizations:ServicePrincipal": STACK_SETS_PRINCIPAL}}
            statements.append(delegated)
    targeted = {
        target for r in instances for target in r.inputs.get("deploymentTargets", {}).get("organizationalUnitIds", [])
    }
    management = organization.management_account_id or result.home_account
    prefix = f"arn:{partition}:organizations::{management}"
    parents = [
        f"{prefix}:root/{organization.id}/{unit}"
        if unit == organization.root_id
        else f"{prefix}:ou/{organization.id}/{unit}"
        for unit in _organization_units(organization, targeted)
    ]
    statements.append(_statement([DESCRIBE_ORGANIZATION], ["*"]))
    statements.append(_statement(LIST_FOR_PARENT, parents))
    return statements


def deployer_policy(
    result: PlanResult, *, preview_role: str | None = None, organization: Organization | None = None
) -> dict[str, Any]:
    """The IAM policy document for the stack's deploy role; with `preview_role`, the read-only one for pull-request
    previews, whose providers assume `preview_role` in member accounts. An organization stack needs the
    `organization` its plan was made with (the OUs whose accounts the program lists)."""
    partition = result.outputs["userArn"].value.split(":")[1]
    needs = _needs(result, partition, preview_role)
    levels = (READ,) if preview_role else (READ, WRITE)
    statements = _statements(needs, levels) + _organization_statements(result, organization, partition, levels)
    return {"Version": "2012-10-17", "Statement": statements}
