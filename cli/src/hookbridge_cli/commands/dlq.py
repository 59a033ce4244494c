"""`hookbridge dlq`: the publisher's dead-letter queue."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer

from hookbridge.publishing.dead_letters import DeadLetterQueue, StreamRecords, culprit_of
from hookbridge.publishing.publisher import Publisher
from hookbridge_cli import options, stored
from hookbridge_cli.errors import Refused
from hookbridge_cli.local.lambda_events import lambda_stream_event
from hookbridge_cli.output import Output
from hookbridge_cli.target import Target, resolve

app = typer.Typer(help="The publisher's dead-letter queue.", no_args_is_help=True)

# Messages `dlq list` shows; the queue's depth is printed beside them.
LIST_LIMIT = 100


@app.command("list")
def list_(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Each dead-letter message: the stored events it names and whose they are. Changes nothing."""
    t = resolve(local, stack, aws_port)
    depth, rows = dead_letters(t)
    title = f"{depth} message(s) in the dead-letter queue" + (
        f", {len(rows)} shown" if depth > len(rows) else ""
    )
    Output(as_json).rows(rows, ["message_id", "first_record_at", "batch_size", "named"], title)


@app.command("redrive")
def redrive(
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Publish the stream records named by dead-letter messages, then delete each message that succeeded."""
    t = resolve(local, stack, aws_port)
    done, kept, held = redrive_all(t)
    Output(as_json).result(
        {"redriven": done, "left": kept + held},
        f"redrove {done} batch(es); {kept + held} left in the queue",
    )
    if kept:
        raise Refused(
            f"{kept} batch(es) could not be redriven",
            "stream records expire after 24 h: use `hookbridge events replay` for those subscriptions",
        )
    if held:
        raise Refused(
            f"{held} message(s) were held by another reader and not redriven",
            "run `hookbridge dlq redrive` again in a minute",
        )


def dead_letters(t: Target) -> tuple[int, list[dict[str, Any]]]:
    """The queue's depth, and up to LIST_LIMIT of its messages, each with the subscriptions it names (as
    `dlq list` and the console show them). Every message read is made visible again at once."""
    queue, streams = _dead_letters(t)
    depth = queue.depth()
    letters = queue.receive(LIST_LIMIT, visibility_seconds=30) if depth else []
    rows: list[dict[str, Any]] = []
    try:
        for letter in letters:
            records = streams.named_by(letter.batch) if letter.batch else None
            names = Counter(
                f"{p}/{s}" for p, s in (culprit_of(r["dynamodb"]["NewImage"]) for r in records or [])
            )
            rows.append(
                {
                    "message_id": letter.message_id,
                    "first_record_at": letter.batch.approximate_arrival_of_first_record
                    if letter.batch
                    else None,
                    "batch_size": letter.batch.batch_size if letter.batch else None,
                    "subscriptions": dict(sorted(names.items())),  # {} when its records are gone
                    "named": ", ".join(f"{name} ({n} events)" for name, n in sorted(names.items()))
                    or (
                        "unknown: its stream records expired (24 h); use `hookbridge events replay`"
                        if letter.batch
                        else "not a stream batch's on-failure message"
                    ),
                }
            )
    finally:
        queue.release(letters)
    return depth, rows


def redrive_all(t: Target) -> tuple[int, int, int]:
    """Publishes the stream records each dead-letter message names, deleting each message that succeeded:
    how many were redriven, kept (their records could not be published or are gone), and held by another
    reader (never seen here)."""
    queue, streams = _dead_letters(t)
    publisher = Publisher(t.client("events"))
    done = kept = 0
    while letters := queue.receive(10, visibility_seconds=60):
        for letter in letters:
            batch = letter.batch
            records = streams.named_by(batch) if batch else None
            if not batch or not records or publisher.publish(_envelopes(t, records, batch.stream_arn)):
                kept += 1
                continue
            queue.delete(letter)
            done += 1
        if kept:
            break
    # Messages another reader holds (a health check reads them for a few seconds) were never seen here.
    held = max(0, queue.in_flight() - kept)
    return done, kept, held


def _dead_letters(t: Target) -> tuple[DeadLetterQueue, StreamRecords]:
    """The target's publisher dead-letter queue, and the stream its messages point into."""
    queue = DeadLetterQueue(t.client("sqs"), t.dead_letter_queue_url)
    return queue, StreamRecords(t.client("dynamodbstreams"))


def _envelopes(t: Target, records: list[dict[str, Any]], stream_arn: str) -> list[Any]:
    return [
        each
        for r in lambda_stream_event(records, stream_arn)["Records"]
        for each in stored.envelopes(t, r["dynamodb"]["SequenceNumber"], r["dynamodb"]["NewImage"])
    ]
