"""The events table's item: as small as it can be (write units are per KB), and every reader gets back exactly
what was accepted, from the current form, from a Lambda stream record, and from items stored before it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import zlib
from typing import Any

import pytest

from bench.fakes import item_size
from hookbridge.model import StoredEvent
from tests.support.stored import stored_event

BODY = json.dumps(
    {
        "id": "evt_q1w2e3r4",
        "type": "delivery.delivered",
        "created": 1773153900,
        "data": {"id": "del_m8n9o0p1", "status": "delivered", "address": {"city": "Rotterdam"}},
    }
).encode()


def stored(**changes: Any) -> StoredEvent:
    body = changes.pop("payload", BODY)
    event = stored_event(
        id="9f0c2d6e4b1a4c7e8d3f5a6b7c8d9e0f",
        event_type="delivery.delivered",
        payload=body,
        expires_at=1775745901,
        dedupe_until=1775745901,
        event_id="evt_q1w2e3r4",
        occurred_at="2026-03-10T14:45:00Z",
        subject="del_m8n9o0p1",
    )
    return dataclasses.replace(event, **changes)


def as_stream_image(item: dict[str, Any]) -> dict[str, Any]:
    """What Lambda hands the publisher: the item with binary values base64-encoded."""
    return {
        name: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
        for name, value in item.items()
    }


def test_the_item_carries_nothing_the_key_or_a_default_already_says() -> None:
    item = stored().to_item()
    assert not {"provider", "subscription", "dedupe_key", "recognized", "is_json"} & item.keys()
    assert item["payload_sha256"] == {"B": hashlib.sha256(BODY).digest()}  # 32 bytes, not 64 hex chars
    assert "payload" not in item
    assert zlib.decompress(item["payload_deflate"]["B"], -15) == BODY  # raw DEFLATE, as documented


@pytest.mark.parametrize(
    "event",
    [
        stored(),
        stored(recognized=False, event_type="unrecognized", event_id=None, occurred_at=None, subject=None),
        stored(is_json=False, payload=b"status=delivered&id=del_1"),
        stored(payload=os.urandom(300)),  # incompressible: kept as it came
        stored(payload=b""),
        stored(key="zippex#prod#id#evt_q1w2e3r4#2"),  # a later generation keeps its dedupe key
        stored(payload=b"", payload_s3_key="zippex/prod/2026/03/10/abc"),
        stored(extra={"zonos_mode": "live"}),
    ],
    ids=["typical", "unrecognized", "not-json", "incompressible", "empty", "generation", "in-s3", "extra"],
)
def test_every_reader_gets_back_exactly_what_was_stored(event: StoredEvent) -> None:
    item = event.to_item()
    assert StoredEvent.from_stream_image(item) == event
    assert StoredEvent.from_stream_image(as_stream_image(item)) == event


def test_an_incompressible_body_is_stored_as_it_came() -> None:
    body = os.urandom(300)
    item = stored(payload=body).to_item()
    assert item["payload"] == {"B": body}
    assert "payload_deflate" not in item


def test_items_stored_before_the_compact_form_read_the_same() -> None:
    event = stored(dedupe_key="zippex#prod#id#evt_q1w2e3r4")
    earlier = {  # the item as ingest wrote it until 2026-11
        "pk": {"S": event.key},
        "id": {"S": event.id},
        "provider": {"S": "zippex"},
        "subscription": {"S": "prod"},
        "dedupe_key": {"S": event.dedupe_key},
        "event_type": {"S": event.event_type},
        "recognized": {"BOOL": True},
        "is_json": {"BOOL": True},
        "received_at": {"S": event.received_at},
        "verified_by": {"S": event.verified_by},
        "payload": {"B": BODY},
        "payload_sha256": {"S": event.payload_sha256},
        "expires_at": {"N": str(event.expires_at)},
        "dedupe_until": {"N": str(event.dedupe_until)},
        "by_day": {"S": event.by_day},
        "event_id": {"S": "evt_q1w2e3r4"},
        "occurred_at": {"S": "2026-03-10T14:45:00Z"},
        "subject": {"S": "del_m8n9o0p1"},
    }
    assert StoredEvent.from_stream_image(earlier) == event
    assert StoredEvent.from_stream_image(as_stream_image(earlier)) == event


def test_a_32_kb_json_body_is_stored_in_a_handful_of_write_units() -> None:
    """32 KB of the senders' own sample events (each with a distinct id, so not a repeated string) was
    33 write units stored as it came."""
    from tests.support.events import EVENTS

    samples = [
        json.loads(event["body"])
        for path in sorted(EVENTS.rglob("*.json"))
        if isinstance((event := json.loads(path.read_text())).get("body"), str) and event["body"][:1] == "{"
    ]
    document: dict[str, list[Any]] = {"events": []}
    while len(json.dumps(document)) < 32 * 1024:
        sample = samples[len(document["events"]) % len(samples)]
        document["events"].append(sample | {"id": os.urandom(8).hex()})
    body = json.dumps(document).encode()
    item = stored(payload=body).to_item()
    assert StoredEvent.from_stream_image(item).payload == body
    # 6 write units with the four providers' and four senders' samples; 9 with all twenty-two senders';
    # 12 with forty-three senders (more kinds of document, less that repeats).
    assert -(-item_size(item) // 1024) <= 13
