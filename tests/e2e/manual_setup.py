"""The vendor's guide ("Connecting the AWS Adapter Using an IAM User") done by hand, as a customer does it:
boto3 for the IAM console steps, the Kubernetes client for the kubectl steps. What `adopt` takes over.

`FakeClusterApi` is the local Kubernetes API (`tests/fake_kube_api.py`) with the two RBAC collections the
guide's `kubectl create clusterrole|clusterrolebinding` write, and EKS tokens checked as EKS checks them
(`eks_authenticator`): a request signs in with a token a real identity in moto signed for this cluster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import yaml
from kubernetes import client

from tests.e2e.eks_authenticator import caller_arn
from tests.fake_kube_api import FakeKubeApi

RBAC_PATH = "/apis/rbac.authorization.k8s.io/v1"
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


class FakeClusterApi(FakeKubeApi):
    """aws-auth, ClusterRoles and ClusterRoleBindings, for callers with a valid EKS token for `cluster`."""

    def __init__(self, cluster: str, data: dict[str, str] | None = None) -> None:
        self.cluster = cluster
        self.objects: dict[str, dict[str, dict[str, Any]]] = {"clusterroles": {}, "clusterrolebindings": {}}
        self.signed_in: list[str] = []
        super().__init__(data=data)

    def accepts(self, authorization: str | None) -> bool:
        arn = caller_arn((authorization or "").removeprefix("Bearer "), self.cluster)
        if arn is not None:
            self.signed_in.append(arn)
        return arn is not None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self
        base = super()._handler()

        class Handler(base):  # type: ignore[valid-type, misc]  # the base is built at run time
            def rbac_object(self) -> tuple[str, str | None] | None:
                if not self.path.startswith(f"{RBAC_PATH}/"):
                    return None
                collection, _, name = self.path.removeprefix(f"{RBAC_PATH}/").partition("/")
                return (collection, name or None) if collection in api.objects else None

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                where = self.rbac_object()
                if where is None:
                    return super().do_GET()
                if not self.authorized():
                    return
                collection, name = where
                found = api.objects[collection].get(name or "")
                return self.reply(200, found) if found else self.status(404, "NotFound")

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                where = self.rbac_object()
                if where is None:
                    return super().do_POST()
                if not self.authorized():
                    return
                body = self.body()
                objects = api.objects[where[0]]
                if body["metadata"]["name"] in objects:
                    return self.status(409, "AlreadyExists")
                objects[body["metadata"]["name"]] = body
                self.reply(201, body)

        return Handler


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
