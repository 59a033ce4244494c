"""`hookbridge health`: run the health check now and print every subscription's status."""

from __future__ import annotations

import contextlib
import io
import os

from hookbridge_cli import options
from hookbridge_cli.local.lambda_events import context
from hookbridge_cli.output import Output
from hookbridge_cli.records import rows
from hookbridge_cli.target import resolve


def health(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Run the health check now and print every subscription's status."""
    from hookbridge.handlers import health_handler

    t = resolve(local, stack, aws_port)
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
        result = health_handler(environ)({}, context("hookbridge-cli"))
    Output(as_json).rows(
        rows(t),
        ["provider", "subscription", "status", "reasons"],
        f"{result['checked']} checked, {result['unhealthy']} not healthy",
    )
