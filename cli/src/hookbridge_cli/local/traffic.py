"""A load run against `hookbridge dev`: concurrent genuine deliveries, some of them redeliveries, and the
reconciliation of what the stack answered, stored and published.

Each delivery is signed for the moment it is sent, exactly as `hookbridge send` signs a sample, so a
redelivery is what a provider's retry is: the same body, signed again. Half of the redeliveries pick the
event most recently started, which is often still in flight: that exercises the race between two
deliveries of one event, which the conditional write must settle (one accepted, the other duplicate).

With a write limit (the local stack's DynamoDB throttling, throttle.py), a delivery answered 503 is sent
again after a delay, signed again, as its provider would: the run then checks that each was accepted once.

Written with the standard library (threads, http.client with keep-alive): the load is a few hundred
requests a second on one machine, and no well-kept load tool both signs per provider and reconciles the
table and the bus.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import random
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hookbridge.model import Provider
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli.samples import (
    demo_secret,
    distinct_body,
    is_stored,
    load_event,
    sample_names,
    signed_request,
)


@dataclass(frozen=True)
class Source:
    """One subscription of one provider that the run sends to, and the samples it sends."""

    provider: Provider
    subscription: str
    secret_value: dict[str, Any]  # as stored in Secrets Manager
    secret: SubscriptionSecret
    samples: tuple[dict[str, Any], ...]

    @property
    def name(self) -> str:
        return self.provider.name


@dataclass
class Event:
    """One distinct genuine event of the run: its source, sample and body, and when its first delivery
    was answered (None while in flight)."""

    number: int
    source: Source
    sample: dict[str, Any]
    body: str
    first_finished: float | None = None


@dataclass
class Delivery:
    event: Event
    redelivery: bool
    started: float
    finished: float = 0.0
    status: int | None = None  # None: no answer (connection failed)
    answer: str | None = None  # "accepted", "duplicate", or what else the body said
    id: str | None = None
    concurrent: bool = False  # a redelivery started while the event's first delivery was in flight
    error: str | None = None  # why there was no answer
    throttled: int = 0  # times it was answered 503 and sent again (the answer above is the last one's)
    without_retry_after: int = 0  # of those 503s, the ones that did not say when to retry


@dataclass(frozen=True)
class Retry:
    """What the run does with a 503, as a provider does: send it again ``delay`` seconds later, signed
    again, up to ``times`` times (then its last answer stands)."""

    delay: float
    times: int = 30  # past --write-limit, writes wait their turn: enough for the run's events to get one


def fresh_secret(provider: str) -> dict[str, Any]:
    """A secret of the layout of the provider's demo secret, with new random credentials (a `whsec_`
    secret stays `whsec_<base64>`, which every sender using that prefix accepts)."""
    value = demo_secret(provider)
    if value.get("signing_secrets"):
        value["signing_secrets"] = [
            "whsec_" + secrets.token_urlsafe(24).replace("-", "+").replace("_", "/")
            if s.startswith("whsec_")
            else secrets.token_hex(16)
            for s in value["signing_secrets"]
        ]
    if value.get("tokens"):
        value["tokens"] = [secrets.token_hex(16)]
    if value.get("basic_auth"):
        value["basic_auth"] = [{"username": "load", "password": secrets.token_hex(16)}]
    return value


def source(provider: Provider, subscription: str, secret: dict[str, Any]) -> Source:
    every = (load_event(provider.name, name) for name in sample_names(provider.name))
    samples = tuple(sample for sample in every if is_stored(provider, sample))  # handshakes are answered
    return Source(provider, subscription, secret, SubscriptionSecret.model_validate(secret), samples)


class Plan:
    """What each worker sends next: a new event, or (with probability ``duplicates``) a redelivery of
    one already started. Thread-safe; event numbers start at a random base so that two runs against one
    stack never send the same event."""

    def __init__(self, sources: list[Source], duplicates: float, seed: int | None = None) -> None:
        self._sources = sources
        self._duplicates = duplicates
        self._random = random.Random(seed)  # noqa: S311 - traffic shape, not security
        self._base = self._random.randrange(1, 2**40) * 1_000_000
        self._lock = threading.Lock()
        self.events: list[Event] = []

    def next(self) -> tuple[Event, bool]:
        with self._lock:
            if self.events and self._random.random() < self._duplicates:
                # Half the time the newest event (often still in flight), else any earlier one.
                recent = self._random.random() < 0.5
                return (self.events[-1] if recent else self._random.choice(self.events)), True
            chosen = self._sources[len(self.events) % len(self._sources)]
            sample = self._random.choice(chosen.samples)
            number = self._base + len(self.events)
            event = Event(number, chosen, sample, distinct_body(chosen.name, sample, number))
            self.events.append(event)
            return event, False


class Sender:
    """One worker's keep-alive connection to the local HTTP API."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            self._connection.request("POST", target, body=body, headers=headers)
            response = self._connection.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Waiting:
    """Deliveries answered 503, each with when it is sent again; thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()

    def put(self, delivery: Delivery, delay: float) -> None:
        with self._changed:
            heapq.heappush(self._heap, (self._clock() + delay, next(self._order), delivery))
            self._changed.notify_all()

    def due(self) -> Delivery | None:
        with self._changed:
            if self._heap and self._heap[0][0] <= self._clock():
                return heapq.heappop(self._heap)[2]
            return None

    def wait(self) -> bool:
        """Waits a little for the next one to be due; False when none is waiting."""
        with self._changed:
            if not self._heap:
                return False
            self._changed.wait(timeout=min(0.05, max(0.0, self._heap[0][0] - self._clock())))
            return True


def drive(
    plan: Plan,
    base_url: str,
    duration: float,
    concurrency: int,
    clock: Callable[[], float] = time.monotonic,
    retry: Retry | None = None,
    sender: Callable[[str], Sender] = Sender,
) -> list[Delivery]:
    """Sends for ``duration`` seconds from ``concurrency`` threads; returns every delivery with its
    answer. A delivery that got no answer is recorded (status None), never retried: a retry is a
    redelivery the plan did not ask for. With ``retry``, a 503 is sent again after its delay (after the
    sending time too, until none is waiting): the delivery's answer is then its last one's."""
    deliveries: list[Delivery] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    deadline = clock() + duration
    waiting = _Waiting(clock)

    def attempt(delivery: Delivery, connection: Sender) -> None:
        event = delivery.event
        s = event.source
        request = signed_request(event.sample, s.provider, s.secret, s.subscription, base_url, event.body)
        delivery.started, delivery.status, delivery.error = clock(), None, None
        headers: dict[str, str] = {}
        try:
            delivery.status, raw, headers = connection.post(request.url, request.body, request.headers)
        except (OSError, http.client.HTTPException) as exc:
            raw, delivery.error = b"", type(exc).__name__
        delivery.finished = clock()
        delivery.answer, delivery.id = _answer(raw)
        if retry is not None and delivery.status == 503 and delivery.throttled < retry.times:
            delivery.throttled += 1
            delivery.without_retry_after += "retry-after" not in headers
            waiting.put(delivery, retry.delay)
            return
        if not delivery.redelivery:
            event.first_finished = delivery.finished
        with lock:
            deliveries.append(delivery)

    def work() -> None:
        connection = sender(base_url)
        try:
            while True:
                delivery = waiting.due()
                if delivery is None and clock() < deadline:
                    event, redelivery = plan.next()
                    delivery = Delivery(event, redelivery, started=clock())
                    if redelivery:
                        delivery.concurrent = (
                            event.first_finished is None or event.first_finished > delivery.started
                        )
                if delivery is not None:
                    attempt(delivery, connection)
                elif not waiting.wait():
                    break
        except BaseException as exc:  # raised again in the caller's thread, with the contract's one line
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"load-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return deliveries


def _answer(raw: bytes) -> tuple[str | None, str | None]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    status, ident = parsed.get("status"), parsed.get("id")
    return (status if isinstance(status, str) else None), (ident if isinstance(ident, str) else None)


@dataclass
class Observed:
    """What the stack holds after the run: stored ids and published ids, each with its count."""

    stored: Counter[str] = field(default_factory=Counter)
    published: Counter[str] = field(default_factory=Counter)
    publish_lag: list[float] = field(default_factory=list)  # seconds from the 200 to seeing it on the bus
    # With a write limit: the run's PutItem requests the local stack throttled (several a 503: the ingest
    # function's client tries each write up to twice), None without one.
    throttled_writes: int | None = None


@dataclass
class Report:
    deliveries: list[Delivery]
    observed: Observed
    elapsed: float
    mismatches: list[str]

    def summary(
        self,
        sources: list[Source],
        duration: float,
        concurrency: int,
        duplicates: float,
        write_limit: float | None = None,
        retry: Retry | None = None,
    ) -> dict[str, Any]:
        answered = [d for d in self.deliveries if d.status is not None]
        latencies = [d.finished - d.started for d in answered]  # of each delivery's last answer
        throttled = [d for d in self.deliveries if d.throttled]
        other = Counter(_outcome(d) for d in self.deliveries if _outcome(d) not in ("accepted", "duplicate"))
        return {
            "duration_s": duration,
            "concurrency": concurrency,
            "duplicates": duplicates,
            "elapsed_s": round(self.elapsed, 3),
            "deliveries": len(self.deliveries),
            "events": len({d.event.number for d in self.deliveries}),
            "redeliveries": sum(d.redelivery for d in self.deliveries),
            "concurrent_redeliveries": sum(d.concurrent for d in self.deliveries),
            "accepted": sum(d.answer == "accepted" for d in self.deliveries),
            "duplicate": sum(d.answer == "duplicate" for d in self.deliveries),
            "other": dict(sorted(other.items())),
            "stored": sum(self.observed.stored.values()),
            "published": sum(self.observed.published.values()),
            "throughput_per_s": round(len(answered) / self.elapsed, 1) if self.elapsed else 0.0,
            "latency_ms": _percentiles(latencies),
            "publish_lag_ms": _percentiles(self.observed.publish_lag),
            **_throttling_summary(throttled, self.observed, write_limit, retry),
            "by_provider": [self._provider_row(name, sources) for name in sorted({s.name for s in sources})],
            "reconciled": not self.mismatches,
            "mismatches": self.mismatches,
        }

    def _provider_row(self, name: str, sources: list[Source]) -> dict[str, Any]:
        """The summary's counts for one provider's deliveries and the events they were accepted as."""
        mine = [d for d in self.deliveries if d.event.source.name == name]
        ids = {d.id for d in mine if d.answer == "accepted" and d.id}
        return {
            "provider": name,
            "subscriptions": sorted({s.subscription for s in sources if s.name == name}),
            "deliveries": len(mine),
            "events": len({d.event.number for d in mine}),
            "accepted": sum(d.answer == "accepted" for d in mine),
            "duplicate": sum(d.answer == "duplicate" for d in mine),
            "stored": sum(self.observed.stored[i] for i in ids),
            "published": sum(self.observed.published[i] for i in ids),
            "throttled": sum(d.throttled > 0 for d in mine),
            "latency_ms": _percentiles([d.finished - d.started for d in mine if d.status is not None]),
        }


def _throttling_summary(
    throttled: list[Delivery], observed: Observed, write_limit: float | None, retry: Retry | None
) -> dict[str, Any]:
    """The summary's fields on the write limit and the deliveries answered 503 under it."""
    return {
        "write_limit": write_limit,
        "retry_delay_s": retry.delay if retry else None,
        "throttled_writes": observed.throttled_writes,
        "throttled": len(throttled),
        "throttled_answers": sum(d.throttled for d in throttled),
        "throttled_then": dict(sorted(Counter(_outcome(d) for d in throttled).items())),
    }


def _outcome(d: Delivery) -> str:
    if d.status is None:
        return f"no answer ({d.error})"
    if d.status == 200 and d.answer in ("accepted", "duplicate"):
        return d.answer
    return f"{d.status} {d.answer}" if d.answer else str(d.status)


def _percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "p50": round(cuts[49], 1),
        "p90": round(cuts[89], 1),
        "p99": round(cuts[98], 1),
        "max": round(ms[-1], 1),
    }


def reconcile(deliveries: list[Delivery], observed: Observed) -> list[str]:
    """What did not add up, one phrase each; empty when every distinct event was accepted once, stored
    once and published once, and every other delivery of it was answered duplicate with its id."""
    outcomes = Counter(_outcome(d) for d in deliveries)
    odd = {k: v for k, v in outcomes.items() if k not in ("accepted", "duplicate")}
    problems = _odd_answers(odd, len(deliveries))
    by_event: dict[int, list[Delivery]] = {}
    for d in deliveries:
        by_event.setdefault(d.event.number, []).append(d)
    event_problems, accepted_ids = _per_event(by_event)
    problems += event_problems
    duplicates_expected = sum(len(ds) - 1 for ds in by_event.values() if len(ds) > 1)
    duplicate_answers = outcomes["duplicate"]
    if not odd and duplicate_answers != duplicates_expected:
        problems.append(f"{duplicate_answers} duplicate answers for {duplicates_expected} redeliveries")
    problems += _throttling(deliveries, observed)
    problems += _compare("stored", accepted_ids, observed.stored)
    problems += _compare("published", accepted_ids, observed.published)
    return problems


def _odd_answers(odd: dict[str, int], deliveries: int) -> list[str]:
    """The deliveries answered neither accepted nor duplicate, by answer."""
    if not odd:
        return []
    return [
        f"{sum(odd.values())} of {deliveries} deliveries answered neither accepted nor duplicate ("
        + ", ".join(f"{n}x {k}" for k, n in sorted(odd.items()))
        + ")"
    ]


def _per_event(by_event: dict[int, list[Delivery]]) -> tuple[list[str], set[str]]:
    """Each event's deliveries checked against each other (accepted once, one id), and the ids the events
    were accepted as."""
    accepted_twice = lost = split_ids = 0
    accepted_ids: set[str] = set()
    for ds in by_event.values():
        answered = [d for d in ds if d.answer in ("accepted", "duplicate")]
        accepted = [d for d in answered if d.answer == "accepted"]
        accepted_twice += len(accepted) > 1
        lost += bool(answered) and not accepted  # answered duplicate, yet never accepted in this run
        split_ids += len({d.id for d in answered}) > 1
        accepted_ids.update(d.id for d in accepted if d.id)
    problems = []
    if accepted_twice:
        problems.append(f"{accepted_twice} events were accepted more than once")
    if lost:
        problems.append(f"{lost} events were answered duplicate but never accepted")
    if split_ids:
        problems.append(f"{split_ids} events got different ids on different deliveries")
    return problems, accepted_ids


def _throttling(deliveries: list[Delivery], observed: Observed) -> list[str]:
    """A 503 says when to retry; and with a write limit, every 503 is one the limit explains (a throttled
    write at least): any other would be a failure the run's retries hid."""
    problems = []
    silent = sum(d.without_retry_after for d in deliveries)
    if silent:
        problems.append(f"{silent} answers 503 without Retry-After")
    answers = sum(d.throttled + (d.status == 503) for d in deliveries)
    if observed.throttled_writes is not None and answers > observed.throttled_writes:
        problems.append(f"{answers} answers 503 but only {observed.throttled_writes} writes throttled")
    return problems


def _compare(what: str, accepted: set[str], seen: Counter[str]) -> list[str]:
    problems = []
    missing = len(accepted - set(seen))
    twice = sum(1 for i in accepted if seen[i] > 1)
    extra = sum(n for i, n in seen.items() if i not in accepted)
    if missing:
        problems.append(f"{missing} of {len(accepted)} accepted events not {what}")
    if twice:
        problems.append(f"{twice} accepted events {what} more than once")
    if extra:
        problems.append(f"{extra} events {what} that no delivery was answered accepted for")
    return problems
