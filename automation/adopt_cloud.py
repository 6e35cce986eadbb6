"""The thin reads (and the detach writes) `adopt` makes: IAM and EKS through boto3, in-cluster objects through
the Kubernetes API. No decisions here: `adopt.py` decides from what these return.

The home account comes from STS with the deploying credentials; every other account is reached through the
deploy role the program's provider for that account assumes. boto3 honours `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from kubernetes import client
from kubernetes.client.rest import ApiException

from components.aws_auth_mapping import NAME as AWS_AUTH_NAME
from components.aws_auth_mapping import NAMESPACE as AWS_AUTH_NAMESPACE
from components.eks_token import eks_token

# Seconds to connect and to read per Kubernetes request: an unreachable cluster fails the run, never hangs it.
KUBE_TIMEOUT = (10, 30)


class CloudError(Exception):
    """A read failed for a reason other than "not there": adopt stops, nothing changed. Exit code 2."""


@dataclass(frozen=True)
class Cluster:
    """An EKS cluster as `describe-cluster` answers it."""

    name: str
    region: str
    account: str
    endpoint: str
    certificate_authority: str
    authentication_mode: str | None


class ClusterObjects(Protocol):
    """The in-cluster objects adopt reads (and nothing it writes)."""

    def cluster_role(self, name: str) -> dict[str, Any] | None: ...

    def cluster_role_binding(self, name: str) -> dict[str, Any] | None: ...

    def aws_auth(self) -> dict[str, str] | None: ...


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {"NoSuchEntity", "ResourceNotFoundException", "NotFound"}


class Cloud:
    """IAM and EKS clients per account with the deploying credentials, and each cluster's Kubernetes API."""

    def __init__(self, session: boto3.Session | None = None) -> None:
        self.home_session = session or boto3.Session()
        self.deploy_roles: dict[str, str] = {}  # account -> deploy role ARN, as the program's providers assume
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str, str | None], Any] = {}  # a client loads its service model: once each
        self._home: tuple[str, str] | None = None

    def home(self) -> tuple[str, str]:
        """The deploying credentials' account and partition, from STS."""
        if self._home is None:
            try:
                arn = self.home_session.client("sts").get_caller_identity()["Arn"]
            except (ClientError, BotoCoreError) as error:
                raise CloudError(f"cannot tell the deploying account with sts:GetCallerIdentity: {error}") from None
            self._home = (arn.split(":")[4], arn.split(":")[1])
        return self._home

    def session(self, account: str) -> boto3.Session:
        if account == self.home()[0]:
            return self.home_session
        if account not in self._sessions:
            role = self.deploy_roles.get(account)
            if role is None:
                raise CloudError(f"account {account} is reached through no deploy role in the stack")
            try:
                answer = self.home_session.client("sts").assume_role(
                    RoleArn=role, RoleSessionName="axonius-aws-access-adopt"
                )["Credentials"]
            except (ClientError, BotoCoreError) as error:
                raise CloudError(f"cannot assume the deploy role {role} for account {account}: {error}") from None
            self._sessions[account] = boto3.Session(
                aws_access_key_id=answer["AccessKeyId"],
                aws_secret_access_key=answer["SecretAccessKey"],
                aws_session_token=answer["SessionToken"],
                region_name=self.home_session.region_name,
            )
        return self._sessions[account]

    def client(self, account: str, service: str, region: str | None = None) -> Any:
        if (account, service, region) not in self._clients:
            self._clients[(account, service, region)] = self.session(account).client(service, region_name=region)
        return self._clients[(account, service, region)]

    def iam(self, account: str) -> Any:
        return self.client(account, "iam")

    def cluster(self, account: str, region: str, name: str) -> Cluster | None:
        try:
            found = self.client(account, "eks", region).describe_cluster(name=name)["cluster"]
        except ClientError as error:
            if _missing(error):
                return None
            raise CloudError(f"cannot describe EKS cluster {name} in {region} of account {account}: {error}") from None
        return Cluster(
            name=name,
            region=region,
            account=account,
            endpoint=found.get("endpoint", ""),
            certificate_authority=(found.get("certificateAuthority") or {}).get("data", ""),
            authentication_mode=(found.get("accessConfig") or {}).get("authenticationMode"),
        )

    def access_entry(self, cluster: Cluster, principal_arn: str) -> dict[str, Any] | None:
        eks = self.client(cluster.account, "eks", cluster.region)
        try:
            return eks.describe_access_entry(clusterName=cluster.name, principalArn=principal_arn)["accessEntry"]
        except ClientError as error:
            if _missing(error):
                return None
            raise CloudError(
                f"cannot read the access entry of {principal_arn} in cluster {cluster.name}: {error}"
            ) from None

    @contextmanager
    def kubernetes(self, cluster: Cluster) -> Iterator[ClusterObjects]:
        """The cluster's API with an EKS token of the identity that deploys there (deploy role elsewhere)."""
        credentials = self.session(cluster.account).get_credentials()
        if credentials is None:
            raise CloudError(f"no AWS credentials to sign a token for cluster {cluster.name}")
        frozen = credentials.get_frozen_credentials()
        core = botocore.session.Session()
        core.set_credentials(frozen.access_key, frozen.secret_key, frozen.token)
        token = eks_token(cluster.name, cluster.region, session=core)
        with kubernetes_objects(cluster.endpoint, token, cluster.certificate_authority) as objects:
            yield objects


class KubernetesObjects:
    """ClusterRoles, bindings and aws-auth read through the official client; 404 is None."""

    def __init__(self, api_client: client.ApiClient, where: str) -> None:
        self.rbac = client.RbacAuthorizationV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.where = where

    def _read(self, what: str, read: Any, *args: str) -> Any:
        try:
            return read(*args, _request_timeout=KUBE_TIMEOUT)
        except ApiException as error:
            if error.status == 404:
                return None
            raise CloudError(f"cannot read {what} at {self.where}: {error.status} {error.reason}") from None
        except Exception as error:  # noqa: BLE001 urllib3's connection errors, whatever their type
            raise CloudError(f"cannot reach the Kubernetes API at {self.where}: {error}") from None

    def cluster_role(self, name: str) -> dict[str, Any] | None:
        found = self._read(f"ClusterRole {name}", self.rbac.read_cluster_role, name)
        return None if found is None else self.rbac.api_client.sanitize_for_serialization(found)

    def cluster_role_binding(self, name: str) -> dict[str, Any] | None:
        found = self._read(f"ClusterRoleBinding {name}", self.rbac.read_cluster_role_binding, name)
        return None if found is None else self.rbac.api_client.sanitize_for_serialization(found)

    def aws_auth(self) -> dict[str, str] | None:
        found = self._read(
            f"{AWS_AUTH_NAMESPACE}/{AWS_AUTH_NAME}",
            self.core.read_namespaced_config_map,
            AWS_AUTH_NAME,
            AWS_AUTH_NAMESPACE,
        )
        return None if found is None else dict(found.data or {})


@contextmanager
def kubernetes_objects(endpoint: str, token: str, certificate_authority: str = "") -> Iterator[KubernetesObjects]:
    configuration = client.Configuration()
    configuration.host = endpoint
    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    with tempfile.TemporaryDirectory(prefix="adopt-") as folder:
        if certificate_authority:
            ca_file = Path(folder, "ca.crt")
            ca_file.write_bytes(base64.b64decode(certificate_authority))
            configuration.ssl_ca_cert = str(ca_file)
        with client.ApiClient(configuration) as api_client:
            yield KubernetesObjects(api_client, endpoint)


def iam_list(iam: Any, operation: str, key: str, **kwargs: str) -> list[Any]:
    """Every page of an IAM list call."""
    items: list[Any] = []
    for page in iam.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def iam_get(iam: Any, operation: str, key: str, **kwargs: str) -> Mapping[str, Any] | None:
    """One IAM entity, or None when it does not exist."""
    try:
        return getattr(iam, operation)(**kwargs)[key]
    except ClientError as error:
        if _missing(error):
            return None
        raise CloudError(f"iam:{operation} {kwargs} failed: {error}") from None
