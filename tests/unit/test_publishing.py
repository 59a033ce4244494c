from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from hookbridge.model import Element, StoredEvent
from hookbridge.publishing.publisher import (
    MAX_REQUEST_BYTES,
    Envelope,
    Publisher,
    build_envelope,
    build_envelopes,
    chunks,
    entry_size,
)
from tests.support.stored import stored_event

EVENT = stored_event(
    payload=b'{"id": "evt_1",  "type": "delivery.created", "n": 1.50}', payload_sha256="f" * 64
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


# ------------------------------------------------------------------------------ a batch's elements
BATCH = replace(
    EVENT,
    key="sendgrid#prod#sha256#b",
    id="batch",
    provider="sendgrid",
    payload=b'[{"event":"processed"},{"event":"delivered"},{"event":"open"}]',
    elements=tuple(
        Element((i,), t, True, f"sg{i}") for i, t in enumerate(["processed", "delivered", "open"])
    ),
)


class Progress:
    """The events table's UpdateItem of a batch's progress, in memory; ``works`` False: DynamoDB down."""

    def __init__(self, works: bool = True) -> None:
        self.works = works
        self.recorded: dict[str, frozenset[int]] = {}

    def record(self, key: str, published: frozenset[int]) -> bool:
        if self.works:
            self.recorded[key] = published
        return self.works


def batch_envelopes(event: StoredEvent = BATCH, record: str = "seq1") -> list[Envelope]:
    return build_envelopes(record, event, prefix="hookbridge", bus="bus", table="events")


def test_a_batch_is_one_entry_per_element_each_with_its_own_ids() -> None:
    entries = [json.loads(e.entry["Detail"]) for e in batch_envelopes()]
    assert [d["data"] for d in entries] == [{"event": "processed"}, {"event": "delivered"}, {"event": "open"}]
    assert [d["metadata"]["id"] for d in entries] == ["batch-0", "batch-1", "batch-2"]
    assert [d["metadata"]["event_id"] for d in entries] == ["sg0", "sg1", "sg2"]
    assert {d["metadata"]["batch_id"] for d in entries} == {"batch"}


def test_a_partly_published_batch_records_its_progress_and_the_rest_follows_from_its_modify() -> None:
    """Element 1 fails for good: 0 and 2 are on the bus, recorded on the item; the record is done (Lambda
    does not retry it whole), and the item's MODIFY record publishes element 1 alone, on another
    instance that remembers nothing."""
    client, progress = FakeEvents({"batch-1": 99}), Progress()
    failed = Publisher(client, sleep=lambda _: None, progress=progress).publish(batch_envelopes())  # type: ignore[arg-type]
    assert failed == []
    assert progress.recorded == {BATCH.key: frozenset({0, 2})}
    modified = replace(BATCH, published_elements=progress.recorded[BATCH.key])
    later = FakeEvents({})
    assert Publisher(later, progress=Progress()).publish(batch_envelopes(modified, "seq9")) == []  # type: ignore[arg-type]
    assert later.calls == [["batch-1"]]


def test_without_progress_the_record_is_retried_and_this_instance_does_not_repeat_its_elements() -> None:
    client = FakeEvents({"batch-1": 3})  # fails its in-process retries, then succeeds
    publisher = Publisher(client, sleep=lambda _: None, progress=Progress(works=False))
    assert publisher.publish(batch_envelopes()) == ["seq1"]
    assert publisher.publish(batch_envelopes()) == []  # Lambda's retry of the record
    sent = [i for call in client.calls for i in call]
    assert sorted(i for i in sent if i != "batch-1") == ["batch-0", "batch-2"]  # each once


def test_progress_is_recorded_only_for_records_lambda_will_not_retry_anyway() -> None:
    """A single event fails before the batch: Lambda retries from it, the batch included, so the batch's
    progress is not recorded (its MODIFY would publish again what its retry publishes)."""
    single = envelope(replace(EVENT, id="single"), record="seq0")
    client, progress = FakeEvents({"single": 99, "batch-1": 99}), Progress()
    failed = Publisher(client, sleep=lambda _: None, progress=progress).publish([single, *batch_envelopes()])  # type: ignore[arg-type]
    assert failed == ["seq0", "seq1"]
    assert progress.recorded == {}


def test_nothing_more_on_the_bus_nothing_recorded() -> None:
    client, progress = FakeEvents({"batch-0": 99, "batch-1": 99, "batch-2": 99}), Progress()
    assert Publisher(client, sleep=lambda _: None, progress=progress).publish(batch_envelopes()) == ["seq1"]  # type: ignore[arg-type]
    assert progress.recorded == {}
