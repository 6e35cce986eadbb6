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
        elif not r.custom or r.type.startswith(NO_IAM_PREFIXES):
            continue
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


def deployer_policy(result: PlanResult, *, preview_role: str | None = None) -> dict[str, Any]:
    """The IAM policy document for the stack's deploy role; with `preview_role`, the read-only one for pull-request
    previews, whose providers assume `preview_role` in member accounts."""
    partition = result.outputs["userArn"].value.split(":")[1]
    needs = _needs(result, partition, preview_role)
    levels = (READ,) if preview_role else (READ, WRITE)
    return {"Version": "2012-10-17", "Statement": _statements(needs, levels)}
