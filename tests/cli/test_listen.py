"""`hookbridge listen --forward-to`, run as a user runs it beside `hookbridge dev`, forwarding to a local
HTTP receiver: the raw body as stored, a signature the standardwebhooks library verifies, retries of an
answer that is not 2xx, filters, Ctrl-C mid-stream, a receiver that is down, and a crashed listen's rule
and queue removed by the next one."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.cli.conftest import HOOKBRIDGE, Dev, Result, free_port, one_line_error, user_environment, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@dataclass
class Receiver:
    """A local app: records each request; answers with the next of ``statuses`` (then the last one)."""

    port: int
    statuses: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}/webhook"  # as `stripe listen --forward-to` takes it: no scheme


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver(free_port(), [200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = got.statuses.pop(0) if len(got.statuses) > 1 else got.statuses[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", got.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Listen:
    process: subprocess.Popen[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    ready: dict[str, Any] = field(default_factory=dict)

    def forwards(self) -> list[dict[str, Any]]:
        return [r for r in list(self.lines) if "attempt" in r]

    def interrupt(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=60)
        finally:
            self.process.kill()
        assert self.process.stderr is not None
        return code, self.process.stderr.read()


def start_listen(home: Path, *args: str) -> Listen:
    process = subprocess.Popen(  # noqa: S603 - our own command
        [HOOKBRIDGE, "listen", "--local", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(home),
    )
    listen = Listen(process)
    started = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            record = json.loads(line)
            listen.lines.append(record)
            if record.get("listening"):
                listen.ready = record
                started.set()

    threading.Thread(target=read, daemon=True).start()
    if not started.wait(60):
        process.kill()
        raise AssertionError(f"listen did not start: {process.stderr.read() if process.stderr else ''}")
    return listen


def zippex(n: str) -> tuple[str, str]:
    return "delivery.created", json.dumps({"id": f"evt_listen_{n}", "type": "delivery.created", "n": n})


def taps(dev: Dev, kind: str = "listen") -> tuple[list[str], list[str]]:
    rules = [
        r["Name"]
        for r in dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]
        if r["Name"].startswith(f"hookbridge-{kind}-")
    ]
    queues = dev.client("sqs").list_queues(QueueNamePrefix=f"hookbridge-{kind}-").get("QueueUrls", [])
    return rules, queues


def test_forwards_the_raw_body_signed_and_ctrl_c_removes_the_rule_and_queue(
    home: Path, dev: Dev, receiver: Receiver
) -> None:
    listen = start_listen(home, "--forward-to", receiver.url)
    secret = listen.ready["secret"]
    assert secret.startswith("whsec_")
    assert taps(dev) == (
        [listen.ready["tap"]],
        [f"http://127.0.0.1:{dev.aws_port}/123456789012/{listen.ready['tap']}"],
    )
    sample, body = zippex("raw")
    body = body.replace(",", ",  ")  # spacing no re-serialisation keeps: the bytes as the sender sent them
    sent = dev.post_signed("zippex", sample, body)
    wait_for(lambda: len(receiver.received) == 1)
    headers, forwarded = receiver.received[0]
    assert forwarded == body.encode()
    assert Webhook(secret).verify(forwarded, headers)["n"] == "raw"
    assert headers["webhook-id"] == sent
    assert (headers["content-type"], headers["hookbridge-provider"], headers["hookbridge-event-type"]) == (
        "application/json",
        "zippex",
        "delivery.created",
    )
    wait_for(lambda: len(listen.forwards()) == 1)
    [forward] = listen.forwards()
    assert (forward["id"], forward["status"], forward["delivered"], forward["attempt"]) == (
        sent,
        200,
        True,
        1,
    )

    # Mid-stream: the receiver now fails, so the next event is between retries when Ctrl-C comes.
    receiver.statuses[:] = [500]
    dev.post_signed("zippex", *zippex("mid"))
    wait_for(lambda: len(listen.forwards()) == 2)
    code, err = listen.interrupt()
    assert code == 130
    line = one_line_error(Result(code, "", err))
    assert f"interrupted; removed the rule and queue {listen.ready['tap']}" in line
    assert taps(dev) == ([], [])


def test_a_failing_answer_is_retried_and_a_receiver_that_is_down_is_reported(
    home: Path, dev: Dev, receiver: Receiver
) -> None:
    receiver.statuses[:] = [503, 200]
    listen = start_listen(home, "--forward-to", receiver.url, "--retries", "2")
    dev.post_signed("zippex", *zippex("retried"))
    wait_for(lambda: any(f["delivered"] for f in listen.forwards()))
    assert [(f["attempt"], f["status"], f["retry_in"]) for f in listen.forwards()] == [
        (1, 503, 0.5),
        (2, 200, None),
    ]
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]
    assert listen.interrupt()[0] == 130

    down = f"127.0.0.1:{free_port()}/webhook"  # nothing listens there
    listen = start_listen(home, "--forward-to", down, "--retries", "2")
    dev.post_signed("zippex", *zippex("down"))
    wait_for(lambda: any(f["gave_up"] for f in listen.forwards()), seconds=30)
    attempts = listen.forwards()
    assert [(f["attempt"], f["status"], f["gave_up"]) for f in attempts] == [
        (1, None, False),
        (2, None, False),
        (3, None, True),
    ]
    assert all(f["error"] for f in attempts)
    assert listen.process.poll() is None  # still listening: one app down is not the end
    assert listen.interrupt()[0] == 130
    assert taps(dev) == ([], [])


def test_filters_and_a_batch_forwarded_once(home: Path, dev: Dev, hb: Any, receiver: Receiver) -> None:
    listen = start_listen(
        home, "--forward-to", receiver.url, "--provider", "hubspot", "--subscription", "demo"
    )
    other = dev.post_signed("zippex", *zippex("filtered"))
    wait_for(lambda: any(e["detail"]["metadata"]["id"] == other for e in dev.bus))
    sent = hb("send", "hubspot", "batch", "--local", "--json")  # HubSpot signs the URL: `send` knows how
    assert sent.code == 0, sent
    stored_id = sent.json["response"]["id"]
    elements = lambda: [e for e in dev.bus if e["detail"]["metadata"].get("batch_id") == stored_id]  # noqa: E731
    wait_for(lambda: len(receiver.received) >= 1)
    [(headers, body)] = receiver.received
    wait_for(lambda: len(elements()) == len(json.loads(body)) > 1)
    time.sleep(1)  # every element has reached the bus: none forwarded a second time
    assert len(receiver.received) == 1
    assert (headers["hookbridge-provider"], headers["webhook-id"]) == ("hubspot", stored_id)
    assert listen.interrupt()[0] == 130


def test_a_crashed_listens_rule_and_queue_are_removed_by_the_next_and_a_lease_is_renewed(
    home: Path, dev: Dev, receiver: Receiver
) -> None:
    crashed = start_listen(home, "--forward-to", receiver.url, "--lease", "4")
    crashed.process.kill()  # SIGKILL: no chance to clean up
    crashed.process.wait()
    assert taps(dev)[0] == [crashed.ready["tap"]]
    time.sleep(4.5)  # past its expiry

    listen = start_listen(home, "--forward-to", receiver.url, "--lease", "4")
    assert crashed.ready["tap"] not in taps(dev)[0]

    def renewed() -> bool:  # a new rule and queue, the first ones gone (each renewal takes a moment)
        rules, queues = taps(dev)
        return len(rules) == len(queues) == 1 and rules != [listen.ready["tap"]]

    wait_for(renewed, seconds=60)
    dev.post_signed("zippex", *zippex("renewed"))
    wait_for(lambda: len(receiver.received) == 1)
    time.sleep(1)
    assert len(receiver.received) == 1
    code, err = listen.interrupt()
    assert code == 130
    assert taps(dev) == ([], [])
    assert f"removed rule {crashed.ready['tap']}" in err  # said by the listen that removed it
    assert f"removed queue {crashed.ready['tap']}" in err


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--forward-to", "ftp://x"], 2, "--forward-to 'ftp://x' is not an http(s) URL"),
        ([], 2, "Missing option '--forward-to'"),
        (["--forward-to", "localhost:1", "--provider", "acme"], 2, "unknown provider 'acme'"),
        (
            ["--forward-to", "localhost:1", "--secret-env", "NO_SUCH_VARIABLE"],
            2,
            "$NO_SUCH_VARIABLE holds no",
        ),
    ],
)
def test_listen_mistakes_are_one_line_and_create_nothing(
    home: Path, dev: Dev, args: list[str], code: int, says: str
) -> None:
    done = subprocess.run(  # noqa: S603 - our own command
        [HOOKBRIDGE, "listen", "--local", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=user_environment(home),
        check=False,
    )
    assert done.returncode == code, done
    assert says in one_line_error(Result(done.returncode, done.stdout, done.stderr))
    assert taps(dev) == ([], [])


def test_listen_without_a_local_stack_is_one_line_exit_3(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 - our own command
        [HOOKBRIDGE, "listen", "--local", "--aws-port", str(free_port()), "--forward-to", "localhost:1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=user_environment(tmp_path),
        check=False,
    )
    assert done.returncode == 3, done
    assert "is `hookbridge dev` running?" in one_line_error(Result(3, done.stdout, done.stderr))
