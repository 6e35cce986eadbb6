"""A Pulumi dynamic resource that owns one entry of a cluster's `kube-system/aws-auth`, and nothing else.

Create and update read the ConfigMap, merge our entry, and replace it with the resourceVersion they
read, retrying when someone else wrote in between (409). Delete removes only our entry. Read reports
drift: our entry changed, or gone. An API server that cannot be reached fails the step with a
message naming the cluster and endpoint, after bounded timeouts, never a hang.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pulumi
import urllib3
from kubernetes import client
from kubernetes.client.rest import ApiException
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from .aws_auth import add_mapping, check_mapping, find_mapping, remove_mapping

NAMESPACE = "kube-system"
NAME = "aws-auth"
ATTEMPTS = 8
# Changing any of these moves our entry to another identity or cluster: a new resource.
REPLACE_ON = ("clusterName", "region", "mapKind", "arn")
# Seconds to connect and to read, per request: an unreachable API server fails the step instead of hanging it.
REQUEST_TIMEOUT = (10, 30)

Change = Callable[[dict[str, str]], dict[str, str]]
# Makes the bearer token for one resource's props. The provider carries it into its pickle, so whatever
# the program passes is what the engine's dynamic-provider host runs.
TokenSource = Callable[[Mapping[str, Any]], str]


class AwsAuthConflictError(RuntimeError):
    pass


class KubernetesUnreachableError(RuntimeError):
    pass


def apply_change(api: client.CoreV1Api, change: Change, *, create_missing: bool) -> dict[str, str] | None:
    """Apply `change` to aws-auth's data with optimistic concurrency; the data written, or None if absent."""
    for _ in range(ATTEMPTS):
        try:
            config_map = api.read_namespaced_config_map(NAME, NAMESPACE, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as error:
            if error.status != 404:
                raise
            if not create_missing:
                return None
            data = change({})
            body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=NAME, namespace=NAMESPACE), data=data)
            try:
                api.create_namespaced_config_map(NAMESPACE, body, _request_timeout=REQUEST_TIMEOUT)
                return data
            except ApiException as create_error:
                if create_error.status == 409:
                    continue  # created by someone else meanwhile: merge into theirs
                raise
        current = dict(config_map.data or {})
        data = change(current)
        if data == current:
            return data
        config_map.data = data  # metadata, including the resourceVersion we read, goes back unchanged
        try:
            api.replace_namespaced_config_map(NAME, NAMESPACE, config_map, _request_timeout=REQUEST_TIMEOUT)
            return data
        except ApiException as error:
            if error.status != 409:
                raise
    raise AwsAuthConflictError(f"{NAMESPACE}/{NAME} kept changing while we wrote it; gave up after {ATTEMPTS} tries")


def eks_bearer_token(props: Mapping[str, Any]) -> str:
    from .eks_token import eks_token

    return eks_token(props["clusterName"], props["region"], props.get("roleArn") or None)


@contextmanager
def kubernetes_api(props: Mapping[str, Any], token: str) -> Iterator[client.CoreV1Api]:
    """A client for the cluster's API server; the CA file it reads exists only while the client is open."""
    configuration = client.Configuration()
    configuration.host = props["endpoint"]
    configuration.api_key = {"BearerToken": token}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    with tempfile.TemporaryDirectory(prefix="aws-auth-") as folder:
        if props.get("certificateAuthority"):
            ca_file = Path(folder, "ca.crt")
            ca_file.write_bytes(base64.b64decode(props["certificateAuthority"]))
            configuration.ssl_ca_cert = str(ca_file)  # urllib3 reads it at each new connection
        with client.ApiClient(configuration) as api_client:
            try:
                yield client.CoreV1Api(api_client)
            except urllib3.exceptions.HTTPError as error:
                reason = getattr(error, "reason", None) or error
                raise KubernetesUnreachableError(
                    f"cannot reach the Kubernetes API server of cluster {props['clusterName']} ({props['region']}) "
                    f"at {props['endpoint']}: {reason}"
                ) from error


class AwsAuthMappingProvider(ResourceProvider):
    def __init__(self, token_source: TokenSource = eks_bearer_token) -> None:
        super().__init__()
        self.token_source = token_source

    def _api(self, props: Mapping[str, Any]) -> AbstractContextManager[client.CoreV1Api]:
        return kubernetes_api(props, self.token_source(props))

    def _add(self, props: Mapping[str, Any]) -> None:
        def change(data: dict[str, str]) -> dict[str, str]:
            return add_mapping(data, props["mapKind"], props["arn"], props["username"], props["groups"])

        with self._api(props) as api:
            apply_change(api, change, create_missing=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._add(props)
        return CreateResult(id_=f"{props['clusterName']}/{props['mapKind']}/{props['arn']}", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in set(olds) | set(news) if key != "__provider" and olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_ON]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._add(news)
        return UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        def change(data: dict[str, str]) -> dict[str, str]:
            return remove_mapping(data, props["mapKind"], props["arn"])

        with self._api(props) as api:
            apply_change(api, change, create_missing=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            with self._api(props) as api:
                config_map = api.read_namespaced_config_map(NAME, NAMESPACE, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as error:
            if error.status == 404:
                return ReadResult(id_=None, outs={})
            raise
        entry = find_mapping(config_map.data, props["mapKind"], props["arn"])
        if entry is None:
            return ReadResult(id_=None, outs={})  # our entry is gone: Pulumi will plan to create it again
        return ReadResult(id_=id_, outs={**props, "username": entry.get("username"), "groups": entry.get("groups")})


class AwsAuthMapping(pulumi.dynamic.Resource, module="eks", name="AwsAuthMapping"):
    """One `mapUsers` or `mapRoles` entry in a cluster's aws-auth."""

    def __init__(
        self,
        name: str,
        *,
        kind: str,
        arn: str,
        username: str,
        groups: Sequence[str],
        cluster_name: str,
        region: str,
        endpoint: pulumi.Input[str],
        certificate_authority: pulumi.Input[str],
        role_arn: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        check_mapping(kind, arn, username, groups)
        props = {
            "mapKind": kind,
            "arn": arn,
            "username": username,
            "groups": list(groups),
            "clusterName": cluster_name,
            "region": region,
            "endpoint": endpoint,
            "certificateAuthority": certificate_authority,
            "roleArn": role_arn,
        }
        super().__init__(AwsAuthMappingProvider(), name, props, opts)
