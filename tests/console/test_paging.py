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


def test_a_page_reads_about_what_it_shows_from_the_days_it_needs(target: Target) -> None:
    """Each shard is asked for its share of the page first, and only a shard that may still hold one of the
    page's items is asked for more: a page of 50 over eight shards reads about 80 items, where asking every
    shard for the whole page read 8 x 52 (moto's time, and DynamoDB's read units, go by the items read)."""
    items = [index_item(n, NOW - timedelta(seconds=30 * n)) for n in range(2_000)]  # today and yesterday
    store(target, items)
    queries: list[dict[str, Any]] = []
    read: list[int] = []
    client = target.client("dynamodb")
    client.meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params)
    )
    client.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: read.append(parsed["Count"]))
    page, cursor = stored.newest(target, "zippex", "demo", NOW - timedelta(days=7), NOW, 50)
    assert [i["pk"]["S"] for i in page] == [i["pk"]["S"] for i in items[:50]]
    assert cursor is not None
    # Today's eight shards only, each first asked for its share of the page and two (ceil(51 / 8) + 2).
    assert {q["ExpressionAttributeValues"][":d"]["S"].rsplit("#", 1)[0] for q in queries} == {
        f"zippex#demo#{NOW.date().isoformat()}"
    }
    assert sorted(q["Limit"] for q in queries[:SHARDS]) == [9] * SHARDS
    assert sum(read) <= 2 * 52, read


@pytest.mark.parametrize("shards_used", [1, 2, 8])
def test_a_page_is_exact_however_the_events_fall_in_the_shards(target: Target, shards_used: int) -> None:
    """Skewed shards (every event in one of them, or two) need more rounds, never another answer."""
    items = [index_item(n, NOW - timedelta(seconds=7 * (n // 3))) for n in range(150)]  # triples in one ms
    for n, item in enumerate(items):
        item["by_day"]["S"] = item["by_day"]["S"].rsplit("#", 1)[0] + f"#{n % shards_used}"
    store(target, items)
    expected = [i["pk"]["S"] for i in sorted(items, key=order, reverse=True)]
    for limit in (4, 50):
        assert walk(target, limit) == expected, limit


def test_find_by_id_finds_by_id_key_or_element_id_and_asks_only_for_matches(target: Target) -> None:
    """Found by its id, its key, or a batch element's bus id (the id, "-", the index), on any day of the
    window; the index is asked to answer only the matching items, not the day's every item."""
    items = [index_item(n, NOW - timedelta(minutes=17 * n)) for n in range(300)]  # three days
    store(target, items)
    answered: list[int] = []
    client = target.client("dynamodb")
    client.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: answered.append(parsed["Count"])
    )
    since = NOW - timedelta(days=7)
    for wanted, key in (
        ("id00250", "zippex#demo#id#evt_00250"),
        ("zippex#demo#id#evt_00003", None),
        ("id00120-2", "zippex#demo#id#evt_00120"),
    ):
        assert stored.find_by_id(target, "zippex", "demo", wanted, since, NOW) == (key or wanted)
    assert max(answered) <= 1
