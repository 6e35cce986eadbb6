"""One EKS cluster's API server for the stand-in cloud: the project's fake (aws-auth with resourceVersion conflicts)
plus any other object at its REST path, and EKS authentication: a bearer token is accepted when it is a valid
`k8s-aws-v1.` token for this cluster, signed by an identity moto knows (checked as aws-iam-authenticator does).
"""

# ruff: noqa: N802 (the method names are the protocol's RPC names)

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.e2e.eks_authenticator import caller_arn
from tests.fake_kube_api import COLLECTION, FakeKubeApi


class StandinKubeApi(FakeKubeApi):
    def __init__(self, cluster_name: str, data: dict[str, str] | None = None) -> None:
        self.cluster_name = cluster_name
        self.objects: dict[str, dict[str, Any]] = {}
        self.objects_lock = threading.Lock()
        self.callers: list[str] = []
        super().__init__(data)

    def accepts(self, authorization: str | None) -> bool:
        token = (authorization or "").removeprefix("Bearer ")
        arn = caller_arn(token, self.cluster_name)
        if arn is not None:
            self.callers.append(arn)
        return arn is not None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self
        aws_auth = super()._handler()

        class Handler(aws_auth):  # type: ignore[misc, valid-type]
            """aws-auth as the project's fake serves it; every other path is a plain object store."""

            def mine(self) -> bool:
                return self.path.startswith(COLLECTION)

            def do_GET(self) -> None:
                if self.mine():
                    return super().do_GET()
                if not self.authorized():
                    return None
                with api.objects_lock:
                    found = api.objects.get(self.path)
                return self.reply(200, found) if found else self.status(404, "NotFound")

            def do_POST(self) -> None:
                if self.mine():
                    return super().do_POST()
                if not self.authorized():
                    return None
                body = self.body()
                path = f"{self.path}/{body['metadata']['name']}"
                with api.objects_lock:
                    if path in api.objects:
                        return self.status(409, "AlreadyExists")
                    api.version += 1
                    body["metadata"].update(uid=str(uuid.uuid4()), resourceVersion=str(api.version))
                    api.objects[path] = body
                return self.reply(201, body)

            def do_PUT(self) -> None:
                if self.mine():
                    return super().do_PUT()
                if not self.authorized():
                    return None
                body = self.body()
                with api.objects_lock:
                    current = api.objects.get(self.path)
                    if current is None:
                        return self.status(404, "NotFound")
                    if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                        return self.status(409, "Conflict")
                    api.version += 1
                    body["metadata"].update(uid=current["metadata"]["uid"], resourceVersion=str(api.version))
                    api.objects[self.path] = body
                return self.reply(200, body)

            def do_DELETE(self) -> None:
                if not self.authorized():
                    return None
                with api.objects_lock:
                    gone = api.objects.pop(self.path, None)
                if gone is None:
                    return self.status(404, "NotFound")
                return self.reply(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})

        return Handler

    def snapshot(self) -> dict[str, Any]:
        """Everything the cluster holds, to compare before and after."""
        with self.objects_lock:
            objects = json.loads(json.dumps(self.objects))
        return {"aws-auth": self.data, "objects": objects}
