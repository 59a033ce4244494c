"""`hookbridge dev`: the whole stack on this machine. Ctrl-C (or SIGTERM) stops it at any moment: during
start-up too, and a second one ends it at once if stopping hangs."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from hookbridge_cli.errors import Usage, raise_interrupt
from hookbridge_cli.local.announcement import Running, announce, running_dev, withdraw
from hookbridge_cli.local.names import AWS_PORT, HTTP_PORT
from hookbridge_cli.output import Output
from hookbridge_cli.samples import sample_names
from hookbridge_cli.template import every_sender


def _force_exit(signum: int, frame: FrameType | None) -> None:
    os._exit(130)


def _check_port(port: int, option: str) -> None:
    """Refuses a taken port with the one line that says what to do, before anything starts."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise Usage(
                    f"cannot use port {port} ({option}): {exc.strerror}", f"pass another {option}"
                ) from exc
    running = running_dev()
    by = (
        f" by `hookbridge dev` (pid {running.pid})"
        if running and port in (running.aws_port, running.http_port)
        else ""
    )
    raise Usage(
        f"port {port} ({option}) is taken{by}", f"stop what uses it, or pass {option} {_free_port_near(port)}"
    )


def _free_port_near(port: int) -> int:
    for candidate in range(port + 1, port + 100):
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", candidate))
            return candidate
    return port + 1


def dev(
    aws_port: Annotated[int, typer.Option("--aws-port", help="Port of the local AWS (moto).")] = AWS_PORT,
    http_port: Annotated[int, typer.Option("--http-port", help="Port of the local HTTP API.")] = HTTP_PORT,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep subscriptions, secrets, stored events and large bodies here across restarts "
            "(saved when dev stops). Without it, everything is in memory and gone when dev stops."
        ),
    ] = None,
    providers: Annotated[
        str | None,
        typer.Option(
            help="The senders to serve, comma-separated, as the template's Providers parameter "
            "(default: every sender)."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Also print the functions' logs and metrics.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per line: the start, then each bus event.")
    ] = False,
) -> None:
    """Start the whole stack on this machine (moto as AWS) and show what reaches the bus. Ctrl-C stops."""
    out = Output(as_json)
    if aws_port == http_port:
        raise Usage("--aws-port and --http-port are the same port", "give them different ports")
    _check_port(aws_port, "--aws-port")
    _check_port(http_port, "--http-port")
    served = _senders(providers)
    if state_dir is not None and state_dir.exists() and not state_dir.is_dir():
        raise Usage(
            f"--state-dir {state_dir} is not a directory", "give a directory (it is created if missing)"
        )

    from hookbridge_cli.local.stack import (
        LocalStack,  # moto's server: only this command pays for importing it
    )

    def show(event: dict[str, Any]) -> None:
        if as_json:
            out.json({"bus": event})
            return
        meta = event.get("detail", {}).get("metadata", {})
        who = f"{meta.get('provider')} {meta.get('subscription')} {meta.get('id', '')}" if meta else ""
        out.say(f"bus {event['source']} {event['detail-type']} {who}".rstrip())

    signal.signal(signal.SIGTERM, raise_interrupt)  # SIGINT already raises KeyboardInterrupt
    stack = LocalStack(
        aws_port=aws_port,
        http_port=http_port,
        on_bus_event=show,
        verbose=verbose,
        state_dir=state_dir,
        providers=served,
    )
    pid = os.getpid()
    try:
        try:
            stack.start()
        except OSError as exc:  # lost a race for a port checked free a moment ago
            if exc.errno == errno.EADDRINUSE:
                raise Usage("a port was taken while starting", "run `hookbridge dev` again") from exc
            raise
        announce(Running(pid, aws_port, http_port, str(state_dir) if state_dir else None, served))
        _banner(out, stack, state_dir)
        while True:
            time.sleep(0.2)
            while stack.errors:
                out.note(stack.errors.pop(0))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, _force_exit)  # a second Ctrl-C: stop waiting for a clean stop
        signal.signal(signal.SIGTERM, _force_exit)
        out.note("stopping...")
        withdraw(pid)
        stack.stop()
        for error in stack.errors:  # what stopping met (an invocation that would not end)
            out.note(error)
        if state_dir is not None and stack.restored is not None:
            out.note(f"state saved in {state_dir}")


def _senders(providers: str | None) -> tuple[str, ...]:
    """The senders --providers names, checked as CloudFormation checks the Providers parameter."""
    known = every_sender()
    if providers is None:
        return known
    chosen = tuple(dict.fromkeys(name.strip() for name in providers.split(",") if name.strip()))
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise Usage(
            f"--providers {providers!r}: {', '.join(unknown) or 'no sender'} is not a sender",
            f"give some of: {','.join(known)}",
        )
    return chosen


def _banner(out: Output, stack: Any, state_dir: Path | None) -> None:
    demo = [
        {"provider": provider, "url": stack.demo_url(provider), "secret": secret}
        for provider, secret in stack.demo.items()
    ]
    kept = (
        f"kept in {state_dir} (restored: {json.dumps(stack.restored)})"
        if state_dir
        else "in memory only: lost when dev stops (--state-dir DIR keeps it)"
    )
    if out.as_json:
        out.json(
            {
                "running": True,
                "http": stack.base_url,
                "aws": f"http://127.0.0.1:{stack.aws_port}",
                "pid": os.getpid(),
                "state_dir": str(state_dir) if state_dir else None,
                "demo": demo,
            }
        )
        return
    out.say(f"hookbridge is running: HTTP API {stack.base_url}, AWS (moto) http://127.0.0.1:{stack.aws_port}")
    out.say(f"state: {kept}")
    out.rows(demo, ["provider", "url", "secret"], "demo subscriptions")
    out.say("Try (in another terminal; --local finds this stack on its ports):")
    first = stack.providers[0]
    out.say(f"  python -m uv run hookbridge send {first} {sample_names(first)[0]} --local")
    out.say("Ctrl-C stops.")
