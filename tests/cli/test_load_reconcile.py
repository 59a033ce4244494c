"""The load run's reconciliation, on deliveries and observations made up to each case (the command runs
against a real `hookbridge dev` in tests/cli/test_load.py)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hookbridge_cli.local.traffic import (
    Delivery,
    Event,
    Observed,
    Plan,
    Report,
    Retry,
    drive,
    fresh_secret,
    reconcile,
    source,
)

from hookbridge import providers


def _event(number: int) -> Event:
    s = source(providers.load("zippex"), "load-x-1", fresh_secret("zippex"))
    return Event(number, s, s.samples[0], "{}")


def _delivery(event: Event, redelivery: bool, answer: str, id_: str, status: int = 200) -> Delivery:
    return Delivery(event, redelivery, started=0.0, finished=0.1, status=status, answer=answer, id=id_)


def test_a_redelivery_that_wins_the_race_reconciles() -> None:
    """Two deliveries of one event in flight at once: either may be the one accepted."""
    one, two = _event(1), _event(2)
    deliveries = [
        _delivery(one, False, "accepted", "a"),
        _delivery(one, True, "duplicate", "a"),
        _delivery(two, False, "duplicate", "b"),
        _delivery(two, True, "accepted", "b"),
    ]
    observed = Observed(stored=Counter({"a": 1, "b": 1}), published=Counter({"a": 1, "b": 1}))
    assert reconcile(deliveries, observed) == []


@pytest.mark.parametrize(
    ("answers", "stored", "published", "says"),
    [
        ([("accepted", "a"), ("accepted", "b")], {"a": 1}, {"a": 1},
         "1 events were accepted more than once"),
        ([("accepted", "a"), ("duplicate", "b")], {"a": 1}, {"a": 1},
         "1 events got different ids on different deliveries"),
        ([("accepted", "a")], {}, {"a": 1}, "1 of 1 accepted events not stored"),
        ([("accepted", "a")], {"a": 1}, {}, "1 of 1 accepted events not published"),
        ([("accepted", "a")], {"a": 2}, {"a": 1}, "1 accepted events stored more than once"),
        ([("accepted", "a")], {"a": 1, "z": 1}, {"a": 1},
         "1 events stored that no delivery was answered accepted for"),
        ([("duplicate", "a")], {"a": 1}, {"a": 1}, "1 events were answered duplicate but never accepted"),
    ],
)  # fmt: skip
def test_what_does_not_add_up_is_named(
    answers: list[tuple[str, str]], stored: dict[str, int], published: dict[str, int], says: str
) -> None:
    event = _event(1)
    deliveries = [_delivery(event, n > 0, answer, id_) for n, (answer, id_) in enumerate(answers)]
    problems = reconcile(deliveries, Observed(stored=Counter(stored), published=Counter(published)))
    assert says in problems


def test_an_answer_other_than_accepted_or_duplicate_is_named_with_its_status() -> None:
    event = _event(1)
    deliveries = [_delivery(event, False, "accepted", "a"), _delivery(event, True, "", "", status=503)]
    deliveries.append(Delivery(event, True, 0.0, 0.1, status=None, error="ConnectionResetError"))
    problems = reconcile(deliveries, Observed(stored=Counter({"a": 1}), published=Counter({"a": 1})))
    assert problems == [
        "2 of 3 deliveries answered neither accepted nor duplicate "
        "(1x 503, 1x no answer (ConnectionResetError))"
    ]


def test_the_plan_redelivers_the_stated_fraction_and_numbers_events_apart_per_run() -> None:
    s = source(providers.load("zippex"), "load-x-1", fresh_secret("zippex"))
    plan = Plan([s], duplicates=0.25, seed=7)
    picks = [plan.next() for _ in range(4000)]
    redeliveries = sum(redelivery for _, redelivery in picks)
    assert 0.22 < redeliveries / len(picks) < 0.28
    assert len(plan.events) == len(picks) - redeliveries
    assert len({e.body for e in plan.events}) == len(plan.events)  # every new event is distinct
    other = Plan([s], duplicates=0.25, seed=8)
    other.next()
    assert other.events[0].body not in {e.body for e in plan.events}


def test_throttled_deliveries_answered_on_retry_reconcile_and_the_summary_counts_them() -> None:
    """A delivery answered 503 (the write limit's throttle) and sent again is judged by its last answer."""
    one, two = _event(1), _event(2)
    deliveries = [
        Delivery(one, False, 0.0, 0.1, status=200, answer="accepted", id="a", throttled=2),
        Delivery(two, False, 0.0, 0.1, status=200, answer="accepted", id="b"),
        Delivery(two, True, 0.0, 0.1, status=200, answer="duplicate", id="b", throttled=1),
    ]
    observed = Observed(Counter({"a": 1, "b": 1}), Counter({"a": 1, "b": 1}), throttled_writes=9)
    assert reconcile(deliveries, observed) == []
    summary = Report(deliveries, observed, 1.0, []).summary(
        [one.source], 1.0, 2, 0.2, write_limit=5.0, retry=Retry(0.5)
    )
    assert {k: summary[k] for k in ("write_limit", "retry_delay_s", "throttled_writes")} == {
        "write_limit": 5.0,
        "retry_delay_s": 0.5,
        "throttled_writes": 9,
    }
    assert (summary["throttled"], summary["throttled_answers"]) == (2, 3)
    assert summary["throttled_then"] == {"accepted": 1, "duplicate": 1}
    assert summary["by_provider"][0]["throttled"] == 2


@pytest.mark.parametrize(
    ("delivery", "throttled_writes", "says"),
    [
        (dict(status=200, answer="accepted", id="a", throttled=1, without_retry_after=1), 3,
         "1 answers 503 without Retry-After"),
        (dict(status=200, answer="accepted", id="a", throttled=2), 1,
         "2 answers 503 but only 1 writes throttled"),
        (dict(status=503, answer=None, id=None, throttled=10), 40,
         "1 of 1 deliveries answered neither accepted nor duplicate (1x 503)"),
    ],
)  # fmt: skip
def test_a_503_the_write_limit_does_not_explain_or_that_never_got_through_is_named(
    delivery: dict[str, object], throttled_writes: int, says: str
) -> None:
    deliveries = [Delivery(_event(1), False, 0.0, 0.1, **delivery)]  # type: ignore[arg-type]
    stored = Counter({"a": 1}) if delivery["id"] else Counter()
    problems = reconcile(deliveries, Observed(stored, Counter(stored), throttled_writes=throttled_writes))
    assert says in problems


class FakeSender:
    """Answers each delivery 503 (with or without Retry-After) the first ``throttle`` times it is sent."""

    sent: Counter[bytes]

    def __init__(self, base_url: str, throttle: int = 1, retry_after: bool = True) -> None:
        self.throttle, self.retry_after = throttle, retry_after

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        FakeSender.sent[body] += 1
        if FakeSender.sent[body] <= self.throttle:
            return (
                503,
                b'{"message": "Service unavailable, retry later"}',
                ({"retry-after": "30"} if self.retry_after else {}),
            )
        return 200, json.dumps({"status": "accepted", "id": body.decode()[-40:]}).encode(), {}

    def close(self) -> None:
        pass


def test_with_retry_a_503_is_sent_again_after_the_sending_time_until_answered() -> None:
    s = source(providers.load("zippex"), "load-x-1", fresh_secret("zippex"))
    FakeSender.sent = Counter()
    deliveries = drive(
        Plan([s], duplicates=0), "http://127.0.0.1:1/webhooks", 0.05, 2, retry=Retry(0.01), sender=FakeSender
    )
    assert deliveries
    assert {(d.status, d.answer, d.throttled) for d in deliveries} == {(200, "accepted", 1)}
    assert set(FakeSender.sent.values()) == {2}  # each sent twice: the 503, then the accepted retry
    assert all(d.event.first_finished == d.finished for d in deliveries)


def test_without_retry_a_503_is_the_deliverys_answer() -> None:
    s = source(providers.load("zippex"), "load-x-1", fresh_secret("zippex"))
    FakeSender.sent = Counter()
    deliveries = drive(Plan([s], duplicates=0), "http://127.0.0.1:1/webhooks", 0.05, 2, sender=FakeSender)
    assert {(d.status, d.throttled) for d in deliveries} == {(503, 0)}
    assert set(FakeSender.sent.values()) == {1}
