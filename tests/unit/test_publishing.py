from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import (
    MAX_REQUEST_BYTES,
    Envelope,
    Publisher,
    build_envelope,
    chunks,
    entry_size,
)

EVENT = StoredEvent(
    key="zippex#prod#id#evt_1",
    id="abc",
    provider="zippex",
    subscription="prod",
    dedupe_key="zippex#prod#id#evt_1",
    event_type="delivery.created",
    recognized=True,
    is_json=True,
    received_at="2026-03-10T14:45:01.123Z",
    verified_by="hmac-sha256",
    payload=b'{"id": "evt_1",  "type": "delivery.created", "n": 1.50}',
    payload_sha256="f" * 64,
    expires_at=1,
    dedupe_until=1,
    by_day="zippex#prod#2026-03-10#0",
    event_id="evt_1",
)


def envelope(event: StoredEvent = EVENT, record: str = "1") -> Envelope:
    return build_envelope(record, event, prefix="hookbridge", bus="bus", table="events")


def test_envelope_splices_the_provider_json_byte_for_byte() -> None:
    detail = envelope().entry["Detail"]
    assert detail.endswith(',"data":' + EVENT.payload.decode() + "}")
    assert json.loads(detail)["data"] == {"id": "evt_1", "type": "delivery.created", "n": 1.5}


def test_entry_size_follows_eventbridge_formula() -> None:
    e = envelope()
    assert e.size == 14 + len("hookbridge.zippex") + len("delivery.created") + len(e.entry["Detail"].encode())
    assert entry_size("a", "é", "{}") == 14 + 1 + 2 + 2


def test_oversized_payload_becomes_a_reference() -> None:
    big = replace(EVENT, payload=b'{"x": "' + b"y" * MAX_REQUEST_BYTES + b'"}')
    e = envelope(big)
    detail = json.loads(e.entry["Detail"])
    assert detail["data"] is None
    assert detail["metadata"]["payload_ref"] == {
        "store": "dynamodb",
        "table": "events",
        "key": {"pk": big.key},
    }
    assert e.size < 2048


def test_chunks_hold_ten_entries_and_fit_one_request() -> None:
    small = [envelope(record=str(i)) for i in range(25)]
    assert [len(c) for c in chunks(small)] == [10, 10, 5]
    heavy_event = replace(EVENT, payload=b'{"x": "' + b"y" * 100_000 + b'"}')
    heavy = [envelope(heavy_event, str(i)) for i in range(5)]
    sizes = [sum(e.size for e in c) for c in chunks(heavy)]
    assert all(s <= MAX_REQUEST_BYTES for s in sizes)
    assert [len(c) for c in chunks(heavy)] == [2, 2, 1]


class FakeEvents:
    """PutEvents that fails the entries whose record ids are listed, for as many calls as asked."""

    def __init__(self, fail: dict[str, int]) -> None:
        self.fail = fail
        self.calls: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [json.loads(e["Detail"])["metadata"]["id"] for e in Entries]
        self.calls.append(ids)
        results = []
        for record in ids:
            if self.fail.get(record, 0) > 0:
                self.fail[record] -= 1
                results.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
            else:
                results.append({"EventId": "e"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def envelopes(n: int) -> list[Envelope]:
    return [envelope(replace(EVENT, id=str(i)), record=f"seq{i}") for i in range(n)]


def test_a_transient_entry_failure_is_retried_in_process_without_republishing_the_rest() -> None:
    client = FakeEvents({"3": 2})
    failed = Publisher(client, sleep=lambda _: None).publish(envelopes(5))  # type: ignore[arg-type]
    assert failed == []
    assert client.calls == [["0", "1", "2", "3", "4"], ["3"], ["3"]]


def test_a_lasting_failure_reports_that_record_and_stops() -> None:
    client = FakeEvents({"3": 99})
    failed = Publisher(client, sleep=lambda _: None).publish(envelopes(15))  # type: ignore[arg-type]
    # seq3 failed for good; seq10..14 were never sent (Lambda retries the stream from seq3).
    assert failed == ["seq3", *(f"seq{i}" for i in range(10, 15))]
    assert len(client.calls) == 3


@pytest.mark.parametrize("n", [0, 1, 10, 11])
def test_all_published(n: int) -> None:
    client = FakeEvents({})
    assert Publisher(client).publish(envelopes(n)) == []  # type: ignore[arg-type]
    assert sum(len(c) for c in client.calls) == n
