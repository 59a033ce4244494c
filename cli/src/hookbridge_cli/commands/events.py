"""`hookbridge events`: a subscription's stored events, one event in full, and replays to the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from hookbridge.publishing.publisher import Publisher
from hookbridge_cli import options, stored
from hookbridge_cli.errors import AwsFailed, Usage
from hookbridge_cli.output import Output
from hookbridge_cli.records import require_subscription
from hookbridge_cli.target import resolve

app = typer.Typer(help="List, show and replay stored events.", no_args_is_help=True)

Since = Annotated[str | None, typer.Option(help="ISO-8601 start (default: 24 hours ago).")]
Until = Annotated[str | None, typer.Option(help="ISO-8601 end (default: now).")]
LIST_FIELDS = ["received_at", "event_type", "event_id", "subject", "id", "key"]


def _window(
    provider: str, subscription: str, since: str | None, until: str | None
) -> tuple[datetime, datetime]:
    """Checks the arguments `list` and `replay` share; the time range, by default the last 24 hours."""
    options.provider(provider)
    options.subscription(subscription)
    now = datetime.now(UTC)
    return options.when(since, now - timedelta(days=1), "--since"), options.when(until, now, "--until")


@app.command("list")
def list_(
    provider: str,
    subscription: str,
    since: Since = None,
    until: Until = None,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """List a subscription's stored events in a time range, oldest first."""
    start, end = _window(provider, subscription, since, until)
    t = resolve(local, stack, aws_port)
    rows = [
        {
            "received_at": i["received_at"]["S"],
            "event_type": i["event_type"]["S"],
            "event_id": i.get("event_id", {}).get("S"),
            "subject": i.get("subject", {}).get("S"),
            "id": i["id"]["S"],
            "key": i["pk"]["S"],
        }
        for i in stored.in_range(t, provider, subscription, start, end)
    ]
    if not rows:
        require_subscription(t, provider, subscription)
    Output(as_json).rows(rows, LIST_FIELDS[:-1], f"{provider}/{subscription}: {len(rows)} event(s)")


@app.command("show")
def show(
    ref: Annotated[
        list[str],
        typer.Argument(
            metavar="[PROVIDER SUBSCRIPTION] ID | KEY",
            help="The event's id (as `send`, `events list` and the bus show it) after its provider and "
            "subscription, or its key alone (`events list --json`).",
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="With an id: how far back to look (default: 30 days ago).")
    ] = None,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Print one stored event: its metadata and its payload, wherever the payload is kept."""
    now = datetime.now(UTC)
    if len(ref) == 3:
        provider, subscription, event_id = ref
        options.provider(provider)
        options.subscription(subscription)
        start = options.when(since, now - timedelta(days=30), "--since")
        t = resolve(local, stack, aws_port)
        key = stored.find_by_id(t, provider, subscription, event_id, start, now)
    elif len(ref) == 1 and "#" in ref[0]:
        key = ref[0]
        t = resolve(local, stack, aws_port)
    elif len(ref) == 1:
        raise Usage(
            f"{ref[0]!r} is an event id, which needs its provider and subscription",
            f"hookbridge events show PROVIDER SUBSCRIPTION {ref[0]}",
        )
    else:
        raise Usage("give PROVIDER SUBSCRIPTION ID, or a KEY alone", "see `hookbridge events show --help`")
    Output(as_json).document(stored.shown(t, key, stored.item(t, key)))


@app.command("replay")
def replay(
    provider: str,
    subscription: str,
    since: Since = None,
    until: Until = None,
    local: options.Local = False,
    stack: options.Stack = "hookbridge",
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Publish a subscription's stored events again, in the bus envelope (consumers see them twice)."""
    start, end = _window(provider, subscription, since, until)
    t = resolve(local, stack, aws_port)
    keys = [i["pk"]["S"] for i in stored.in_range(t, provider, subscription, start, end)]
    if not keys:
        require_subscription(t, provider, subscription)
    envelopes = [each for key in keys for each in stored.envelopes(t, key, stored.item(t, key))]
    failed = Publisher(t.client("events")).publish(envelopes)
    published = len(envelopes) - len(failed)
    Output(as_json).result(
        {"provider": provider, "subscription": subscription, "replayed": published, "failed": len(failed)},
        f"replayed {published} of {len(envelopes)} events",
    )
    if failed:
        raise AwsFailed(f"{len(failed)} event(s) could not be published", "run the same replay again")
