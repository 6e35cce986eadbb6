"""The stand-in `kubernetes` plugin (`python -m tests.standin.kubernetes`): objects written to the API server its
kubeconfig names (a `tests/standin/kube_api.py` server), signed in with an EKS token as the kubeconfig's
`aws eks get-token` would make it (`components.eks_token`, against moto).

Replacement follows pulumi-kubernetes: a new name or namespace, and a binding's `roleRef` (immutable in the API).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import requests

from components.eks_token import eks_token

from .provider import CloudError, Created, Kind, Properties, StandinProvider, sdk_plugin_version, serve

CLUSTER_SCOPED = frozenset({"ClusterRole", "ClusterRoleBinding", "Namespace"})
REQUEST_TIMEOUT = (5, 30)


def _kind(replace_on: set[str]) -> Kind:
    return Kind(
        replace_on=frozenset({"metadata.name", "metadata.namespace", *replace_on}),
        imported=("metadata", "rules", "roleRef", "subjects"),
    )


# Every kind this project declares; another kind is replaced on the same name and namespace changes.
KINDS: Mapping[str, Kind] = {
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _kind(set()),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": _kind(set()),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _kind({"roleRef"}),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _kind({"roleRef"}),
}


class KubernetesCloud:
    kinds: Mapping[str, Kind] = KINDS

    def __init__(self) -> None:
        self.server = ""
        self.token_args: dict[str, str | None] = {}

    def configure(self, config: Properties) -> None:
        raw = config.get("kubeconfig")
        if not raw:
            return  # the default provider: nothing here uses it
        kubeconfig = json.loads(raw) if isinstance(raw, str) else raw
        self.server = kubeconfig["clusters"][0]["cluster"]["server"]
        args = kubeconfig["users"][0]["user"]["exec"]["args"]
        flags = dict(zip(args[2::2], args[3::2], strict=False))  # eks get-token --cluster-name N --region R ...
        self.token_args = {
            "cluster_name": flags["--cluster-name"],
            "region": flags["--region"],
            "role_arn": flags.get("--role-arn"),
        }

    def call(self, method: str, path: str, body: Properties | None = None) -> requests.Response:
        if not os.environ.get("AWS_ENDPOINT_URL") or not self.server.startswith("http://127.0.0.1"):
            raise CloudError(
                f"the stand-in kubernetes provider reaches only a local fake API server, not {self.server}"
            )
        token = eks_token(
            str(self.token_args["cluster_name"]), str(self.token_args["region"]), self.token_args["role_arn"]
        )
        answer = requests.request(
            method, self.server + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code >= 400 and answer.status_code != 404:
            raise CloudError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer

    def create(self, type_: str, name: str, inputs: Properties) -> Created:
        collection, item = _paths(type_, inputs)
        answer = self.call("POST", collection, _body(type_, inputs))
        return Created(item.rsplit("/", 1)[-1] if _cluster_scoped(type_) else _namespaced_id(inputs), answer.json())

    def read(self, type_: str, id_: str, state: Properties) -> Properties | None:
        importing = not state  # the ID alone: `NAME` for a cluster-scoped object, `NAMESPACE/NAME` otherwise
        if importing:
            namespace, _, name = id_.rpartition("/")
            state = {"metadata": {"name": name, **({"namespace": namespace} if namespace else {})}}
        answer = self.call("GET", _paths(type_, state)[1])
        if answer.status_code == 404:
            return None
        found = answer.json()
        if importing:  # the metadata an object's inputs hold, not what the server sets
            found["metadata"] = {k: v for k, v in found["metadata"].items() if k in ("name", "namespace", "labels")}
        return found

    def update(self, type_: str, id_: str, olds: Properties, news: Properties) -> Properties:
        item = _paths(type_, news)[1]
        current = self.call("GET", item).json()
        body = _body(type_, news)
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self.call("PUT", item, body).json()

    def delete(self, type_: str, id_: str, state: Properties) -> None:
        self.call("DELETE", _paths(type_, state)[1])

    def invoke(self, token: str, args: Properties) -> Properties:
        raise CloudError(f"the stand-in kubernetes provider does not answer {token}")


def _cluster_scoped(type_: str) -> bool:
    return type_.rsplit(":", 1)[-1] in CLUSTER_SCOPED


def _namespaced_id(inputs: Properties) -> str:
    return f"{inputs['metadata'].get('namespace') or 'default'}/{inputs['metadata']['name']}"


def _paths(type_: str, properties: Properties) -> tuple[str, str]:
    """The REST collection and item of an object: `kubernetes:rbac.authorization.k8s.io/v1:ClusterRole` lives at
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/NAME`, core kinds under `/api/v1`."""
    group_version, kind = type_.removeprefix("kubernetes:").rsplit(":", 1)
    group, version = group_version.split("/")
    base = f"/api/{version}" if group == "core" else f"/apis/{group}/{version}"
    metadata = properties.get("metadata") or {}
    if not _cluster_scoped(type_):
        base += f"/namespaces/{metadata.get('namespace') or 'default'}"
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    collection = f"{base}/{plural}"
    return collection, f"{collection}/{metadata['name']}"


def _body(type_: str, inputs: Properties) -> dict[str, Any]:
    group_version, kind = type_.removeprefix("kubernetes:").rsplit(":", 1)
    api_version = group_version.removeprefix("core/")
    body = json.loads(json.dumps(inputs))
    body.update(apiVersion=api_version, kind=kind)
    body.setdefault("metadata", {})
    return body


def main() -> None:
    serve(StandinProvider("kubernetes", sdk_plugin_version("pulumi_kubernetes"), KubernetesCloud()))


if __name__ == "__main__":
    main()
