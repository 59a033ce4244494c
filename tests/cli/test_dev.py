"""`hookbridge dev` as a user starts and stops it: taken ports, Ctrl-C and SIGTERM at any moment, hints
that follow the ports in use, and --state-dir."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from hookbridge_cli.local.names import HTTP_PORT

from tests.cli.conftest import (
    HOOKBRIDGE,
    Result,
    free_port,
    one_line_error,
    run,
    start_dev,
    user_environment,
    wait_for,
)

# The quick run keeps one of each kind (a taken port, a Ctrl-C, a clean stop); the slow set has the rest.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.mark.parametrize("option", ["--aws-port", "--http-port"])
def test_a_taken_port_fails_at_once_with_the_option_to_change(tmp_path: Path, option: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = "--http-port" if option == "--aws-port" else "--aws-port"
        done = subprocess.run(  # noqa: S603 - our own command
            [HOOKBRIDGE, "dev", option, str(port), other, str(free_port())],
            capture_output=True, text=True, timeout=60, env=user_environment(tmp_path), check=False,
        )  # fmt: skip
    result = Result(done.returncode, done.stdout, done.stderr)
    assert result.code == 2, result
    line = one_line_error(result)
    assert f"port {port} ({option}) is taken" in line
    assert f"pass {option} " in line


@pytest.mark.parametrize(
    "after", [0.5, pytest.param(1.5, marks=pytest.mark.slow), pytest.param(2.5, marks=pytest.mark.slow)]
)
def test_ctrl_c_during_start_up_stops_it(tmp_path: Path, after: float) -> None:
    process = subprocess.Popen(  # noqa: S603 - our own command
        [HOOKBRIDGE, "dev", "--aws-port", str(free_port()), "--http-port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=user_environment(tmp_path),
    )  # fmt: skip
    try:
        time.sleep(after)  # importing, binding or creating resources: not yet running
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert "Traceback" not in output
    finally:
        process.kill()
    assert not (tmp_path / "dev.json").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)])
def test_stops_cleanly_and_withdraws_its_announcement(tmp_path: Path, signum: int) -> None:
    dev = start_dev(tmp_path)
    announced = json.loads((tmp_path / "dev.json").read_text())
    assert (announced["aws_port"], announced["http_port"]) == (dev.aws_port, dev.http_port)
    assert dev.stop(signum) == 0
    assert not (tmp_path / "dev.json").exists()
    # Gone, and commands say so. Its port named: with no announcement a command tries the default port,
    # where a user may well have another dev running.
    gone = run(tmp_path, "subscriptions", "list", "--local", "--aws-port", str(dev.aws_port))
    assert gone.code == 3, gone


@pytest.mark.slow
def test_commands_and_hints_follow_the_ports_in_use(tmp_path: Path) -> None:
    """Non-default ports: the printed hint works as printed, because --local finds the running dev."""
    aws_port, http_port = free_port(), free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [HOOKBRIDGE, "dev", "--aws-port", str(aws_port), "--http-port", str(http_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=user_environment(tmp_path),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = []
        while "Ctrl-C stops" not in (line := process.stdout.readline()) and line:
            lines.append(line)
        banner = "".join(lines)
        assert f"http://127.0.0.1:{http_port}" in banner
        assert not re.search(rf":{HTTP_PORT}\b", banner)  # not "3000" alone: the free port may hold it
        assert "in memory only: lost when dev stops" in banner
        hint = next(line for line in lines if "hookbridge send" in line).strip()
        args = hint.split("hookbridge ", 1)[1].split()
        sent = run(tmp_path, *args)
        assert sent.code == 0, sent
        assert sent.out.startswith("200 ")
        assert (
            f"127.0.0.1:{http_port}"
            in run(tmp_path, "subscriptions", "create", "zippex", "p", "--local", "--json").out
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
        process.kill()


@pytest.mark.slow
def test_state_dir_keeps_subscriptions_secrets_and_events_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    secret = tmp_path / "secret.json"
    secret.write_text('{"tokens": ["first"]}')
    dev = start_dev(tmp_path, "--state-dir", str(state))
    try:
        assert (
            run(
                tmp_path, "subscriptions", "create", "zinc", "kept", "--secret-file", str(secret), "--local"
            ).code
            == 0
        )
        assert run(tmp_path, "subscriptions", "rotate", "zinc", "kept", "--local", stdin="second\n").code == 0
        sent = run(tmp_path, "send", "zencargo", "LOT_BOOKED", "--local", "--json")
        event_id = sent.json["response"]["id"]
        wait_for(lambda: len(dev.on_bus("LOT_BOOKED")) == 1)
    finally:
        assert dev.stop() == 0
    again = start_dev(tmp_path, "--state-dir", str(state))
    try:
        assert again.started["state_dir"] == str(state)
        listed = run(tmp_path, "subscriptions", "list", "--local", "--json").lines
        assert "zinc/kept" in {f"{r['provider']}/{r['subscription']}" for r in listed}
        assert again.secret("hookbridge/zinc/kept")["tokens"] == ["second", "first"]
        shown = run(tmp_path, "events", "show", "zencargo", "demo", event_id, "--local", "--json")
        assert shown.code == 0, shown
        assert shown.json["data"]["data"]["topic"] == "LOT_BOOKED"
        duplicate = run(tmp_path, "send", "zencargo", "LOT_BOOKED", "--local", "--json")
        assert duplicate.json["response"] == {"status": "duplicate", "id": event_id}
        time.sleep(2)  # the publisher polls every 0.3 s: a restored event would be on the bus by now
        assert again.on_bus("LOT_BOOKED") == []  # published before the restart, not again
    finally:
        again.stop()
