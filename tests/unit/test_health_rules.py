from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hookbridge.aws.rejections import RejectionCounter
from hookbridge.health.checker import Signals, evaluate, is_published_change
from hookbridge.subscription import Health, Subscription

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
RECENT = NOW - timedelta(minutes=5)
# Made long ago, and checked a minute before RECENT's event: rejections are counted since that check.
SUB = Subscription(
    provider="zippex",
    subscription="prod",
    quiet_period_seconds=3600,
    created_at=(NOW - timedelta(days=30)).isoformat(),
    health=Health(status="healthy", checked_at=(RECENT - timedelta(minutes=1)).isoformat(timespec="seconds")),
)


@pytest.mark.parametrize(
    ("signals", "status"),
    [
        (Signals(last_event_at=RECENT), "healthy"),
        (Signals(last_event_at=NOW - timedelta(hours=2)), "silent"),
        (Signals(last_event_at=None), "silent"),
        (Signals(last_event_at=NOW - timedelta(minutes=30), rejected=5), "degraded"),
        (Signals(last_event_at=NOW - timedelta(minutes=30), rejected=4), "healthy"),
        # Events accepted since the last check: rejections are said, and change no status.
        (Signals(last_event_at=RECENT, rejected=500), "healthy"),
        (Signals(last_event_at=RECENT, provider_failure_rate=0.25), "degraded"),
        (Signals(last_event_at=RECENT, dead_letters={"message-1"}), "degraded"),
        (Signals(last_event_at=RECENT, unattributed=1), "degraded"),
        (Signals(last_event_at=RECENT, probe_failures=["x"]), "unknown"),
        # Precedence: disabled > silent > degraded > unknown (a failed probe hides nothing).
        (Signals(last_event_at=None, rejected=9, probe_failures=["x"], provider_disabled=True), "disabled"),
        (Signals(last_event_at=None, rejected=9, probe_failures=["x"]), "silent"),
        (Signals(last_event_at=None, rejected=9), "silent"),
        # The events table could not be read: silence is not known, so it is not claimed.
        (Signals(last_event_known=False, probe_failures=["events table query failed: X"]), "unknown"),
        (Signals(last_event_known=False, rejected=9, probe_failures=["table"]), "degraded"),
    ],
)
def test_status_rules(signals: Signals, status: str) -> None:
    assert evaluate(SUB, signals, NOW)[0] == status


# Each status alone, as the signals that make it (and only it) apply, with a word of its reason.
ALONE: dict[str, tuple[dict[str, Any], str]] = {
    "disabled": ({"provider_disabled": True}, "disabled or gone"),
    "silent": ({"last_event_at": NOW - timedelta(days=3)}, "normal quiet period"),
    "degraded": ({"provider_failure_rate": 0.5}, "50% of the provider's recent deliveries failed"),
    "unknown": ({"probe_failures": ["provider API: HTTP 401"]}, "HTTP 401"),
}
URGENCY = ["disabled", "silent", "degraded", "unknown"]


@pytest.mark.parametrize(
    ("worse", "better"),
    [(URGENCY[i], URGENCY[j]) for i in range(len(URGENCY)) for j in range(i + 1, len(URGENCY))],
)
def test_the_most_urgent_status_wins_and_every_reason_is_kept(worse: str, better: str) -> None:
    """Issue 22: for each pair of statuses that apply at once, the more urgent wins and the other's reason
    is still listed after it; a failed probe is a reason beside any other status, unknown only alone."""
    signals = {**ALONE[better][0], **ALONE[worse][0]}
    if "silent" not in (worse, better):
        signals["last_event_at"] = RECENT
    status, reasons = evaluate(SUB, Signals(**signals), NOW)
    assert status == worse
    worse_at = next(i for i, r in enumerate(reasons) if ALONE[worse][1] in r)
    better_at = next(i for i, r in enumerate(reasons) if ALONE[better][1] in r)
    assert worse_at < better_at, reasons


@pytest.mark.parametrize("status", URGENCY)
def test_each_status_alone(status: str) -> None:
    signals = {"last_event_at": RECENT, **ALONE[status][0]}
    found, reasons = evaluate(SUB, Signals(**signals), NOW)
    assert found == status
    assert any(ALONE[status][1] in r for r in reasons)


class FakeTable:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.updates: list[tuple[str, int]] = []

    def update_item(self, **kwargs: Any) -> None:
        if self.fail:
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")
        self.updates.append(
            (kwargs["Key"]["subscription"]["S"], int(kwargs["ExpressionAttributeValues"][":n"]["N"]))
        )


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def rejected(counter: RejectionCounter, subscription: str = "prod") -> None:
    """One refused invocation, as the ingest handler makes it: counted, then written if due at its end."""
    counter.record("zippex", subscription)
    counter.flush_if_due()


def test_a_flood_costs_at_most_one_write_per_subscription_per_interval() -> None:
    table, clock = FakeTable(), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    for i in range(10_000):
        clock.now = i * 0.01  # 10,000 forged requests over 100 s
        rejected(counter)
    assert [n for _, n in table.updates] == [1, 6000]  # at 0 s (the first) and at 60 s
    clock.now = 120
    counter.flush_if_due()  # the next invocation after the interval, of any kind
    assert sum(n for _, n in table.updates) == 10_000  # nothing counted is lost
    assert len(table.updates) == 3


def test_a_burst_is_written_when_its_interval_is_due_not_when_the_next_rejection_comes() -> None:
    """Issue 29: 20 forged requests were counted 2, the rest waiting for a rejection 60 s later."""
    table, clock = FakeTable(), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    for i in range(20):
        clock.now = i * 0.1
        rejected(counter)
    assert table.updates == [("prod", 1)]  # the first after a quiet interval, at the end of its invocation
    clock.now = 60
    counter.flush_if_due()  # an accepted webhook's invocation, a minute on: no rejection needed
    assert table.updates == [("prod", 1), ("prod", 19)]
    counter.flush_if_due()
    assert len(table.updates) == 2  # nothing pending: no write


def test_one_write_per_subscription_per_interval_and_nothing_while_nothing_is_pending() -> None:
    table, clock = FakeTable(), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    for _ in range(100):
        counter.flush_if_due()  # accepted webhooks: no rejection, no write
    assert table.updates == []
    for i in range(300):
        clock.now = i * 0.1
        rejected(counter, ("a", "b", "c")[i % 3])
    clock.now = 61
    counter.flush_if_due()
    assert sorted(table.updates) == [("a", 1), ("a", 99), ("b", 100), ("c", 100)]


def test_a_failed_flush_keeps_its_counts() -> None:
    table, clock = FakeTable(fail=True), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    rejected(counter)  # the write fails, and must not raise
    table.fail = False
    clock.now = 61
    rejected(counter)
    assert table.updates == [("prod", 2)]


# --- new: a subscription made less than its quiet period ago that has stored nothing yet (issue 29)


def made(ago: timedelta, **fields: Any) -> Subscription:
    return Subscription(
        provider="zippex",
        subscription="prod",
        quiet_period_seconds=3600,
        created_at=(NOW - ago).isoformat(timespec="seconds"),
        **fields,
    )


def test_a_subscription_made_seconds_ago_is_new_not_silent() -> None:
    """Issue 29: seconds after `hookbridge subscriptions create`, every subscription was called silent."""
    status, reasons = evaluate(made(timedelta(seconds=5)), Signals(last_event_at=None), NOW)
    assert status == "new"
    assert reasons == [
        "made 2026-03-10T14:59:55Z, no event yet; silent if none by 2026-03-10T15:59:55Z "
        "(normal quiet period is 3600 s)"
    ]


def test_a_new_subscription_turns_silent_once_its_quiet_period_since_it_was_made_is_over() -> None:
    assert evaluate(made(timedelta(seconds=3600)), Signals(last_event_at=None), NOW)[0] == "new"
    status, reasons = evaluate(made(timedelta(seconds=3601)), Signals(last_event_at=None), NOW)
    assert status == "silent"
    assert reasons == [
        "no event stored since it was made 2026-03-10T13:59:59Z; normal quiet period is 3600 s"
    ]


def test_new_only_until_its_first_event() -> None:
    assert evaluate(made(timedelta(minutes=5)), Signals(last_event_at=NOW - timedelta(minutes=1)), NOW)[
        0
    ] == ("healthy")


def test_a_record_without_created_at_is_not_new() -> None:
    """A record written without created_at (by hand, another tool) has no known age: silence is claimed as
    before, never hidden behind new on every check."""
    record = Subscription(provider="zippex", subscription="prod", quiet_period_seconds=3600, created_at=None)
    status, reasons = evaluate(record, Signals(last_event_at=None), NOW)
    assert (status, reasons) == ("silent", ["no event stored; normal quiet period is 3600 s"])
    garbled = record.model_copy(update={"created_at": "yesterday"})
    assert evaluate(garbled, Signals(last_event_at=None), NOW)[0] == "silent"


@pytest.mark.parametrize(
    ("signals", "status"),
    [
        # new sits between unknown and healthy: anything wrong wins, and new's reason is kept after it.
        (Signals(provider_disabled=True), "disabled"),
        (Signals(rejected=5), "degraded"),
        (Signals(dead_letters={"message-1"}), "degraded"),
        (Signals(probe_failures=["provider API: HTTP 401"]), "unknown"),
        (Signals(), "new"),
        # The events table could not be read: neither new nor silent is known.
        (Signals(last_event_known=False, probe_failures=["events table query failed: X"]), "unknown"),
    ],
)
def test_new_in_the_order_of_urgency(signals: Signals, status: str) -> None:
    found, reasons = evaluate(made(timedelta(minutes=5)), signals, NOW)
    assert found == status
    if signals.last_event_known:
        assert "no event yet" in reasons[-1]


@pytest.mark.parametrize(
    ("previous", "status", "published"),
    [
        (None, "new", False),  # made just now: nothing to act on
        ("new", "new", False),
        ("new", "healthy", True),  # its first event came
        ("new", "silent", True),  # none came within its quiet period
        ("new", "degraded", True),
        ("healthy", "healthy", False),
        (None, "healthy", True),
        ("healthy", "silent", True),
    ],
)
def test_entering_new_is_not_published_leaving_it_is(
    previous: str | None, status: str, published: bool
) -> None:
    assert is_published_change(previous, status) is published


# --- rejections: what forged requests alone can do to a status (issue 29)


def test_rejections_without_an_accepted_event_degrade_and_say_forgeries_could_be_why() -> None:
    status, reasons = evaluate(SUB, Signals(last_event_at=NOW - timedelta(minutes=30), rejected=5), NOW)
    assert status == "degraded"
    assert reasons == [
        "5 requests rejected since the last check (bad signature or stale timestamp) and no event accepted: "
        "a wrong or rotated secret at the sender, or forged requests from anyone who knows the URL"
    ]


def test_rejections_beside_accepted_events_are_said_and_change_nothing() -> None:
    """Issue 29: five forged requests to a known URL turned any subscription degraded. While genuine events
    keep arriving the sender's secret works: the rejections are a note, never a status an outsider sets."""
    status, reasons = evaluate(SUB, Signals(last_event_at=RECENT, rejected=20), NOW)
    assert status == "healthy"
    assert reasons == [
        "20 requests rejected since the last check (bad signature or stale timestamp) while events were "
        "accepted: likely forged requests from anyone who knows the URL (or a sender still signing some "
        "deliveries with an old secret)"
    ]
    first_check = SUB.model_copy(update={"health": None})  # counted since ever: any stored event counts
    assert evaluate(first_check, Signals(last_event_at=NOW - timedelta(minutes=30), rejected=20), NOW)[0] == (
        "healthy"
    )


def test_every_reason_rejections_give_names_forged_requests() -> None:
    for last in (None, NOW - timedelta(minutes=30), RECENT):
        for subscription in (SUB, made(timedelta(minutes=5))):
            _, reasons = evaluate(subscription, Signals(last_event_at=last, rejected=9), NOW)
            [said] = [r for r in reasons if "rejected" in r]
            assert "forged requests from anyone who knows the URL" in said
