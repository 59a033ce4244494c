"""Stored events as the command line reads them: by subscription and time through the table's
by-subscription index, one by its key or by the id that `send`, `events list` and the bus show, and its
body wherever it is kept (the item, or the payload bucket for large bodies)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
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
    first."""
    for found in in_range(t, provider, subscription, since, until, newest_first=True):
        # A batch element's bus id is its stored webhook's id, "-", and its index.
        if (
            event_id in (found["id"]["S"], found["pk"]["S"])
            or event_id.rpartition("-")[0] == found["id"]["S"]
        ):
            return str(found["pk"]["S"])
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
