"""`hookbridge console`: a web page over the stack (or `hookbridge dev` with --local), on 127.0.0.1 only,
for the one who holds the address it prints. See hookbridge_cli.console."""

from __future__ import annotations

import errno
import socket
import webbrowser
from typing import Annotated

import boto3
import typer
import uvicorn

from hookbridge_cli import options
from hookbridge_cli.console.access import Access
from hookbridge_cli.console.live import Live
from hookbridge_cli.console.pages import Console
from hookbridge_cli.errors import Interrupted, Usage, stop_on_signals
from hookbridge_cli.output import Output
from hookbridge_cli.target import Target, resolve


def console(
    port: Annotated[
        int, typer.Option(help="The port on 127.0.0.1 (default: a free one).", min=0, max=65535)
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Only print the address; do not open a browser.")
    ] = False,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Serve a web console on 127.0.0.1: subscriptions and their health, each one's events (replay), the
    dead-letter queue (redrive), and the bus live. Prints its address with an access token; Ctrl-C stops."""
    t = resolve(local, stack, aws_port)
    listening = _bind(port)
    access = Access(port=int(listening.getsockname()[1]))
    where = _where(t, stack)
    live = Live(t)
    server = uvicorn.Server(
        uvicorn.Config(
            Console(t, access, where, live).app(),
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=3,
        )
    )
    Output(as_json).result(
        {"url": access.address, "port": access.port, "target": where},
        f"Console for {where}: {access.address}\n"
        "Anyone with this address can act on the stack: do not share it. Ctrl-C stops.",
    )
    if not no_browser:
        webbrowser.open(access.address)
    stop_on_signals()
    interrupted = False
    try:
        server.run(sockets=[listening])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        tap = live.name
        left = live.close()
        listening.close()
    if left:
        raise Interrupted(
            f"stopped; could not remove {', '.join(left)}",
            "the next `hookbridge listen` or `console` removes them once they expire",
        )
    if interrupted:
        raise Interrupted(
            "interrupted; the console stopped" + (f" and removed the rule and queue {tap}" if tap else "")
        )


def _bind(port: int) -> socket.socket:
    """The listening socket, on 127.0.0.1 only (checked before anything is created)."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listening.bind(("127.0.0.1", port))
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise Usage(
                f"port {port} on 127.0.0.1 is in use", "pick another with --port, or omit it for a free one"
            ) from exc
        raise
    listening.listen(64)
    return listening


def _where(t: Target, stack: str) -> str:
    if t.local:
        return f"hookbridge dev ({t.aws_endpoint})"
    return f"stack {stack} ({boto3.session.Session().region_name})"
