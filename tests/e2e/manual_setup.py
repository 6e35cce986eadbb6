"""The vendor's guide ("Connecting the AWS Adapter Using an IAM User") done by hand, as a customer does it:
boto3 for the IAM console steps, the Kubernetes client for the kubectl steps. What `adopt` takes over.

The cluster is the stand-in cloud's Kubernetes API (`tests/standin/kube_api.py`): aws-auth, any object at its
REST path, and EKS tokens checked as EKS checks them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
import yaml
from kubernetes import client

from components.eks_token import eks_token

ADAPTER_POLICY = "AxoniusReadOnlyPolicy"  # the guide leaves the name to the customer: a hand-made one
ASSUME_POLICY = "AxoniusAssumeRolesPolicy"
USER = "Axonius-Readonly"
ROLE = "Axonius-Readonly-Role"
# A few of the adapter's reads: enough to tell the policy apart; the guide's document is pasted by hand.
ADAPTER_ACTIONS = [
    "ec2:DescribeInstances",
    "ecs:ListClusters",
    "eks:ListClusters",
    "iam:ListUsers",
    "s3:ListAllMyBuckets",
]


@dataclass
class ManualSetup:
    """What the guide made: the user and the key Axonius holds, the policies, the roles and cluster objects."""

    user_arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    policy_arns: dict[str, str] = field(default_factory=dict)  # account -> the hand-named read-only policy
    assume_policy_arn: str = ""
    role_arns: list[str] = field(default_factory=list)


def read_only_document(actions: Sequence[str]) -> str:
    statement = {"Sid": "VisualEditor0", "Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_user_with_key(iam: Any, home: str) -> ManualSetup:
    """ "Creating an IAM User": the policy, the user with programmatic access, the policy attached, the key."""
    policy = iam.create_policy(PolicyName=ADAPTER_POLICY, PolicyDocument=read_only_document(ADAPTER_ACTIONS))
    user = iam.create_user(UserName=USER)["User"]
    iam.attach_user_policy(UserName=USER, PolicyArn=policy["Policy"]["Arn"])
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return ManualSetup(user["Arn"], key["AccessKeyId"], key["SecretAccessKey"], {home: policy["Policy"]["Arn"]})


def create_role(iam: Any, account: str, home: str, setup: ManualSetup) -> None:
    """ "AWS Roles Configuration" in one more account: the same policy, a role for "Another AWS Account" (the
    home account's root), the policy attached, 4 h sessions, then the trust narrowed to the user's ARN."""
    policy = iam.create_policy(PolicyName=ADAPTER_POLICY, PolicyDocument=read_only_document(ADAPTER_ACTIONS))
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{home}:root"}, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [root]}))
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy["Policy"]["Arn"])
    iam.update_role(RoleName=ROLE, MaxSessionDuration=14400)
    user_only = {**root, "Principal": {"AWS": setup.user_arn}}
    iam.update_assume_role_policy(
        RoleName=ROLE, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [user_only]})
    )
    setup.policy_arns[account] = policy["Policy"]["Arn"]
    setup.role_arns.append(f"arn:aws:iam::{account}:role/{ROLE}")


def allow_assuming_roles(iam: Any, setup: ManualSetup) -> None:
    """Back in the main account: a policy allowing the user to assume the roles, attached to the user."""
    statement = {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": setup.role_arns}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    policy = iam.create_policy(PolicyName=ASSUME_POLICY, PolicyDocument=document)
    iam.attach_user_policy(UserName=USER, PolicyArn=policy["Policy"]["Arn"])
    setup.assume_policy_arn = policy["Policy"]["Arn"]


def kubectl_as(session: boto3.Session, endpoint: str, cluster: str) -> client.ApiClient:
    """kubectl as the cluster's admin: an EKS token signed with the admin's credentials."""
    frozen = session.get_credentials().get_frozen_credentials()
    core = botocore.session.Session()
    core.set_credentials(frozen.access_key, frozen.secret_key, frozen.token)
    configuration = client.Configuration()
    configuration.host = endpoint
    configuration.api_key = {"BearerToken": eks_token(cluster, session.region_name or "us-east-1", session=core)}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(configuration)


def kubectl_steps(api_client: client.ApiClient, user_arn: str) -> None:
    """ "EKS Configuration": `kubectl create clusterrole axonius-view-role --verb=list --resource=pods`,
    `kubectl create clusterrolebinding axonius-view-cbr ...`, then `kubectl edit configmap/aws-auth` to append
    the user's mapping."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_cluster_role(
        client.V1ClusterRole(
            metadata=client.V1ObjectMeta(name="axonius-view-role"),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["list"])],
        )
    )
    rbac.create_cluster_role_binding(
        client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name="axonius-view-cbr"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="axonius-view-role"
            ),
            subjects=[
                client.RbacV1Subject(api_group="rbac.authorization.k8s.io", kind="Group", name="axonius-readonly")
            ],
        )
    )
    add_aws_auth_user(api_client, {"userarn": user_arn, "username": "axonius-readonly", "groups": ["axonius-readonly"]})


def add_aws_auth_user(api_client: client.ApiClient, entry: dict[str, Any]) -> None:
    """What `kubectl edit -n kube-system configmap/aws-auth` does when one appends to mapUsers."""
    core = client.CoreV1Api(api_client)
    config_map = core.read_namespaced_config_map("aws-auth", "kube-system")
    data = dict(config_map.data or {})
    data["mapUsers"] = yaml.safe_dump([*(yaml.safe_load(data.get("mapUsers") or "") or []), entry])
    config_map.data = data
    core.replace_namespaced_config_map("aws-auth", "kube-system", config_map)


# Who else is in aws-auth before the guide: the nodes (their entry must survive everything).
NODES = (
    "- rolearn: arn:aws:iam::111111111111:role/eks-nodes\n"
    "  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups:\n  - system:bootstrappers\n  - system:nodes\n"
)
