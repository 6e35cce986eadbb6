"""Read-only access to one EKS cluster ("EKS Configuration" in the vendor's guide)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from .aws_auth_mapping import AwsAuthMapping
from .cluster_identity import ClusterIdentity, kubeconfig, resolve_mode
from .stack_config import ConfigError, EksCluster, EksConfig, EksMode


@dataclass(frozen=True)
class ClusterTarget:
    """A cluster as found in AWS, and the mapping mode chosen for it."""

    cluster: EksCluster
    account_id: str
    endpoint: str
    certificate_authority: str
    mode: EksMode  # accessEntry or awsAuth, never auto


def find_cluster(cluster: EksCluster, index: int, account_id: str, provider: aws.Provider | None) -> ClusterTarget:
    """Look the cluster up and choose its mode; a mode it does not honour is a ConfigError, before any resource."""
    try:
        found = aws.eks.get_cluster(
            name=cluster.name, region=cluster.region, opts=pulumi.InvokeOptions(provider=provider)
        )
    except Exception as error:  # noqa: BLE001 the provider's lookup error, whatever its type
        raise ConfigError(
            [
                f"eks.clusters[{index}]: cluster {cluster.name!r} could not be read in {cluster.region} of account "
                f"{account_id} ({error}); expected an existing cluster the deploying identity may describe"
            ]
        ) from None
    authentication = found.access_configs[0].authentication_mode if found.access_configs else None
    return ClusterTarget(
        cluster=cluster,
        account_id=account_id,
        endpoint=found.endpoint,
        certificate_authority=found.certificate_authorities[0].data,
        mode=resolve_mode(cluster, authentication, index),
    )


RBAC_GROUP = "rbac.authorization.k8s.io"


class EksReadOnlyAccess(pulumi.ComponentResource):
    """A ClusterRole and its binding to the adapter's group, and the mapping of the adapter's identity into it."""

    def __init__(
        self,
        name: str,
        *,
        target: ClusterTarget,
        eks: EksConfig,
        identity: ClusterIdentity,
        aws_provider: aws.Provider | None,
        deploy_role_arn: str | None,
        identity_resource: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("axonius-aws-access:eks_access:EksReadOnlyAccess", name, None, opts)
        cluster = target.cluster
        k8s = kubernetes.Provider(
            f"{name}-k8s",
            kubeconfig=json.dumps(kubeconfig(cluster, target.endpoint, target.certificate_authority, deploy_role_arn)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=k8s)
        role = kubernetes.rbac.v1.ClusterRole(
            f"{name}-cluster-role",
            metadata={"name": eks.cluster_role, "labels": {"app.kubernetes.io/managed-by": "axonius-aws-access"}},
            rules=[
                {"api_groups": list(r.api_groups), "resources": list(r.resources), "verbs": list(r.verbs)}
                for r in eks.rules
            ],
            opts=on_cluster,
        )
        kubernetes.rbac.v1.ClusterRoleBinding(
            f"{name}-binding",
            metadata={
                "name": eks.cluster_role_binding,
                "labels": {"app.kubernetes.io/managed-by": "axonius-aws-access"},
            },
            role_ref={"api_group": RBAC_GROUP, "kind": "ClusterRole", "name": eks.cluster_role},
            subjects=[{"api_group": RBAC_GROUP, "kind": "Group", "name": eks.group}],
            opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[role])),
        )
        mapped = pulumi.ResourceOptions(parent=self, provider=aws_provider, depends_on=[identity_resource])
        if target.mode == EksMode.ACCESS_ENTRY:
            aws.eks.AccessEntry(
                f"{name}-access-entry",
                cluster_name=cluster.name,
                principal_arn=identity.arn,
                kubernetes_groups=[eks.group],
                user_name=eks.username,
                type="STANDARD",
                region=cluster.region,
                opts=mapped,
            )
        else:
            AwsAuthMapping(
                f"{name}-aws-auth",
                kind=identity.kind,
                arn=identity.arn,
                username=eks.username,
                groups=[eks.group],
                cluster_name=cluster.name,
                region=cluster.region,
                endpoint=target.endpoint,
                certificate_authority=target.certificate_authority,
                role_arn=deploy_role_arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[identity_resource]),
            )
        self.summary = {
            "name": cluster.name,
            "region": cluster.region,
            "account": target.account_id,
            "mode": target.mode,
            "identity": identity.arn,
        }
        self.register_outputs(self.summary)
