"""Stored events as the command line reads them: by subscription and time through the table's
by-subscription index, one by its key or by the id that `send`, `events list` and the bus show, and its
body wherever it is kept (the item, or the payload bucket for large bodies)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import Envelope, build_envelopes, with_elements
from hookbridge_cli.errors import Refused
from hookbridge_cli.records import require_subscription
from hookbridge_cli.target import Target


def in_range(
    t: Target, provider: str, subscription: str, since: datetime, until: datetime, newest_first: bool = False
) -> Iterator[dict[str, Any]]:
    """Index items (a projection: key, id, type, times) of a subscription's events in [since, until]."""
    dynamodb = t.client("dynamodb")
    start, end = since.strftime("%Y-%m-%dT%H:%M:%S.000Z"), until.strftime("%Y-%m-%dT%H:%M:%S.999Z")
    days = [since.date() + timedelta(days=n) for n in range((until.date() - since.date()).days + 1)]
    for day in reversed(days) if newest_first else days:
        for shard in range(t.index_shards):
            pages = dynamodb.get_paginator("query").paginate(
                TableName=t.events_table,
                IndexName="by_subscription",
                KeyConditionExpression="by_day = :d AND received_at BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":d": {"S": f"{provider}#{subscription}#{day.isoformat()}#{shard}"},
                    ":a": {"S": start},
                    ":b": {"S": end},
                },
                ScanIndexForward=not newest_first,
            )
            for page in pages:
                yield from page.get("Items", [])


def newest(
    t: Target,
    provider: str,
    subscription: str,
    since: datetime,
    until: datetime,
    limit: int,
    event_type: str | None = None,
    before: tuple[str, str] | None = None,
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """One page of a subscription's index items in [since, until], newest first (received_at, then key),
    optionally of one event type: at most ``limit`` items strictly older than ``before`` (the received_at and
    key of the last item of the page before), and the cursor of the next page (None: no more). Each day is
    read only while the page is not full; in a day, the shards are merged reading each only as far as the
    page needs (``_DayShards``)."""
    start, end = _stamp(since, ".000Z"), _stamp(until, ".999Z")
    if before is not None:
        end = min(end, before[0])
    found: list[dict[str, Any]] = []
    day = datetime.fromisoformat(end.replace("Z", "+00:00")).date()
    # The shards of a day are read at once: a round takes about one query's time, not one per shard.
    with ThreadPoolExecutor(max_workers=t.index_shards) as pool:
        while day >= since.date() and len(found) <= limit:
            shards = _DayShards(
                t, f"{provider}#{subscription}#{day.isoformat()}", (start, end), event_type, before
            )
            found += shards.newest(limit + 1 - len(found), pool)
            day -= timedelta(days=1)
    page = found[:limit]
    return page, (_order(page[-1]) if len(found) > limit else None)


class _DayShards:
    """A day's index shards merged newest first, each read only as far as the page needs: every shard is
    first asked for its share of the page and two (so a page of 50 over 8 shards reads about 80 items, not
    8 x 52), then only the shards that may still hold an item of the page are asked for more. A shard may
    hold one while it is not exhausted and its oldest item read is no older than the page's last item (the
    same millisecond too: a shard returns those in no order of key, and the merge orders them by it)."""

    def __init__(
        self,
        t: Target,
        partition: str,
        window: tuple[str, str],
        event_type: str | None,
        before: tuple[str, str] | None,
    ) -> None:
        self._t, self._partition, self._window = t, partition, window
        self._event_type, self._before = event_type, before
        shards = t.index_shards
        self._items: list[list[dict[str, Any]]] = [[] for _ in range(shards)]
        self._next: list[dict[str, Any] | None] = [None] * shards  # each shard's LastEvaluatedKey
        self._done = [False] * shards

    def newest(self, wanted: int, pool: ThreadPoolExecutor) -> list[dict[str, Any]]:
        """The day's items newest first, the first ``wanted`` of them exact."""
        size = -(-wanted // len(self._items)) + 2
        if self._event_type is not None:  # a filter applies after the read: a type may be few in many
            size *= 4
        pending = list(range(len(self._items)))
        while pending:
            list(pool.map(self._read, pending, [size] * len(pending)))
            if self._event_type is not None:  # a rare type: each round reads four times the last
                size = min(size * 4, 1000)
            merged = sorted((i for items in self._items for i in items), key=_order, reverse=True)
            last = merged[wanted - 1]["received_at"]["S"] if len(merged) >= wanted else None
            pending = [
                shard
                for shard, items in enumerate(self._items)
                if not self._done[shard]
                and (last is None or not items or items[-1]["received_at"]["S"] >= last)
            ]
        return merged

    def _read(self, shard: int, size: int) -> None:
        query: dict[str, Any] = {
            "TableName": self._t.events_table,
            "IndexName": "by_subscription",
            "KeyConditionExpression": "by_day = :d AND received_at BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":d": {"S": f"{self._partition}#{shard}"},
                ":a": {"S": self._window[0]},
                ":b": {"S": self._window[1]},
            },
            "ScanIndexForward": False,
            "Limit": size,
        }
        if self._event_type is not None:
            query["FilterExpression"] = "event_type = :t"
            query["ExpressionAttributeValues"][":t"] = {"S": self._event_type}
        if self._next[shard] is not None:
            query["ExclusiveStartKey"] = self._next[shard]
        answer = self._t.client("dynamodb").query(**query)
        before = self._before
        self._items[shard] += [i for i in answer.get("Items", []) if before is None or _order(i) < before]
        self._next[shard] = answer.get("LastEvaluatedKey")
        self._done[shard] = self._next[shard] is None


def _stamp(when: datetime, whole_second: str) -> str:
    """received_at's form of a time: to the millisecond given, else the start or end of its second."""
    ms = f".{when.microsecond // 1000:03d}Z" if when.microsecond else whole_second
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + ms


def _order(index_item: dict[str, Any]) -> tuple[str, str]:
    return index_item["received_at"]["S"], index_item["pk"]["S"]


def item(t: Target, key: str) -> dict[str, Any]:
    found: dict[str, Any] | None = (
        t.client("dynamodb").get_item(TableName=t.events_table, Key={"pk": {"S": key}}).get("Item")
    )
    if found is None:
        raise Refused(
            f"no event with key {key}", "find it with `hookbridge events list PROVIDER SUBSCRIPTION`"
        )
    return found


def find_by_id(
    t: Target, provider: str, subscription: str, event_id: str, since: datetime, until: datetime
) -> str:
    """The key of the event with this id (its `metadata.id`), searching the subscription's days newest
    first, a day's shards at once. The index answers only the matching items (a filter on id and key): a
    read still covers the day, but nothing else is sent back, which is what the time goes on."""
    # A batch element's bus id is its stored webhook's id, "-", and its index.
    values = {":id": {"S": event_id}, ":base": {"S": event_id.rpartition("-")[0] or event_id}}
    window = (_stamp(since, ".000Z"), _stamp(until, ".999Z"))
    days = [since.date() + timedelta(days=n) for n in range((until.date() - since.date()).days + 1)]
    with ThreadPoolExecutor(max_workers=t.index_shards) as pool:
        for day in reversed(days):
            partition = f"{provider}#{subscription}#{day.isoformat()}"

            def matching(shard: int, partition: str = partition) -> list[dict[str, Any]]:
                pages = (
                    t.client("dynamodb")
                    .get_paginator("query")
                    .paginate(
                        TableName=t.events_table,
                        IndexName="by_subscription",
                        KeyConditionExpression="by_day = :d AND received_at BETWEEN :a AND :b",
                        FilterExpression="id = :id OR pk = :id OR id = :base",
                        ExpressionAttributeValues={
                            ":d": {"S": f"{partition}#{shard}"},
                            ":a": {"S": window[0]},
                            ":b": {"S": window[1]},
                            **values,
                        },
                        ScanIndexForward=False,
                    )
                )
                return [i for page in pages for i in page.get("Items", [])]

            found = sorted(
                (i for items in pool.map(matching, range(t.index_shards)) for i in items),
                key=_order,
                reverse=True,
            )
            if found:
                return str(found[0]["pk"]["S"])
    require_subscription(t, provider, subscription)
    raise Refused(
        f"no event {event_id} for {provider}/{subscription} since {since:%Y-%m-%d}",
        "check the id with `hookbridge events list`, or widen --since",
    )


def envelopes(t: Target, key: str, stored: dict[str, Any]) -> list[Envelope]:
    """A stored event as the publisher puts it on the bus (large payloads as their payload_ref; a batch as
    one event per element)."""
    event = StoredEvent.from_stream_image(stored)
    if event.elements_s3_key is not None:  # a batch whose elements are beside its body
        event = with_elements(event, lambda name: _object(t, name))
    return build_envelopes(
        key,
        event,
        prefix=t.prefix,
        bus=t.bus,
        table=t.events_table,
        payload_bucket=t.payload_bucket,
    )


def body(t: Target, stored: dict[str, Any]) -> bytes:
    """The body exactly as received, wherever it is kept."""
    event = StoredEvent.from_stream_image(stored)
    if event.payload_s3_key is None:
        return event.payload
    return _object(t, event.payload_s3_key)


def _object(t: Target, key: str) -> bytes:
    """An object of the payload bucket: a large body, or a large batch's elements."""
    if t.payload_bucket is None:
        raise Refused("the event's body is in the payload bucket, but the stack names none", "check --stack")
    answer = t.client("s3").get_object(Bucket=t.payload_bucket, Key=key)
    data: bytes = answer["Body"].read()
    return data


def shown(t: Target, key: str, stored: dict[str, Any]) -> dict[str, Any]:
    """What `events show` prints: the bus event's detail with `data` always the payload itself."""
    detail = json.loads(envelopes(t, key, stored)[0].entry["Detail"])
    raw = body(t, stored)
    try:
        detail["data"] = json.loads(raw)
    except ValueError:
        try:
            detail["data"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            detail["data"], detail["data_base64"] = None, base64.b64encode(raw).decode()
    return {"key": key, **detail}
