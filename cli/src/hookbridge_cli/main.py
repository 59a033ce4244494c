"""hookbridge: run the stack locally, send sample webhooks, and operate a deployment.

Commands act on AWS (the stack's outputs name the resources; your AWS credentials) unless --local, which
targets `hookbridge dev` on this machine. Exit codes: 0 done, 1 refused (not found, exists, rejected),
2 usage, 3 AWS or the network failed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from hookbridge import providers
from hookbridge.aws.registry import (
    Subscription,
    SubscriptionExists,
    SubscriptionNotFound,
    SubscriptionRegistry,
)
from hookbridge.aws.secrets import SubscriptionSecret, secret_name
from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import Envelope, Publisher, build_envelope
from hookbridge.samples import fresh_event
from hookbridge_cli.local import (
    DEMO_SUBSCRIPTION,
    LOCAL,
    PREFIX,
    context,
    lambda_stream_event,
    local_environment,
)
from hookbridge_cli.providers_cmd import providers_app
from hookbridge_cli.samples import sample_names
from hookbridge_cli.template import EVENTS

app = typer.Typer(help=__doc__, no_args_is_help=True, rich_markup_mode=None)
subscriptions_app = typer.Typer(help="Create, list, delete and rotate subscriptions.", no_args_is_help=True)
events_app = typer.Typer(help="List, show and replay stored events.", no_args_is_help=True)
dlq_app = typer.Typer(help="The publisher's dead-letter queue.", no_args_is_help=True)
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(events_app, name="events")
app.add_typer(dlq_app, name="dlq")
app.add_typer(providers_app, name="providers")

out = Console()
err = Console(stderr=True)

LocalOption = Annotated[bool, typer.Option("--local", help="Target `hookbridge dev` on this machine.")]
StackOption = Annotated[str, typer.Option("--stack", help="The deployed CloudFormation stack.")]
AwsPortOption = Annotated[int, typer.Option("--aws-port", help="Port of the local stack's AWS (moto).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line) for scripts.")]


class Refused(Exception):
    """An operation refused for a reason the user can fix: exit code 1."""


@dataclass(frozen=True)
class Target:
    prefix: str
    events_table: str
    subscriptions_table: str
    bus: str
    dead_letter_queue_url: str
    webhook_base_url: str
    payload_bucket: str | None = None

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(service)  # type: ignore[call-overload]


def target(local: bool, stack: str, aws_port: int) -> Target:
    if local:
        os.environ.update(local_environment(aws_port))
        queue = boto3.client("sqs").get_queue_url(QueueName=LOCAL.dead_letter_queue)["QueueUrl"]
        return Target(
            PREFIX,
            LOCAL.events_table,
            LOCAL.subscriptions_table,
            LOCAL.bus,
            queue,
            "http://127.0.0.1:3000/webhooks",
            LOCAL.payload_bucket,
        )
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in boto3.client("cloudformation")
        .describe_stacks(StackName=stack)["Stacks"][0]
        .get("Outputs", [])
    }
    parameters = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in boto3.client("cloudformation")
        .describe_stacks(StackName=stack)["Stacks"][0]
        .get("Parameters", [])
    }
    return Target(
        parameters.get("Prefix", PREFIX),
        outputs["EventsTableName"],
        outputs["SubscriptionsTableName"],
        outputs["EventBusName"],
        outputs["PublisherDeadLetterQueueUrl"],
        outputs["WebhookBaseUrl"],
        outputs.get("PayloadBucketName"),
    )


def run(main: Any) -> Any:
    """Maps failures to the documented exit codes with one clear line."""
    try:
        return main()
    except Refused as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except (ClientError, BotoCoreError) as exc:
        err.print(f"[red]AWS failed:[/red] {exc}")
        raise typer.Exit(3) from None


def emit(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], as_json: bool, title: str | None = None
) -> None:
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, default=str), indent=None)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    out.print(table)


# ---------------------------------------------------------------------------------------------- dev
@app.command()
def dev(
    aws_port: AwsPortOption = 5005,
    http_port: Annotated[int, typer.Option("--http-port", help="Port of the local HTTP API.")] = 3000,
    verbose: Annotated[bool, typer.Option(help="Also print the functions' logs and metrics.")] = False,
) -> None:
    """Start the whole stack on this machine (moto as AWS) and show what reaches the bus. Ctrl-C stops."""
    from hookbridge_cli.stack import LocalStack

    def show(event: dict[str, Any]) -> None:
        meta = event.get("detail", {}).get("metadata", {})
        who = (
            f"{meta.get('provider')}/{meta.get('subscription')}"
            if meta
            else json.dumps(event.get("detail"))[:80]
        )
        out.print(
            f"[green]bus[/green] {event['source']:<22} {event['detail-type']:<40} {who} {meta.get('id', '')}"
        )

    # Ctrl-C and SIGTERM set a flag from the first moment, so no signal can land between starting and the
    # loop and leave moto or the HTTP server running.
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stack = LocalStack(aws_port=aws_port, http_port=http_port, on_bus_event=show, verbose=verbose)
    try:
        stack.start()
        out.print(
            f"[bold]hookbridge is running[/bold]: HTTP API {stack.base_url}, AWS (moto) http://127.0.0.1:{aws_port}"
        )
        table = Table(title="demo subscriptions")
        for column in ("provider", "URL", "secret"):
            table.add_column(column, overflow="fold")
        for provider, secret in stack.demo.items():
            table.add_row(provider, stack.demo_url(provider), json.dumps(secret))
        out.print(table)
        out.print("Try: [bold]python -m uv run hookbridge send zippex delivery.delivered --local[/bold]")
        out.print("Ctrl-C stops.")
        while not stopping.wait(0.2):
            while stack.errors:
                err.print(f"[red]{stack.errors.pop(0)}[/red]")
    finally:
        out.print("stopping...")
        stack.stop()


# ---------------------------------------------------------------------------------------------- send
@app.command()
def send(
    provider: Annotated[str, typer.Argument(help="a provider: hookbridge providers list")],
    event_type: Annotated[str, typer.Argument(help="a sample in events/<provider>/")],
    subscription: Annotated[str, typer.Option(help="The subscription to send to.")] = DEMO_SUBSCRIPTION,
    url: Annotated[str | None, typer.Option(help="Webhook base URL (the stack's WebhookBaseUrl).")] = None,
    secret_file: Annotated[str | None, typer.Option(help="The subscription's secret JSON.")] = None,
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
) -> None:
    """Build a sample event, sign or authenticate it as the provider does, post it, print the answer."""

    def main() -> None:
        try:
            chosen = providers.load(provider)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        sample = EVENTS / provider / f"{event_type}.json"
        if not sample.is_file():
            names = sample_names(provider)
            raise Refused(f"no sample {event_type!r} for {provider}; one of: {', '.join(names)}")
        secret = _send_secret(provider, subscription, secret_file, local, stack, aws_port)
        event = fresh_event(json.loads(sample.read_text()), chosen, secret)
        base = url or target(local, stack, aws_port).webhook_base_url
        path = event["rawPath"].split("/")
        path[3] = subscription
        full = base.rstrip("/").removesuffix("/webhooks") + "/".join(path)
        if event.get("rawQueryString"):
            full += "?" + event["rawQueryString"]
        if not full.startswith(("http://", "https://")):
            raise Refused(f"not an http(s) URL: {base}")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
            full,
            data=event["body"].encode(),
            method="POST",
            headers={k: v for k, v in event["headers"].items() if k != "host"},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - checked above
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode()
        except urllib.error.URLError as exc:
            err.print(f"[red]could not reach {full.split('?')[0]}:[/red] {exc.reason}")
            raise typer.Exit(3) from None
        colour = "green" if status == 200 else "red"
        out.print(f"[{colour}]{status}[/{colour}] {body}")
        if status != 200:
            raise typer.Exit(1)

    run(main)


def _send_secret(
    provider: str, subscription: str, secret_file: str | None, local: bool, stack: str, aws_port: int
) -> SubscriptionSecret:
    if secret_file:
        return SubscriptionSecret.model_validate_json(open(secret_file).read())
    if local:
        os.environ.update(local_environment(aws_port))
    prefix = PREFIX if local else target(False, stack, aws_port).prefix
    value = boto3.client("secretsmanager").get_secret_value(
        SecretId=secret_name(prefix, provider, subscription)
    )
    return SubscriptionSecret.model_validate_json(value["SecretString"])


# ---------------------------------------------------------------------------------------------- subscriptions
@subscriptions_app.command("list")
def subscriptions_list(
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
    as_json: JsonOption = False,
) -> None:
    """List subscriptions with their last health check."""

    def main() -> None:
        t = target(local, stack, aws_port)
        rows = _subscription_rows(t)
        emit(
            rows,
            ["provider", "subscription", "webhook_id", "status", "checked_at", "reasons"],
            as_json,
            "subscriptions",
        )

    run(main)


def _subscription_rows(t: Target) -> list[dict[str, Any]]:
    """Every subscription with its last health check, as `subscriptions list` and `health` print them."""
    return [
        {
            "provider": s.provider,
            "subscription": s.subscription,
            "webhook_id": s.webhook_id,
            "status": s.health.status if s.health else None,
            "checked_at": s.health.checked_at if s.health else None,
            "reasons": "; ".join(s.health.reasons) if s.health else None,
            "contact": s.contact,
        }
        for s in SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table).list()
    ]


@subscriptions_app.command("create")
def subscriptions_create(
    provider: str,
    subscription: str,
    webhook_id: Annotated[str | None, typer.Option(help="The provider's id of the webhook.")] = None,
    quiet_period: Annotated[int, typer.Option(help="Longest normal silence, in seconds.")] = 86_400,
    contact: Annotated[str | None, typer.Option()] = None,
    event: Annotated[list[str] | None, typer.Option(help="An expected event type (repeat).")] = None,
    secret_file: Annotated[
        str | None, typer.Option(help="Store this secret JSON in Secrets Manager.")
    ] = None,
    register: Annotated[
        bool,
        typer.Option(
            help="Zippex: register the webhook through Zippex's API and store "
            "the secret it returns (it never passes through you)."
        ),
    ] = False,
    api_key_env: Annotated[
        str, typer.Option(help="With --register: the variable holding the API key.")
    ] = "ZIPPEX_API_KEY",
    zippex_api_url: Annotated[str, typer.Option(help="With --register.")] = "https://api.zippex.com",
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
    as_json: JsonOption = False,
) -> None:
    """Register a subscription: its record, and optionally its secret."""

    def main() -> None:
        try:
            providers.load(provider)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        t = target(local, stack, aws_port)
        hook_id = webhook_id
        secret: dict[str, Any] | None = json.loads(open(secret_file).read()) if secret_file else None  # noqa: SIM115
        if register:
            if provider != "zippex":
                raise Refused("--register is for Zippex, the provider with a registration API")
            from hookbridge.health.provider_api import JsonHttpClient, ZippexApi

            api_key = os.environ.get(api_key_env)
            if not api_key:
                raise Refused(f"--register needs the Zippex API key in ${api_key_env}")
            created = ZippexApi(zippex_api_url, api_key, JsonHttpClient()).create_webhook(
                f"{t.webhook_base_url.rstrip('/')}/zippex/{subscription}", list(event or ["*"]), "hookbridge"
            )
            hook_id = created["id"]
            secret = {"signing_secrets": [created["secret"]], "api_key": api_key}
        record = Subscription(
            provider=provider,
            subscription=subscription,
            webhook_id=hook_id,
            quiet_period_seconds=quiet_period,
            contact=contact,
            expected_events=tuple(event or ()),
        )
        try:
            SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table).create(record)
        except SubscriptionExists:
            raise Refused(f"{provider}/{subscription} exists") from None
        if secret is not None:
            SubscriptionSecret.model_validate(secret)  # refuse a malformed secret before storing it
            t.client("secretsmanager").create_secret(
                Name=secret_name(t.prefix, provider, subscription), SecretString=json.dumps(secret)
            )
        url = f"{t.webhook_base_url.rstrip('/')}/{provider}/{subscription}"
        emit(
            [
                {
                    "created": f"{provider}/{subscription}",
                    "webhook_id": hook_id,
                    "url": url,
                    "secret_stored": secret is not None,
                }
            ],
            ["created", "webhook_id", "url", "secret_stored"],
            as_json,
        )

    run(main)


@subscriptions_app.command("delete")
def subscriptions_delete(
    provider: str,
    subscription: str,
    delete_secret: Annotated[
        bool, typer.Option(help="Also schedule the secret's deletion (stops ingest).")
    ] = False,
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
) -> None:
    """Remove a subscription's record (and, if asked, its secret)."""

    def main() -> None:
        t = target(local, stack, aws_port)
        try:
            SubscriptionRegistry(t.client("dynamodb"), t.subscriptions_table).delete(provider, subscription)
        except SubscriptionNotFound:
            raise Refused(f"no subscription {provider}/{subscription}") from None
        if delete_secret:
            t.client("secretsmanager").delete_secret(SecretId=secret_name(t.prefix, provider, subscription))
        out.print(f"deleted {provider}/{subscription}")

    run(main)


@subscriptions_app.command("rotate")
def subscriptions_rotate(
    provider: str,
    subscription: str,
    drop_old: Annotated[bool, typer.Option(help="Keep only the newest signing secret.")] = False,
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
) -> None:
    """Add a new signing secret in front (both verify until --drop-old). The value is read from stdin or a
    hidden prompt, never from the command line."""

    def main() -> None:
        t = target(local, stack, aws_port)
        sm = t.client("secretsmanager")
        name = secret_name(t.prefix, provider, subscription)
        current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
        secrets = list(current.get("signing_secrets", []))
        if drop_old:
            if not secrets:
                raise Refused("no signing secret to keep")
            secrets = secrets[:1]
        else:
            new = (
                sys.stdin.readline().strip()
                if not sys.stdin.isatty()
                else typer.prompt("new signing secret", hide_input=True)
            )
            if not new:
                raise Refused("empty secret")
            secrets = [new, *[s for s in secrets if s != new]]
        sm.put_secret_value(SecretId=name, SecretString=json.dumps({**current, "signing_secrets": secrets}))
        out.print(
            f"{provider}/{subscription}: {len(secrets)} signing secret(s); cached copies refresh within 5 min"
        )

    run(main)


# ---------------------------------------------------------------------------------------------- events
def _parse_time(value: str | None, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"not an ISO-8601 time: {value}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _events_in_range(
    t: Target, provider: str, subscription: str, since: datetime, until: datetime, shards: int = 1
) -> Iterator[dict[str, Any]]:
    dynamodb = t.client("dynamodb")
    day = since.date()
    start, end = since.strftime("%Y-%m-%dT%H:%M:%S.000Z"), until.strftime("%Y-%m-%dT%H:%M:%S.999Z")
    while day <= until.date():
        for shard in range(shards):
            pages = dynamodb.get_paginator("query").paginate(
                TableName=t.events_table,
                IndexName="by_subscription",
                KeyConditionExpression="by_day = :d AND received_at BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":d": {"S": f"{provider}#{subscription}#{day.isoformat()}#{shard}"},
                    ":a": {"S": start},
                    ":b": {"S": end},
                },
            )
            for page in pages:
                yield from page.get("Items", [])
        day += timedelta(days=1)


SinceOption = Annotated[str | None, typer.Option(help="ISO-8601 start (default: 24 hours ago).")]
UntilOption = Annotated[str | None, typer.Option(help="ISO-8601 end (default: now).")]


@events_app.command("list")
def events_list(
    provider: str,
    subscription: str,
    since: SinceOption = None,
    until: UntilOption = None,
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
    as_json: JsonOption = False,
) -> None:
    """List a subscription's stored events in a time range."""

    def main() -> None:
        now = datetime.now(UTC)
        t = target(local, stack, aws_port)
        rows = [
            {
                "received_at": i["received_at"]["S"],
                "event_type": i["event_type"]["S"],
                "event_id": i.get("event_id", {}).get("S"),
                "subject": i.get("subject", {}).get("S"),
                "id": i["id"]["S"],
                "key": i["dedupe_key"]["S"],
            }
            for i in _events_in_range(
                t,
                provider,
                subscription,
                _parse_time(since, now - timedelta(days=1)),
                _parse_time(until, now),
            )
        ]
        emit(
            rows,
            ["received_at", "event_type", "event_id", "subject", "id"],
            as_json,
            f"{provider}/{subscription}",
        )

    run(main)


@events_app.command("show")
def events_show(
    key: Annotated[str, typer.Argument(help="The event's key (events list --json: key).")],
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
) -> None:
    """Print one stored event: its metadata and payload."""

    def main() -> None:
        t = target(local, stack, aws_port)
        envelope = _stored_envelope(t, t.client("dynamodb"), key)
        out.print_json(envelope.entry["Detail"])

    run(main)


def _stored_envelope(t: Target, dynamodb: Any, key: str) -> Envelope:
    """A stored event as the publisher puts it on the bus (large payloads as their payload_ref)."""
    item = dynamodb.get_item(TableName=t.events_table, Key={"pk": {"S": key}}).get("Item")
    if item is None:
        raise Refused(f"no event {key}")
    return build_envelope(
        key,
        StoredEvent.from_stream_image(item),
        prefix=t.prefix,
        bus=t.bus,
        table=t.events_table,
        payload_bucket=t.payload_bucket,
    )


@events_app.command("replay")
def events_replay(
    provider: str,
    subscription: str,
    since: SinceOption = None,
    until: UntilOption = None,
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
) -> None:
    """Publish a subscription's stored events again, in the bus envelope (consumers see them twice)."""

    def main() -> None:
        now = datetime.now(UTC)
        t = target(local, stack, aws_port)
        dynamodb = t.client("dynamodb")
        keys = [
            i["pk"]["S"]
            for i in _events_in_range(
                t,
                provider,
                subscription,
                _parse_time(since, now - timedelta(days=1)),
                _parse_time(until, now),
            )
        ]
        with out.status(f"reading {len(keys)} events"):
            envelopes = [_stored_envelope(t, dynamodb, key) for key in keys]
        failed = Publisher(t.client("events")).publish(envelopes)
        out.print(f"replayed {len(envelopes) - len(failed)} of {len(envelopes)} events")
        if failed:
            raise Refused(f"{len(failed)} could not be published; run again")

    run(main)


# ---------------------------------------------------------------------------------------------- dlq
@dlq_app.command("redrive")
def dlq_redrive(
    local: LocalOption = False, stack: StackOption = "hookbridge", aws_port: AwsPortOption = 5005
) -> None:
    """Publish the stream records named by dead-letter messages, then delete each message that succeeded."""

    def main() -> None:
        t = target(local, stack, aws_port)
        sqs, streams = t.client("sqs"), t.client("dynamodbstreams")
        publisher = Publisher(t.client("events"))
        done = kept = 0
        while messages := sqs.receive_message(
            QueueUrl=t.dead_letter_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", []):
            for message in messages:
                info = json.loads(message["Body"]).get("DDBStreamBatchInfo")
                if info is None or not _redrive_batch(t, streams, publisher, info):
                    kept += 1
                    continue
                sqs.delete_message(QueueUrl=t.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
            if kept:
                break
        out.print(f"redrove {done} batch(es); {kept} left in the queue")
        if kept:
            raise Refused(
                "some batches could not be redriven (stream records expire after 24 h: "
                "use `events replay` for those subscriptions)"
            )

    run(main)


def _redrive_batch(t: Target, streams: Any, publisher: Publisher, info: dict[str, Any]) -> bool:
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except ClientError:
        return False
    end = int(info["endSequenceNumber"])
    records = [
        r
        for r in streams.get_records(ShardIterator=iterator)["Records"]
        if int(r["dynamodb"]["SequenceNumber"]) <= end and r["eventName"] == "INSERT"
    ]
    envelopes = [
        build_envelope(
            r["dynamodb"]["SequenceNumber"],
            StoredEvent.from_stream_image(r["dynamodb"]["NewImage"]),
            prefix=t.prefix,
            bus=t.bus,
            table=t.events_table,
            payload_bucket=t.payload_bucket,
        )
        for r in lambda_stream_event(records, info["streamArn"])["Records"]
    ]
    return not publisher.publish(envelopes)


# ---------------------------------------------------------------------------------------------- health
@app.command()
def health(
    local: LocalOption = False,
    stack: StackOption = "hookbridge",
    aws_port: AwsPortOption = 5005,
    as_json: JsonOption = False,
) -> None:
    """Run the health check now and print every subscription's status."""

    def main() -> None:
        from hookbridge.handlers import health_handler

        t = target(local, stack, aws_port)
        environ = {
            **os.environ,
            "HOOKBRIDGE_PREFIX": t.prefix,
            "EVENTS_TABLE": t.events_table,
            "SUBSCRIPTIONS_TABLE": t.subscriptions_table,
            "EVENT_BUS": t.bus,
            "DEAD_LETTER_QUEUE_URL": t.dead_letter_queue_url,
            "LOG_LEVEL": "ERROR",
        }
        # The function prints its metrics (EMF) to stdout, as in Lambda; here only the table is wanted.
        with out.status("checking subscriptions"), contextlib.redirect_stdout(io.StringIO()):
            result = health_handler(environ)({}, context("hookbridge-cli"))
        rows = _subscription_rows(t)
        emit(
            rows,
            ["provider", "subscription", "status", "reasons"],
            as_json,
            f"{result['checked']} checked, {result['unhealthy']} not healthy",
        )

    run(main)
