"""A Kubernetes API server for one ConfigMap, on 127.0.0.1, with real resourceVersion semantics.

GET/PUT/POST `/api/v1/namespaces/kube-system/configmaps[/aws-auth]`; a PUT whose resourceVersion is
not the current one gets 409 Conflict, as the real API server answers.

With `authenticate` (token to the caller's groups, or None) and `grants` (group to the (verb, resource)
pairs its ClusterRole allows), cluster-wide lists `GET /api/v1/<resource>` answer as an RBAC-enforcing
server does: 401 for a token it does not accept, 403 Forbidden for what no group of the caller may do,
200 with an empty list otherwise.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

COLLECTION = "/api/v1/namespaces/kube-system/configmaps"
ITEM = f"{COLLECTION}/aws-auth"


class FakeKubeApi:
    def __init__(
        self,
        data: dict[str, str] | None = None,
        token: str = "test-token",
        authenticate: Callable[[str], list[str] | None] | None = None,
        grants: dict[str, set[tuple[str, str]]] | None = None,
    ) -> None:
        self.authenticate = authenticate
        self.grants = grants or {}
        self.lock = threading.Lock()
        self.version = 0
        self.config_map: dict[str, Any] | None = None
        self.token = token
        self.conflicts = 0
        self.writes = 0
        # Runs after each GET is answered, before the client can write: a concurrent writer.
        self.after_get: Callable[[FakeKubeApi], None] | None = None
        if data is not None:
            self.store(data)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def store(self, data: dict[str, str]) -> None:
        with self.lock:
            self.version += 1
            self.config_map = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "aws-auth",
                    "namespace": "kube-system",
                    "resourceVersion": str(self.version),
                    "labels": {"owner": "eks"},
                },
                "data": dict(data),
            }

    def commit(self, config_map: dict[str, Any]) -> None:
        """A client's accepted write (the caller holds the lock): a new resourceVersion."""
        self.version += 1
        self.writes += 1
        config_map["metadata"]["resourceVersion"] = str(self.version)
        self.config_map = config_map

    @property
    def data(self) -> dict[str, str] | None:
        return None if self.config_map is None else self.config_map.get("data") or {}

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepts(self, authorization: str | None) -> bool:
        """Whether a request with this Authorization header may read and write the ConfigMap."""
        return authorization == f"Bearer {self.token}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def reply(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def status(self, code: int, reason: str) -> None:
                self.reply(
                    code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code}
                )

            def authorized(self) -> bool:
                if not api.accepts(self.headers.get("Authorization")):
                    self.status(401, "Unauthorized")
                    return False
                return True

            def body(self) -> dict[str, Any]:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def rbac_list(self, resource: str) -> None:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                groups = api.authenticate(token) if api.authenticate else None
                if groups is None:
                    return self.status(401, "Unauthorized")
                if not any(("list", resource) in api.grants.get(group, set()) for group in groups):
                    return self.status(403, "Forbidden")
                kind = resource[:-1].capitalize() + "List"
                self.reply(200, {"kind": kind, "apiVersion": "v1", "metadata": {}, "items": []})

            def do_GET(self) -> None:
                listed = urlsplit(self.path).path.removeprefix("/api/v1/")
                if api.authenticate and "/" not in listed and listed != self.path:
                    return self.rbac_list(listed)
                if not self.authorized():
                    return
                if self.path != ITEM:
                    return self.status(404, "NotFound")
                with api.lock:
                    snapshot = json.loads(json.dumps(api.config_map)) if api.config_map else None
                if snapshot is None:
                    return self.status(404, "NotFound")
                self.reply(200, snapshot)
                if api.after_get:
                    hook, api.after_get = api.after_get, None
                    hook(api)

            def do_PUT(self) -> None:
                if not self.authorized():
                    return
                if self.path != ITEM:
                    return self.status(404, "NotFound")
                body = self.body()
                with api.lock:
                    if api.config_map is None:
                        return self.status(404, "NotFound")
                    if body["metadata"].get("resourceVersion") != api.config_map["metadata"]["resourceVersion"]:
                        api.conflicts += 1
                        return self.status(409, "Conflict")
                    api.commit(body)
                self.reply(200, body)

            def do_POST(self) -> None:
                if not self.authorized():
                    return
                if self.path != COLLECTION:
                    return self.status(404, "NotFound")
                body = self.body()
                with api.lock:
                    if api.config_map is not None:
                        api.conflicts += 1
                        return self.status(409, "AlreadyExists")
                    api.commit(body)
                self.reply(201, body)

        return Handler
