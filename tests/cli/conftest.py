"""The real `hookbridge` command, run as a user runs it: a `hookbridge dev` process on free ports, and
each command a separate process that finds it the way a user's would (the announcement `dev` writes)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from hookbridge_cli.samples import NOT_SENT

from tests.support.events import signed

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

HOOKBRIDGE = str(Path(sys.executable).parent / "hookbridge")  # the console script, as installed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def user_environment(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: no AWS settings of the test suite's, HOOKBRIDGE_HOME where this test's dev runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update({"HOOKBRIDGE_HOME": str(home), "HOME": str(home), "COLUMNS": "80", **extra})
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]


def run(home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    done = subprocess.run(  # noqa: S603 - our own command
        [HOOKBRIDGE, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        env=env or user_environment(home),
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@dataclass
class Dev:
    """A running `hookbridge dev --json`: its ports, and every event it showed from the bus."""

    process: subprocess.Popen[str]
    home: Path
    aws_port: int
    http_port: int
    started: dict[str, Any] = field(default_factory=dict)
    bus: list[dict[str, Any]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name="eu-west-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def secret(self, name: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            self.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        )
        return value

    def on_bus(self, detail_type: str) -> list[dict[str, Any]]:
        return [e for e in list(self.bus) if e["detail-type"] == detail_type]

    def post_signed(self, provider: str, sample: str, body: str) -> str:
        """A genuine delivery of ``body`` to the demo subscription, signed as the sample's sender signs:
        the id the stack gave it."""
        event = signed(provider, sample, body=body)
        request = urllib.request.Request(  # noqa: S310 - the local stack
            f"{self.base_url}{event['rawPath']}",
            data=body.encode(),
            method="POST",
            headers={k: v for k, v in event["headers"].items() if k not in NOT_SENT},
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return str(json.loads(response.read())["id"])

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.kill()


def start_dev(
    home: Path, *extra: str, aws_port: int | None = None, http_port: int | None = None, wait: float = 90
) -> Dev:
    aws_port, http_port = aws_port or free_port(), http_port or free_port()
    env = user_environment(home)
    # The test suite's stdout capture must not receive the functions' output: dev's own only.
    process = subprocess.Popen(  # noqa: S603 - our own command
        [HOOKBRIDGE, "dev", "--json", "--aws-port", str(aws_port), "--http-port", str(http_port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    dev = Dev(process, home, aws_port, http_port)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            dev.output.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "bus" in record:
                dev.bus.append(record["bus"])
            elif record.get("running"):
                dev.started = record
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(wait):
        dev.stop()
        raise AssertionError("hookbridge dev did not start:\n" + "".join(dev.output))
    return dev


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def dev(home: Path) -> Iterator[Dev]:
    running = start_dev(home)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def hb(home: Path, dev: Dev) -> Callable[..., Result]:
    """`hookbridge ARGS` in a user's shell beside the running dev."""

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return run(home, *args, stdin=stdin)

    return invoke


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def one_line_error(result: Result) -> str:
    """A failure's stderr: exactly one line, never a traceback."""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    assert lines[0].startswith("hookbridge: ")
    return lines[0]
