"""`hookbridge verify`, run as a user runs it against `hookbridge dev`: every sender passes, and when one
fails half way (a front that accepts anything, a URL where nothing answers) it says which, exits 1, and
leaves nothing behind: no secret, stored event, rule or queue of its own."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hookbridge import providers
from tests.cli.conftest import HOOKBRIDGE, Dev, Result, free_port, one_line_error, user_environment

pytestmark = [pytest.mark.slow, pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def left_behind(dev: Dev) -> list[str]:
    """Everything a verify run could have made and left."""
    secrets = [
        s["Name"]
        for s in dev.client("secretsmanager").list_secrets()["SecretList"]
        if s["Name"].split("/")[-1].startswith("verify-")
    ]
    rules = [
        r["Name"]
        for r in dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]
        if r["Name"].startswith("hookbridge-verify-")
    ]
    queues = dev.client("sqs").list_queues(QueueNamePrefix="hookbridge-verify-").get("QueueUrls", [])
    items = [  # stored events (by_day names their subscription) and their publishing's claims (pk does)
        i.get("by_day", i["pk"])["S"]
        for i in dev.client("dynamodb").scan(TableName="hookbridge-events")["Items"]
        if "#verify-" in i.get("by_day", i["pk"])["S"]
    ]
    return secrets + rules + queues + items


@pytest.fixture
def front(dev: Dev) -> Iterator[str]:
    """A front of the public URL that passes requests to the stack, but answers 200 to any request for
    Zencargo without asking it (a misconfigured proxy: a forged request gets in)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/webhooks/zencargo/"):
                return self._answer(200, b"{}")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            request = urllib.request.Request(  # noqa: S310 - the local stack
                f"{dev.base_url}{self.path}", data=body, method="POST", headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                    return self._answer(response.status, response.read())
            except urllib.error.HTTPError as exc:
                return self._answer(exc.code, exc.read())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    finally:
        server.shutdown()
        server.server_close()


def test_every_sender_passes_and_nothing_is_left(hb: Any, dev: Dev) -> None:
    result = hb("verify", "--local", "--json")
    assert result.code == 0, result
    rows = result.lines
    assert [r["provider"] for r in rows] == providers.names()
    for row in rows:
        assert row["ok"], row
        assert 200 <= row["genuine"] < 300
        assert row["forged"] in (401, 403)
        assert row["on_bus_seconds"] is not None
    assert left_behind(dev) == []
    human = hb("verify", "--local", "--provider", "zippex", "--provider", "zinc")
    assert human.code == 0, human
    assert [line.split(":")[0] for line in human.out.splitlines()] == ["ok   zippex", "ok   zinc"]


def test_a_forged_request_accepted_half_way_fails_and_leaves_nothing(hb: Any, dev: Dev, front: str) -> None:
    result = hb(
        "verify",
        "--local",
        "--url",
        front,
        "--provider",
        "zippex",
        "--provider",
        "zencargo",
        "--wait",
        "5",
        "--json",
    )
    assert result.code == 1, result
    zippex, zencargo = result.lines
    assert zippex["ok"], zippex
    assert (zencargo["ok"], zencargo["problem"]) == (False, "the forged request was ACCEPTED (200)")
    assert "1 of 2 sender(s) failed verification: zencargo" in one_line_error(result)
    assert left_behind(dev) == []


def test_a_public_url_that_does_not_answer_fails_every_sender_and_leaves_nothing(hb: Any, dev: Dev) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/webhooks"
    result = hb("verify", "--local", "--url", nowhere, "--provider", "zippex", "--provider", "stripe")
    assert result.code == 1, result
    assert all(line.startswith("FAIL ") and "not accepted" in line for line in result.out.splitlines())
    assert "2 of 2 sender(s) failed" in one_line_error(result)
    assert left_behind(dev) == []


def test_verify_mistakes_are_one_line(hb: Any, dev: Dev) -> None:
    for args, says in [
        (["--provider", "acme"], "unknown provider 'acme'"),
        (["--url", "ftp://x"], "--url 'ftp://x' is not an http(s) URL"),
    ]:
        result = hb("verify", "--local", *args)
        assert result.code == 2, result
        assert says in one_line_error(result)
    assert left_behind(dev) == []


@pytest.fixture
def hanging() -> Iterator[tuple[str, threading.Event]]:
    """A public URL whose server takes every request and never answers (set: one came)."""
    asked = threading.Event()

    class Hangs(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            asked.set()
            time.sleep(30)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Hangs)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks", asked
    finally:
        server.shutdown()
        server.server_close()


def start_verify(home: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own command
        [
            HOOKBRIDGE,
            "verify",
            "--local",
            "--url",
            url,
            "--provider",
            "zippex",
            "--provider",
            "stripe",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(home),
    )


def test_ctrl_c_half_way_removes_everything(
    home: Path, dev: Dev, hanging: tuple[str, threading.Event]
) -> None:
    """Interrupted while a sender's request hangs: the secrets and tap already made are removed, exit 130."""
    url, asked = hanging
    process = start_verify(home, url)
    try:
        assert asked.wait(60), "verify never sent"
        assert left_behind(dev) != []  # half way: its secrets and tap exist
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert (
        one_line_error(Result(130, out, err)) == "hookbridge: interrupted; removed everything verify had made"
    )
    assert left_behind(dev) == []


def test_a_killed_verifys_leftovers_are_removed_by_the_next_once_expired(
    hb: Any, home: Path, dev: Dev, hanging: tuple[str, threading.Event]
) -> None:
    url, asked = hanging
    process = start_verify(home, url, "--lifetime", "3")
    try:
        assert asked.wait(60), "verify never sent"
    finally:
        process.kill()  # SIGKILL: no finally runs
        process.wait()
    left = left_behind(dev)
    assert len(left) == 4, left  # two secrets, the rule, the queue
    time.sleep(3.5)  # past the expiry its names carry
    result = hb("verify", "--local", "--provider", "zippex")
    assert result.code == 0, result
    for name in left[:3]:  # the secrets and the rule, named in what it says it removed
        assert name.rsplit("/", 1)[-1] in result.err
    assert left_behind(dev) == []
