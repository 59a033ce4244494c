"""Zippex's REST and Zonos's GraphQL webhook APIs, as documented, on 127.0.0.1 (real HTTP, so our clients'
timeouts, retries and parsing are exercised, not mocked)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ProviderState:
    zippex_key: str = "zx_live_test"
    zonos_key: str = "zonos_credential"
    zippex_hooks: list[dict[str, Any]] = field(default_factory=list)
    zonos_hooks: list[dict[str, Any]] = field(default_factory=list)
    zonos_logs: dict[str, list[int | None]] = field(
        default_factory=dict
    )  # type -> responseStatus, newest first
    failures: list[int] = field(default_factory=list)  # statuses to answer before answering normally
    delay_seconds: float = 0.0
    requests: list[str] = field(default_factory=list)
    created_secret: str = "whsec_created_by_fake_zippex"


class _Handler(BaseHTTPRequestHandler):
    state: ProviderState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _before(self) -> bool:
        self.state.requests.append(f"{self.command} {self.path}")
        if self.state.delay_seconds:
            time.sleep(self.state.delay_seconds)
        if self.state.failures:
            status = self.state.failures.pop(0)
            self._answer(status, {"error": "injected"}, {"Retry-After": "0"} if status == 429 else None)
            return False
        return True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        if not self._before():
            return
        if self.path != "/v1/webhooks":
            self._answer(404, {"error": "not found"})
        elif self.headers.get("Authorization") != f"Bearer {self.state.zippex_key}":
            self._answer(401, {"error": "unauthorized"})
        else:
            self._answer(200, {"data": self.state.zippex_hooks})

    def do_POST(self) -> None:
        if not self._before():
            return
        body = self._body()
        if self.path == "/v1/webhooks":
            if self.headers.get("Authorization") != f"Bearer {self.state.zippex_key}":
                self._answer(401, {"error": "unauthorized"})
                return
            hook = {
                "id": f"wh_{len(self.state.zippex_hooks) + 1}",
                "url": body["url"],
                "events": body["events"],
                "description": body.get("description"),
                "active": True,
                "created_at": "2026-03-10T14:00:00Z",
            }
            self.state.zippex_hooks.append(hook)
            self._answer(201, {**hook, "secret": self.state.created_secret})
        elif self.path == "/graphql":
            if self.headers.get("credentialToken") != self.state.zonos_key:
                self._answer(200, {"errors": [{"message": "unauthorized"}]})
            else:
                self._answer(200, self._graphql(body["query"], body.get("variables") or {}))
        else:
            self._answer(404, {"error": "not found"})

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "webhookUpdate" in query:
            update = variables["input"]
            for hook in self.state.zonos_hooks:
                if hook["id"] == update["id"]:
                    hook["status"] = update["status"]
                    return {"data": {"webhookUpdate": {"id": hook["id"], "status": hook["status"]}}}
            return {"errors": [{"message": "webhook not found"}]}
        if "webhookLogs" in query:
            statuses = self.state.zonos_logs.get(variables["type"], [])[: variables["first"]]
            edges = [
                {
                    "node": {
                        "id": f"log_{i}",
                        "type": variables["type"],
                        "url": "https://x",
                        "createdAt": "2026-03-10T14:00:00Z",
                        "responseStatus": s,
                    }
                }
                for i, s in enumerate(statuses)
            ]
            return {"data": {"webhookLogs": {"edges": edges}}}
        if re.search(r"\bwebhooks\b", query):
            return {"data": {"webhooks": self.state.zonos_hooks}}
        return {"errors": [{"message": "unknown query"}]}


@contextmanager
def fake_provider_server() -> Iterator[tuple[str, ProviderState]]:
    state = ProviderState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
