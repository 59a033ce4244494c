"""Nothing genuine lost, nothing stored twice, nothing forged anywhere: a few thousand deliveries across all
providers, with duplicates, concurrency, and faults injected into DynamoDB and EventBridge."""

from __future__ import annotations

import json
import queue
import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from hookbridge import providers
from hookbridge.model import StoredEvent, is_publishable
from hookbridge.samples import fresh_event
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import (
    LambdaContext,
    demo_secret,
    distinct_body,
    forged_secret,
    is_stored,
    load_event,
    sample_names,
    signed,
)
from tests.support.stack import Handler, Stack

DISTINCT_PER_PROVIDER = 60
FORGED_PER_PROVIDER = 20
WORKERS = 8


def stored_samples(provider: str) -> list[str]:
    """The provider's samples that are stored (not the handshakes it answers)."""
    loaded = providers.load(provider)
    return [n for n in sample_names(provider) if is_stored(loaded, load_event(provider, n))]


def unique_event(
    provider: str, n: int, secret: dict[str, Any] | None = None, forged: bool = False
) -> dict[str, Any]:
    """A sample of the provider's made its n-th distinct event, signed (with ``secret``: a forger's)."""
    names = stored_samples(provider)
    name = names[n % len(names)]
    body = distinct_body(provider, load_event(provider, name), n)
    if forged:  # a marker no genuine event has, wherever the body keeps it
        body = body.replace("}", ', "forged": "FORGED"}', 1) if "}" in body else body + "&forged=FORGED"
    return signed(provider, name, secret, body=body)


def wrong_secret(provider: str) -> dict[str, Any]:
    """What a forger would sign with: the demo secret's layout with other values."""
    return forged_secret(provider)


def iso_s(epoch_seconds: int) -> str:
    """Epoch seconds as a stored event's received_at reads (which sorts as its time)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Faults:
    """Injects failures into every client the functions create: DynamoDB's write failing before it is made
    (botocore retries those) and after it (the write happened, the answer was lost), and PutEvents failing."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.injected: Counter[str] = Counter()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = boto3.session.Session.client

        def client(session: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            made = original(session, name, *args, **kwargs)
            if name == "dynamodb":  # a PutItem, or the transaction of content remembered for a window
                for operation in ("PutItem", "TransactWriteItems"):
                    made.meta.events.register(f"before-send.dynamodb.{operation}", self._before_put)
                    made.meta.events.register(f"after-call.dynamodb.{operation}", self._after_put)
            if name == "events":
                made.meta.events.register("before-send.events.PutEvents", self._put_events)
            return made

        monkeypatch.setattr(boto3.session.Session, "client", client)

    def _maybe(self, kind: str, probability: float, error: Exception) -> None:
        if self.random.random() < probability:
            self.injected[kind] += 1
            raise error

    def _before_put(self, **_: Any) -> None:
        self._maybe("PutItem before write", 0.15, ReadTimeoutError(endpoint_url="https://dynamodb"))

    def _after_put(self, **_: Any) -> None:
        self._maybe("PutItem answer lost", 0.05, ReadTimeoutError(endpoint_url="https://dynamodb"))

    def _put_events(self, **_: Any) -> None:
        self._maybe("PutEvents", 0.2, EndpointConnectionError(endpoint_url="https://events"))


# provider, event, genuine, the secret it is signed with: signed again at each attempt, as a sender
# signs each retry (Paddle's signatures are stale after 5 s).
Delivery = tuple[str, dict[str, Any], bool, dict[str, Any]]


def planned_deliveries(stack: Stack) -> list[Delivery]:
    """Every provider's distinct genuine events, some delivered again (as providers do), and forgeries."""
    deliveries: list[Delivery] = []
    rng = random.Random(7)
    for provider in providers.names():
        stack.add_secret(provider, "demo", demo_secret(provider))
        for n in range(DISTINCT_PER_PROVIDER):
            event = unique_event(provider, n)
            genuine = (provider, event, True, demo_secret(provider))
            deliveries += [genuine] * rng.choice([1, 1, 2, 3])  # providers deliver again
        wrong = wrong_secret(provider)
        for n in range(FORGED_PER_PROVIDER):
            forged = unique_event(provider, 10_000 + n, wrong, forged=True)
            deliveries.append((provider, forged, False, wrong))
    rng.shuffle(deliveries)
    return deliveries


def deliver_all(ingest_function: Callable[[str], Handler], deliveries: list[Delivery]) -> Counter[str]:
    """Every delivery, retried as a provider retries, by WORKERS at once; the answers given."""
    answers: Counter[str] = Counter()
    # Lambda runs one invocation at a time in each instance of a function, and starts more instances for
    # more at once: an instance for each worker, each built (by a refused request) before the threads
    # start, since building reads the environment that each provider's function sets.
    handlers: dict[str, queue.SimpleQueue[Handler]] = {}
    for provider in providers.names():
        handlers[provider] = queue.SimpleQueue()
        for _worker in range(WORKERS):
            instance = ingest_function(provider)
            warm_up = unique_event(provider, 0, wrong_secret(provider))
            assert instance(warm_up, LambdaContext())["statusCode"] == 401
            handlers[provider].put(instance)

    def deliver(item: Delivery) -> None:
        provider, event, genuine, secret = item
        sender, signing = providers.load(provider), SubscriptionSecret.model_validate(secret)
        for _attempt in range(20):  # a provider retries until it gets a 2xx (or gives up on a 4xx)
            attempt = fresh_event(event, sender, signing)
            handler = handlers[provider].get_nowait()  # as Lambda: one invocation at a time per instance
            try:
                status = handler(attempt, LambdaContext())["statusCode"]
            finally:
                handlers[provider].put(handler)
            answers[str(status)] += 1
            if 200 <= status < 300 or (not genuine and status == 401):
                return
            assert status in (503, 500) if genuine else status == 401, status
        raise AssertionError("a genuine delivery never got a 2xx")

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(deliver, deliveries))
    return answers


def publish_all(stack: Stack, publisher_handler: Handler) -> int:
    """The publisher, driven as Lambda drives it: the records its mapping lets through (stored webhooks,
    and a batch's progress recorded after a partial failure, which adds records to the stream), retried
    from the first failed record until none fails; how many invocations it took."""
    from tests.support.events import stream_event

    arn = stack.dynamodb.describe_table(TableName="hookbridge-events")["Table"]["LatestStreamArn"]

    def publishable() -> list[dict[str, Any]]:
        records = stack.stream_records()
        return [r for r in records if is_publishable(r["eventName"], r["dynamodb"].get("NewImage"))]

    records, done, rounds = publishable(), 0, 0
    while done < len(records):
        rounds += 1
        assert rounds < 400, "the publisher never caught up"
        batch = records[done : done + 100]
        failed = {
            f["itemIdentifier"]
            for f in publisher_handler(stream_event(batch, arn), LambdaContext())["batchItemFailures"]
        }
        done += next(
            (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), len(batch)
        )
        if done == len(records) or failed:
            records = publishable()  # the progress a partial failure recorded is on the stream now
    return rounds


@pytest.mark.slow  # minutes: the slow set, which CI runs
@pytest.mark.usefixtures("atomic_moto_dynamodb")
def test_a_few_thousand_deliveries_lose_nothing(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    publisher_handler: Handler,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    faults = Faults(seed=20261122)
    faults.install(monkeypatch)
    deliveries = planned_deliveries(stack)
    answers = deliver_all(ingest_function, deliveries)
    rounds = publish_all(stack, publisher_handler)

    distinct = len(providers.names()) * DISTINCT_PER_PROVIDER
    # The stored events (a claim the publisher made for an element signed on its own has no by_day).
    items = [item for item in stack.items() if "by_day" in item]
    stored = [StoredEvent.from_stream_image(i) for i in items]
    on_bus = stack.bus_messages()
    bus_ids = Counter(m["detail"]["metadata"]["id"] for m in on_bus)
    with capsys.disabled():
        print(
            f"\n  deliveries {len(deliveries)} ({distinct} distinct genuine, "
            f"{len(providers.names()) * FORGED_PER_PROVIDER} forged); answers {dict(answers)}; "
            f"faults injected {dict(faults.injected)}; stored {len(items)}; "
            f"on the bus {len(on_bus)} ({len(bus_ids)} distinct, {len(on_bus) - len(bus_ids)} repeats); "
            f"publisher invocations {rounds}"
        )
    assert faults.injected["PutItem before write"] > 0
    assert faults.injected["PutItem answer lost"] > 0
    assert faults.injected["PutEvents"] > 0
    # A sender that signs each retry anew with a one-time token (Mailgun) has each retry stored as the
    # request it is, under its claim of the event's id: one event however many times it is stored.
    claimed = [event for event in stored if event.claim is not None]
    by_claim = {(event.provider, event.claim) for event in claimed}
    # A sender whose identical notifications can be genuine remembers content for a window only (Dropbox a
    # second: two changes to one account are the same body, and merging them would lose the second): a
    # delivery again after the window is stored and published again, as its page says; never inside it.
    windowed = [event for event in stored if event.claim is None and event.dedupe_until < event.expires_at]
    again = len(windowed) - len({event.dedupe_key for event in windowed})
    assert len(stored) - len(claimed) + len(by_claim) - again == distinct  # every distinct genuine event...
    assert max(Counter(e.dedupe_key for e in stored if e not in windowed).values()) == 1  # ...stored once
    for key in {event.dedupe_key for event in windowed}:
        copies = sorted((e for e in windowed if e.dedupe_key == key), key=lambda e: e.received_at)
        assert all(later.received_at >= iso_s(earlier.dedupe_until) for earlier, later in pairwise(copies))
    expected = {  # every one of them reached the bus, once; a batch as one event per element
        one
        for event in stored
        if event.claim is None
        for one in ([f"{event.id}-{i}" for i in range(len(event.elements))] or [event.id])
    }
    assert set(bus_ids) - {e.id for e in claimed} == expected
    for claim in by_claim:  # a claimed event on the bus through exactly one of its stored requests
        ids = {e.id for e in claimed if (e.provider, e.claim) == claim}
        assert len([i for i in ids if bus_ids[i]]) == 1, claim
    assert not any(b"FORGED" in StoredEvent.from_stream_image(i).payload for i in items)
    assert not any("FORGED" in json.dumps(m) for m in on_bus)
