from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hookbridge.aws.rejections import RejectionCounter
from hookbridge.health.checker import Signals, evaluate
from hookbridge.subscription import Subscription

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SUB = Subscription(provider="zippex", subscription="prod", quiet_period_seconds=3600)
RECENT = NOW - timedelta(minutes=5)


@pytest.mark.parametrize(
    ("signals", "status"),
    [
        (Signals(last_event_at=RECENT), "healthy"),
        (Signals(last_event_at=NOW - timedelta(hours=2)), "silent"),
        (Signals(last_event_at=None), "silent"),
        (Signals(last_event_at=RECENT, rejected=5), "degraded"),
        (Signals(last_event_at=RECENT, rejected=4), "healthy"),
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
    "degraded": ({"rejected": 7}, "7 requests rejected"),
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


def test_a_flood_costs_at_most_one_write_per_subscription_per_interval() -> None:
    table, clock = FakeTable(), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    for i in range(10_000):
        clock.now = i * 0.01  # 10,000 forged requests over 100 s
        counter.record("zippex", "prod")
    assert len(table.updates) == 2  # at 0 s and at 60 s
    counter.flush()
    assert sum(n for _, n in table.updates) == 10_000  # nothing counted is lost


def test_a_failed_flush_keeps_its_counts() -> None:
    table, clock = FakeTable(fail=True), Clock()
    counter = RejectionCounter(table, "subs", flush_interval_seconds=60, clock=clock)  # type: ignore[arg-type]
    counter.record("zippex", "prod")  # flush fails, and must not raise
    table.fail = False
    clock.now = 61
    counter.record("zippex", "prod")
    assert table.updates == [("prod", 2)]
