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
        # Precedence: disabled > unknown > silent > degraded.
        (Signals(last_event_at=None, rejected=9, probe_failures=["x"], provider_disabled=True), "disabled"),
        (Signals(last_event_at=None, rejected=9, probe_failures=["x"]), "unknown"),
        (Signals(last_event_at=None, rejected=9), "silent"),
    ],
)
def test_status_rules(signals: Signals, status: str) -> None:
    assert evaluate(SUB, signals, NOW)[0] == status


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
