"""The local stack answers HTTP requests in parallel, but, as Lambda, never hands one function instance two
invocations at once: Powertools' resolver keeps the current event on the instance, and a shared instance
answered a genuine webhook with a forged one's 401 (seen as a flaky genuine 401 under load)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from hookbridge_cli.local import stack as stack_module
from hookbridge_cli.local.stack import LocalStack

from tests.cli.conftest import free_port

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


class OneAtATime:
    """A function instance that notices being invoked while it is still busy."""

    overlaps = 0
    lock = threading.Lock()

    def __init__(self) -> None:
        self.busy = False

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with OneAtATime.lock:
            if self.busy:
                OneAtATime.overlaps += 1
            self.busy = True
        time.sleep(0.05)  # long enough for the other requests to arrive meanwhile
        self.busy = False
        return {"statusCode": 200, "body": json.dumps({"status": "accepted"})}


def test_parallel_requests_never_share_a_function_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack_module, "ingest_handler", lambda *_: OneAtATime())
    local = LocalStack(aws_port=free_port(), http_port=free_port())
    local.dead_letter_queue_url = "http://127.0.0.1/queue/dead-letters"
    server = ThreadingHTTPServer(("127.0.0.1", local.http_port), local._router())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:

        def post(_: int) -> int:
            url = f"{local.base_url}/webhooks/github/demo"  # our local server: http, never a file: URL
            request = urllib.request.Request(url, data=b"{}", method="POST")  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return int(answer.status)

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(post, range(16))) == [200] * 16
    finally:
        server.shutdown()
        server.server_close()
    assert OneAtATime.overlaps == 0


def test_an_environment_is_started_only_when_every_other_is_busy() -> None:
    from hookbridge_cli.local.stack import Environments

    environments = Environments(OneAtATime)
    for _ in range(5):
        environments({}, None)
    assert environments.started == 1  # one after another: the same warm instance
