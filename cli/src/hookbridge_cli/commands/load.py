"""`hookbridge load`: a load run against `hookbridge dev` that must reconcile exactly.

It sends to subscriptions of its own (`load-<run>-<n>`, fresh secrets, created before and deleted after the
run), watches the bus through a rule and queue of its own (removed after the run too), and counts what the
events table holds for those subscriptions, so other traffic on the same stack never counts. With
--write-limit, the local stack throttles those subscriptions' writes as DynamoDB throttles a table past its
warm throughput, and the run sends each delivery answered 503 again, as its provider would."""

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

from hookbridge.model import Provider
from hookbridge.subscription import secret_name
from hookbridge_cli import options, stored
from hookbridge_cli.errors import AwsFailed, Refused, Usage
from hookbridge_cli.local.throttle import LimitRefused, clear_limit, set_limit
from hookbridge_cli.local.traffic import (
    Observed,
    Plan,
    Report,
    Retry,
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
    write_limit: Annotated[
        float | None,
        typer.Option(
            help="Throttle the run's writes to the events table past this many a second, as DynamoDB "
            "throttles a new table past its warm throughput: its webhooks are answered 503 and sent again."
        ),
    ] = None,
    retry_delay: Annotated[
        float | None,
        typer.Option(
            help="With --write-limit: seconds before a delivery answered 503 is sent again (default 1; the "
            "answer says Retry-After: 30, and providers wait a minute or more)."
        ),
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Accepted for symmetry: load always drives `hookbridge dev`.")
    ] = True,
    aws_port: options.AwsPort = None,
    as_json: options.Json = False,
) -> None:
    """Drive the local stack (`hookbridge dev`) with concurrent genuine deliveries, some of them
    redeliveries, for a fixed time; print throughput and latency, and check that every distinct event was
    stored once and published once and every redelivery was answered duplicate. Exit 1 when not."""
    _check_ranges(duration, concurrency, duplicates, subscriptions, settle, write_limit, retry_delay)
    named = [options.provider(name) for name in dict.fromkeys(provider or [])]
    t = resolve(True, "hookbridge", aws_port)
    chosen = _chosen(t, named)
    run = secrets.token_hex(3)
    names = [f"load-{run}-{n}" for n in range(1, subscriptions + 1)]
    sources = [source(p, name, fresh_secret(p.name)) for p in chosen for name in names]
    out = Output(as_json)
    retry = Retry(1.0 if retry_delay is None else retry_delay) if write_limit is not None else None
    limit = _WriteLimit(t, f"load-{run}-", write_limit)
    with _temporary(t, run, sources, limit) as watch:
        if sys.stderr.isatty():  # progress for a person; a script's stderr is only the failure's line
            out.note(_progress(duration, concurrency, sources, chosen, names, write_limit))
        began = time.monotonic()
        deliveries = drive(Plan(sources, duplicates), t.webhook_base_url, duration, concurrency, retry=retry)
        elapsed = time.monotonic() - began
        accepted = {d.id: d.finished for d in deliveries if d.answer == "accepted" and d.id}
        watch.wait_for(set(accepted), settle)
    observed = _observed(t, sources, watch, accepted, limit)
    report = Report(deliveries, observed, elapsed, reconcile(deliveries, observed))
    summary = report.summary(sources, duration, concurrency, duplicates, write_limit, retry)
    _show(out, summary)
    if report.mismatches:
        raise Refused("did not reconcile: " + "; ".join(report.mismatches), _advice(summary))


def _check_ranges(
    duration: float,
    concurrency: int,
    duplicates: float,
    subscriptions: int,
    settle: float,
    write_limit: float | None,
    retry_delay: float | None,
) -> None:
    """Each option within its range, refused as a usage error (the first out of range) otherwise."""
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
    _check_write_limit(write_limit, retry_delay)


def _check_write_limit(write_limit: float | None, retry_delay: float | None) -> None:
    if write_limit is not None and not 0 < write_limit <= 100_000:
        raise Usage(f"--write-limit {write_limit} is out of range", "give writes a second, above 0")
    if retry_delay is not None and write_limit is None:
        raise Usage("--retry-delay applies only with --write-limit", "add --write-limit N, or leave it out")
    if retry_delay is not None and not 0 <= retry_delay <= 60:
        raise Usage(f"--retry-delay {retry_delay} is out of range", "give 0 to 60 seconds")


def _chosen(t: Target, named: list[Provider]) -> list[Provider]:
    """The providers the run sends as: those named (each received by the stack), else every one it serves
    that answers with the stored event's id."""
    for chosen_provider in named:
        require_received(t, chosen_provider.name)
    # A sender that answers in its own shape (Adyen's "[accepted]", Discord's 204, Twilio's TwiML) does not
    # say which stored event a delivery is: a run cannot reconcile it, so it is left out by default.
    own_answer = [p.name for p in named if p.accepted is not None]
    if own_answer:
        raise Usage(
            f"{own_answer[0]} answers without the stored event's id, so a load run cannot reconcile it",
            "leave it out: the other senders' runs cover the same path",
        )
    return named or [p for p in map(options.provider, t.providers) if p.accepted is None]


def _progress(
    duration: float,
    concurrency: int,
    sources: list[Source],
    chosen: list[Provider],
    names: list[str],
    write_limit: float | None,
) -> str:
    return (
        f"sending for {duration:g} s from {concurrency} connections to {len(sources)} subscriptions "
        f"({', '.join(p.name for p in chosen)} x {', '.join(names)})"
        + (f", writes throttled past {write_limit:g}/s" if write_limit is not None else "")
        + "..."
    )


def _observed(
    t: Target, sources: list[Source], watch: _BusWatch, accepted: dict[str, float], limit: _WriteLimit
) -> Observed:
    """What the stack holds once the watch has stopped and the limit is gone (their counts are final)."""
    if limit.asked and limit.throttled is None:
        raise AwsFailed("could not read the throttled writes from the local stack", "run it again")
    return Observed(
        stored=_stored(t, sources),
        published=Counter(watch.published),
        publish_lag=[watch.seen[i] - accepted[i] for i in accepted if i in watch.seen],
        throttled_writes=limit.throttled,
    )


class _BusWatch:
    """Every event the bus routes to the run's queue, counted by id, with when it was first seen."""

    def __init__(self, t: Target, queue_url: str, run: str) -> None:
        self._sqs, self._queue, self._prefix = t.client("sqs"), queue_url, f"load-{run}-"
        self.published: Counter[str] = Counter()
        self._elements: Counter[str] = Counter()  # each bus event's own id (a batch's element's)
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
                    # A batch's elements under the id of the stored webhook they came from: published
                    # once when none of its elements arrived twice.
                    webhook = str(meta.get("batch_id") or meta["id"])
                    self._elements[meta["id"]] += 1
                    self.published[webhook] = max(self.published[webhook], self._elements[meta["id"]])
                    self.seen.setdefault(webhook, now)
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


class _WriteLimit:
    """The local stack's throttling of the run's writes (hookbridge_cli.local.throttle), when asked for: set
    before anything else the run creates, removed with the rest; ``throttled`` is its count once removed."""

    def __init__(self, t: Target, scope: str, per_second: float | None) -> None:
        self._endpoint, self._scope, self._per_second = t.aws_endpoint, scope, per_second
        self.active = False
        self.throttled: int | None = None

    @property
    def asked(self) -> bool:
        """Whether the run asked for a write limit (--write-limit)."""
        return self._per_second is not None

    def set(self) -> None:
        if self._per_second is None or self._endpoint is None:
            return
        try:
            set_limit(self._endpoint, self._scope, self._per_second)
        except LimitRefused as exc:
            if exc.status == 404:
                raise Refused(
                    "this `hookbridge dev` cannot throttle writes",
                    "restart it with this version of hookbridge, then run load again",
                ) from exc
            raise AwsFailed(f"the local stack refused the write limit: {exc}", "run it again") from exc
        except OSError as exc:
            raise AwsFailed(
                f"no local stack answers on {self._endpoint}", "is `hookbridge dev` running?"
            ) from exc
        self.active = True

    def clear(self) -> None:
        if self.active and self._endpoint is not None:
            self.active = False
            self.throttled = int(clear_limit(self._endpoint, self._scope)["throttled"])


@contextlib.contextmanager
def _temporary(t: Target, run: str, sources: list[Source], limit: _WriteLimit) -> Any:
    """The run's write limit (when asked for), subscriptions (their secrets) and watch on the bus, removed
    afterwards whatever happened."""
    sm, events, sqs = t.client("secretsmanager"), t.client("events"), t.client("sqs")
    created: list[str] = []
    rule = f"hookbridge-load-{run}"
    queue_url: str | None = None
    watch: _BusWatch | None = None
    try:
        limit.set()  # first: a `dev` that cannot throttle is refused before anything is created
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
            limit.clear()
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
            *(["throttled"] if s["write_limit"] is not None else []),
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
    if s["write_limit"] is not None:
        then = ", ".join(f"{n} {k}" for k, n in s["throttled_then"].items()) or "none"
        out.say(
            f"throttled {s['throttled_writes']} writes past {s['write_limit']:g}/s; "
            f"{s['throttled']} deliveries answered 503 ({s['throttled_answers']} times), each sent again "
            f"{s['retry_delay_s']:g} s later: then {then}"
        )
    if s["reconciled"]:
        out.say(
            "reconciled: every distinct event stored once and published once, "
            "every redelivery answered duplicate"
            + (
                ", every throttled delivery answered on retry and its event accepted once: nothing lost"
                if s["throttled"]
                else ""
            )
        )


def _advice(summary: dict[str, Any]) -> str:
    if summary["accepted"] == 0 and summary["other"]:
        return "the stack refused the deliveries: see the answers above and `hookbridge dev`'s output"
    return "this is a bug: see the counts above and report them"
