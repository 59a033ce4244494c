"""`hookbridge load`: a load run against `hookbridge dev` that must reconcile exactly.

It sends to subscriptions of its own (`load-<run>-<n>`, fresh secrets, created before and deleted after the
run), watches the bus through a rule and queue of its own (removed after the run too), and counts what the
events table holds for those subscriptions, so other traffic on the same stack never counts."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer

from hookbridge.subscription import secret_name
from hookbridge_cli import options, stored
from hookbridge_cli.errors import Refused, Usage
from hookbridge_cli.local.traffic import (
    Observed,
    Plan,
    Report,
    Source,
    drive,
    fresh_secret,
    reconcile,
    source,
)
from hookbridge_cli.output import Output
from hookbridge_cli.target import Target, require_received, resolve


def load(
    duration: Annotated[float, typer.Option(help="Seconds to send for.")] = 10.0,
    concurrency: Annotated[int, typer.Option(help="Deliveries in flight at once (one connection each).")] = 8,
    duplicates: Annotated[
        float, typer.Option(help="Fraction of deliveries that redeliver an event already sent (0 to <1).")
    ] = 0.2,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider", help="A provider to send as (repeat it); default: every one `dev` serves."
        ),
    ] = None,
    subscriptions: Annotated[int, typer.Option(help="Subscriptions per provider.")] = 2,
    settle: Annotated[
        float,
        typer.Option(help="After sending, how long to wait for the bus when no new event reaches it."),
    ] = 30.0,
    local: Annotated[
        bool, typer.Option("--local", help="Accepted for symmetry: load always drives `hookbridge dev`.")
    ] = True,
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Drive the local stack (`hookbridge dev`) with concurrent genuine deliveries, some of them
    redeliveries, for a fixed time; print throughput and latency, and check that every distinct event was
    stored once and published once and every redelivery was answered duplicate. Exit 1 when not."""
    if not 0 < duration <= 3600:
        raise Usage(f"--duration {duration} is out of range", "give seconds, more than 0 and at most 3600")
    if not 1 <= concurrency <= 256:
        raise Usage(f"--concurrency {concurrency} is out of range", "give 1 to 256")
    if not 0 <= duplicates < 1:
        raise Usage(f"--duplicates {duplicates} is out of range", "give a fraction from 0 up to (not) 1")
    if not 1 <= subscriptions <= 20:
        raise Usage(f"--subscriptions {subscriptions} is out of range", "give 1 to 20")
    if not 0 <= settle <= 600:
        raise Usage(f"--settle {settle} is out of range", "give 0 to 600 seconds")
    named = [options.provider(name) for name in dict.fromkeys(provider or [])]
    t = resolve(True, "hookbridge", aws_port)
    for chosen_provider in named:
        require_received(t, chosen_provider.name)
    chosen = named or [options.provider(name) for name in t.providers]
    run = secrets.token_hex(3)
    names = [f"load-{run}-{n}" for n in range(1, subscriptions + 1)]
    sources = [source(p, name, fresh_secret(p.name)) for p in chosen for name in names]
    out = Output(as_json)
    with _temporary(t, run, sources) as watch:
        if sys.stderr.isatty():  # progress for a person; a script's stderr is only the failure's line
            out.note(
                f"sending for {duration:g} s from {concurrency} connections to {len(sources)} subscriptions "
                f"({', '.join(p.name for p in chosen)} x {', '.join(names)})..."
            )
        plan = Plan(sources, duplicates)
        began = time.monotonic()
        deliveries = drive(plan, t.webhook_base_url, duration, concurrency)
        elapsed = time.monotonic() - began
        accepted = {d.id: d.finished for d in deliveries if d.answer == "accepted" and d.id}
        watch.wait_for(set(accepted), settle)
    # The watch has stopped: its counts are final.
    observed = Observed(
        stored=_stored(t, sources),
        published=Counter(watch.published),
        publish_lag=[watch.seen[i] - accepted[i] for i in accepted if i in watch.seen],
    )
    report = Report(deliveries, observed, elapsed, reconcile(deliveries, observed))
    summary = report.summary(sources, duration, concurrency, duplicates)
    _show(out, summary)
    if report.mismatches:
        raise Refused("did not reconcile: " + "; ".join(report.mismatches), _advice(summary))


class _BusWatch:
    """Every event the bus routes to the run's queue, counted by id, with when it was first seen."""

    def __init__(self, t: Target, queue_url: str, run: str) -> None:
        self._sqs, self._queue, self._prefix = t.client("sqs"), queue_url, f"load-{run}-"
        self.published: Counter[str] = Counter()
        self.seen: dict[str, float] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self._queue, MaxNumberOfMessages=10, WaitTimeSeconds=0
                ).get("Messages", [])
            except Exception as exc:  # noted, and the run does not reconcile
                self.errors.append(repr(exc))
                self._stop.wait(0.5)
                continue
            now = time.monotonic()
            for message in messages:
                meta = json.loads(message["Body"]).get("detail", {}).get("metadata", {})
                if str(meta.get("subscription", "")).startswith(self._prefix) and meta.get("id"):
                    self.published[meta["id"]] += 1
                    self.seen.setdefault(meta["id"], now)
            if messages:
                self._sqs.delete_message_batch(
                    QueueUrl=self._queue,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
                    ],
                )
            else:
                self._stop.wait(0.05)

    def wait_for(self, ids: set[str], settle: float) -> None:
        """Until every id was seen, or no new one for ``settle`` seconds (publishing stalled: the local
        publisher may lag far behind a long run, yet still be catching up), then a little longer: a second
        publication of an event would come within a few of the publisher's polls."""
        seen, quiet_since = len(self.seen), time.monotonic()
        while not ids <= set(self.seen) and time.monotonic() - quiet_since < settle:
            time.sleep(0.1)
            if len(self.seen) != seen:
                seen, quiet_since = len(self.seen), time.monotonic()
        time.sleep(1.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@contextlib.contextmanager
def _temporary(t: Target, run: str, sources: list[Source]) -> Any:
    """The run's subscriptions (their secrets) and its watch on the bus, removed afterwards whatever
    happened."""
    sm, events, sqs = t.client("secretsmanager"), t.client("events"), t.client("sqs")
    created: list[str] = []
    rule = f"hookbridge-load-{run}"
    queue_url: str | None = None
    watch: _BusWatch | None = None
    try:
        for s in sources:
            name = secret_name(t.prefix, s.name, s.subscription)
            sm.create_secret(Name=name, SecretString=json.dumps(s.secret_value))
            created.append(name)
        queue_url = sqs.create_queue(QueueName=rule)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        pattern = {"source": [{"prefix": f"{t.prefix}."}]}
        events.put_rule(Name=rule, EventBusName=t.bus, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, EventBusName=t.bus, Targets=[{"Id": "load", "Arn": arn}])
        watch = _BusWatch(t, queue_url, run)
        # Every ingest instance knows a new subscription within this (KnownSubscriptions): a delivery sooner
        # could be answered 404 by an instance that listed its sender's subscriptions just before.
        time.sleep(t.served_within_seconds)
        yield watch
        if watch.errors:
            raise Refused(f"could not read the bus: {watch.errors[0]}", "run it again")
    finally:
        if watch is not None:
            watch.stop()
        with contextlib.suppress(Exception):
            events.remove_targets(Rule=rule, EventBusName=t.bus, Ids=["load"])
        with contextlib.suppress(Exception):
            events.delete_rule(Name=rule, EventBusName=t.bus)
        if queue_url is not None:
            with contextlib.suppress(Exception):
                sqs.delete_queue(QueueUrl=queue_url)
        for name in created:
            with contextlib.suppress(Exception):
                sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def _stored(t: Target, sources: list[Source]) -> Counter[str]:
    """Ids of every event stored for the run's subscriptions (they exist only for this run)."""
    now = datetime.now(UTC)
    found: Counter[str] = Counter()
    for s in sources:
        for item in stored.in_range(
            t, s.name, s.subscription, now - timedelta(days=1), now + timedelta(hours=1)
        ):
            found[item["id"]["S"]] += 1
    return found


def _show(out: Output, s: dict[str, Any]) -> None:
    if out.as_json:
        out.json(s)
        return
    lat, lag = s["latency_ms"], s["publish_lag_ms"]
    out.rows(
        [
            {
                **row,
                "subscriptions": len(row["subscriptions"]),
                **{f"{k} ms": v for k, v in row["latency_ms"].items()},
            }
            for row in s["by_provider"]
        ],
        [
            "provider",
            "subscriptions",
            "deliveries",
            "events",
            "accepted",
            "duplicate",
            "stored",
            "published",
            "p50 ms",
            "p99 ms",
        ],
    )
    other = ", ".join(f"{n}x {k}" for k, n in s["other"].items()) or "none"
    out.say(
        f"sent      {s['deliveries']} deliveries in {s['elapsed_s']:.1f} s from {s['concurrency']} "
        f"connections: {s['throughput_per_s']} per second"
    )
    out.say(
        f"events    {s['events']} distinct, {s['redeliveries']} redeliveries "
        f"({s['concurrent_redeliveries']} while the first delivery was in flight)"
    )
    out.say(f"answers   {s['accepted']} accepted, {s['duplicate']} duplicate, other: {other}")
    out.say(f"latency   p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    out.say(
        f"stored    {s['stored']}, published {s['published']} "
        f"(lag to the bus p50 {lag['p50']} ms, max {lag['max']} ms)"
    )
    if s["reconciled"]:
        out.say(
            "reconciled: every distinct event stored once and published once, "
            "every redelivery answered duplicate"
        )


def _advice(summary: dict[str, Any]) -> str:
    if summary["accepted"] == 0 and summary["other"]:
        return "the stack refused the deliveries: see the answers above and `hookbridge dev`'s output"
    return "this is a bug: see the counts above and report them"
