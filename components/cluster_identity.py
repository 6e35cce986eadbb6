"""Who the adapter is in each cluster, how it is mapped there, and how Pulumi reaches the cluster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .aws_auth import MapKind
from .stack_config import ConfigError, EksCluster, EksMode

ACCESS_ENTRY_MODES = frozenset({"API", "API_AND_CONFIG_MAP"})
AWS_AUTH_MODES = frozenset({"CONFIG_MAP", "API_AND_CONFIG_MAP"})


@dataclass(frozen=True)
class ClusterIdentity:
    """The IAM identity the adapter presents to a cluster and the aws-auth list it belongs in."""

    arn: str
    kind: MapKind


def cluster_identity(account: str, home_account: str, user_arn: str, role_arns: dict[str, str]) -> ClusterIdentity:
    """In the user's account the adapter is the user (as in the vendor's guide); elsewhere, that account's role.

    `role_arns` must hold role ARNs without a path: aws-auth matches roles on that form.
    """
    if account == home_account:
        return ClusterIdentity(arn=user_arn, kind="mapUsers")
    return ClusterIdentity(arn=role_arns[account], kind="mapRoles")


def resolve_mode(cluster: EksCluster, authentication_mode: str | None, index: int) -> EksMode:
    """`auto` picks access entries when the cluster accepts them; an explicit mode must be one it honours."""
    mode = authentication_mode or "CONFIG_MAP"  # clusters from before access entries report none
    if cluster.mode == EksMode.AUTO:
        return EksMode.ACCESS_ENTRY if mode in ACCESS_ENTRY_MODES else EksMode.AWS_AUTH
    accepted = ACCESS_ENTRY_MODES if cluster.mode == EksMode.ACCESS_ENTRY else AWS_AUTH_MODES
    if mode not in accepted:
        raise ConfigError(
            [
                f"eks.clusters[{index}].mode: {cluster.mode!r} is not accepted for cluster {cluster.name}, whose "
                f"authentication mode is {mode}; expected auto or a mode its authentication mode honours "
                f"({' or '.join(sorted(accepted))} for {cluster.mode})"
            ]
        )
    return cluster.mode


def kubeconfig(cluster: EksCluster, endpoint: str, certificate_authority: str, role_arn: str | None) -> dict[str, Any]:
    """A kubeconfig that signs in with `aws eks get-token`, assuming the deploy role for other accounts."""
    args = ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region]
    if role_arn:
        args += ["--role-arn", role_arn]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster.name, "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority}}
        ],
        "contexts": [{"name": cluster.name, "context": {"cluster": cluster.name, "user": cluster.name}}],
        "current-context": cluster.name,
        "users": [
            {
                "name": cluster.name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": args,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }
