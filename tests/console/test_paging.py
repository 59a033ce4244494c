"""The console's event list over the by-subscription index (stored.newest), against moto: newest first across
days and shards, ties in one millisecond ordered by key, a cursor that never repeats or skips an event, the
type filter and the time window; and a page reads only what it shows, whatever the number of events."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hookbridge_cli import stored
from hookbridge_cli.target import Target
from hookbridge_cli.template import create_table
from moto import mock_aws

SHARDS = 8
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TYPES = ("delivery.created", "delivery.delivered", "delivery.failed")


def index_item(n: int, received: datetime, subscription: str = "demo") -> dict[str, Any]:
    at = received.strftime("%Y-%m-%dT%H:%M:%S.") + f"{received.microsecond // 1000:03d}Z"
    return {
        "pk": {"S": f"zippex#{subscription}#id#evt_{n:05d}"},
        "id": {"S": f"id{n:05d}"},
        "event_type": {"S": TYPES[n % 3]},
        "received_at": {"S": at},
        "by_day": {"S": f"zippex#{subscription}#{at[:10]}#{random.Random(n).randrange(SHARDS)}"},
    }


@pytest.fixture
def target() -> Iterator[Target]:
    with mock_aws():
        t = Target(
            "hb", "events", "subscriptions", "bus", "dlq", "http://x/webhooks", None, SHARDS, False, ()
        )
        create_table(t.client("dynamodb"), "EventsTable", "events")
        yield t


def store(t: Target, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
        t.client("dynamodb").batch_write_item(RequestItems={"events": batch})


def order(item: dict[str, Any]) -> tuple[str, str]:
    return item["received_at"]["S"], item["pk"]["S"]


def walk(t: Target, limit: int, **filters: Any) -> list[str]:
    """Every page from the newest, following the cursor: the keys in the order shown."""
    shown: list[str] = []
    since, until = filters.pop("since", NOW - timedelta(days=7)), filters.pop("until", NOW)
    before = None
    while True:
        page, before = stored.newest(t, "zippex", "demo", since, until, limit, before=before, **filters)
        assert len(page) <= limit
        shown += [i["pk"]["S"] for i in page]
        if before is None:
            return shown


def test_pages_are_newest_first_across_days_and_shards_each_event_once(target: Target) -> None:
    # Three days of events, some pairs received in the same millisecond (in different shards or the same),
    # and another subscription's events beside them.
    times = [NOW - timedelta(minutes=29 * n) for n in range(130)]
    times += times[::10]  # ties
    items = [index_item(n, when) for n, when in enumerate(times)]
    store(target, items + [index_item(n, NOW, "other") for n in range(5)])
    expected = [i["pk"]["S"] for i in sorted(items, key=order, reverse=True)]
    for limit in (4, 50, 500):
        assert walk(target, limit) == expected, limit
    of_type = [
        i["pk"]["S"] for i in sorted(items, key=order, reverse=True) if i["event_type"]["S"] == TYPES[1]
    ]
    assert walk(target, 9, event_type=TYPES[1]) == of_type
    since, until = NOW - timedelta(days=1, hours=3), NOW - timedelta(hours=5)
    windowed = [
        i["pk"]["S"]
        for i in sorted(items, key=order, reverse=True)
        if since <= datetime.fromisoformat(i["received_at"]["S"]) <= until
    ]
    assert walk(target, 11, since=since, until=until) == windowed
    assert windowed


def test_a_page_reads_one_query_per_shard_of_the_days_it_needs(target: Target) -> None:
    items = [index_item(n, NOW - timedelta(seconds=30 * n)) for n in range(2_000)]  # today and yesterday
    store(target, items)
    queries: list[dict[str, Any]] = []
    target.client("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params)
    )
    page, cursor = stored.newest(target, "zippex", "demo", NOW - timedelta(days=7), NOW, 50)
    assert [i["pk"]["S"] for i in page] == [i["pk"]["S"] for i in items[:50]]
    assert cursor is not None
    # Today's eight shards, each asked for no more than the page and two: not the other day, not the rest.
    assert len(queries) == SHARDS
    assert {q["ExpressionAttributeValues"][":d"]["S"].rsplit("#", 1)[0] for q in queries} == {
        f"zippex#demo#{NOW.date().isoformat()}"
    }
    assert {q["Limit"] for q in queries} == {52}
