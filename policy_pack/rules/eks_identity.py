"""Checks of how IAM identities reach EKS clusters: access entries, access policies and aws-auth entries."""

from __future__ import annotations

from typing import Any

import yaml

ADMIN_GROUP = "system:masters"
VIEW_POLICY = "AmazonEKSViewPolicy"
AWS_AUTH_KEYS = ("mapUsers", "mapRoles")


def check_access_entry(props: dict[str, Any]) -> list[str]:
    problems = []
    groups = props.get("kubernetesGroups") or []
    if ADMIN_GROUP in groups:
        problems.append(f"the access entry puts its principal in {ADMIN_GROUP!r} (cluster admin)")
    user_name = props.get("userName")
    if isinstance(user_name, str) and user_name.startswith("system:"):
        problems.append(f"the access entry's user name {user_name!r} starts with 'system:', reserved for Kubernetes")
    return problems


def check_access_policy_association(props: dict[str, Any]) -> list[str]:
    arn = props.get("policyArn")
    if isinstance(arn, str) and arn.rsplit("/", 1)[-1] == VIEW_POLICY:
        return []
    return [f"the access policy {arn!r} is not {VIEW_POLICY}; only the view policy (no secrets) is read-only"]


def check_mapping_groups(groups: Any) -> list[str]:
    if isinstance(groups, list) and ADMIN_GROUP in groups:
        return [f"the aws-auth entry maps into {ADMIN_GROUP!r} (cluster admin)"]
    return []


def check_aws_auth_data(data: Any) -> list[str]:
    """Entries a declared `kube-system/aws-auth` ConfigMap (or patch) would write."""
    if not isinstance(data, dict):
        return []
    problems = []
    for key in AWS_AUTH_KEYS:
        if key not in data:
            continue
        try:
            entries = yaml.safe_load(data[key]) if isinstance(data[key], str) else data[key]
        except yaml.YAMLError:
            problems.append(f"aws-auth {key} is not valid YAML")
            continue
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                problems.extend(f"{key}: {p}" for p in check_mapping_groups(entry.get("groups")))
    return problems


def is_aws_auth(props: dict[str, Any]) -> bool:
    metadata = props.get("metadata") if isinstance(props.get("metadata"), dict) else {}
    return metadata.get("name") == "aws-auth" and metadata.get("namespace", "default") == "kube-system"
