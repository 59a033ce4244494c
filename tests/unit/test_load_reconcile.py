"""The load run's reconciliation, on deliveries and observations made up to each case (the command runs
against a real `hookbridge dev` in tests/cli/test_load.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from hookbridge_cli.local.traffic import Delivery, Event, Observed, Plan, fresh_secret, reconcile, source

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
