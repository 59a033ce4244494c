"""`hookbridge health`: run the health check now and print every subscription's status."""

from __future__ import annotations

import contextlib
import io
import os
from typing import Any

from hookbridge_cli import options
from hookbridge_cli.local.lambda_events import context
from hookbridge_cli.output import Output
from hookbridge_cli.records import rows
from hookbridge_cli.target import Target, resolve


def health(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Run the health check now and print every subscription's status."""
    t = resolve(local, stack, aws_port)
    result = check_now(t)
    Output(as_json).rows(
        rows(t),
        ["provider", "subscription", "status", "reasons"],
        f"{result['checked']} checked, {result['unhealthy']} not healthy",
    )


def check_now(t: Target) -> dict[str, Any]:
    """Runs the health function here against the target, as its schedule does: what it returns (how many
    subscriptions it checked, how many are not healthy); each one's status is then in its record."""
    from hookbridge.assembly.health import health_handler

    environ = {
        **os.environ,
        "HOOKBRIDGE_PREFIX": t.prefix,
        "EVENTS_TABLE": t.events_table,
        "SUBSCRIPTIONS_TABLE": t.subscriptions_table,
        "EVENT_BUS": t.bus,
        "DEAD_LETTER_QUEUE_URL": t.dead_letter_queue_url,
        # Without it the check read one index shard of eight and called busy subscriptions silent.
        "EVENT_INDEX_SHARDS": str(t.index_shards),
        "LOG_LEVEL": "ERROR",
    }
    # The function prints its metrics (EMF) to stdout, as in Lambda; here only the table is wanted.
    with contextlib.redirect_stdout(io.StringIO()):
        result: dict[str, Any] = health_handler(environ)({}, context("hookbridge-cli"))
    return result
