"""Dedupe windows in the real conditional-write code path (moto)."""

from __future__ import annotations

from dataclasses import replace

import boto3

from hookbridge.aws.storage import DynamoEventStore
from hookbridge.model import StoredEvent
from tests.support.stack import EVENTS_TABLE, Stack
from tests.support.stored import stored_event

NOW = 1_800_000_000
WINDOW = 600
CONTENT = stored_event(
    key="zencargo#prod#sha256#ab",
    id="first",
    provider="zencargo",
    event_type="SHIPMENT_STAGE_CHANGED",
    received_at="2027-01-15T08:00:00.000Z",
    payload=b"{}",
    payload_sha256="0" * 64,
    expires_at=NOW + 86_400,
    dedupe_until=NOW + WINDOW,
    by_day="zencargo#prod#2027-01-15#0",
    event_id=None,
)


def delivery(event_id: str, at: int) -> StoredEvent:
    return replace(CONTENT, id=event_id, dedupe_until=at + WINDOW)


def test_identical_content_after_the_window_is_a_new_event_and_keeps_the_earlier_record(stack: Stack) -> None:
    store = DynamoEventStore(boto3.client("dynamodb"), EVENTS_TABLE)
    assert store.put_once(delivery("first", NOW), NOW).status == "accepted"
    assert store.put_once(delivery("retry", NOW + 10), NOW + 10).id == "first"  # duplicate inside the window

    later = NOW + WINDOW + 1
    second = store.put_once(delivery("second", later), later)
    assert (second.status, second.id) == ("accepted", "second")
    # A retry of the second one is a duplicate of it, not of the first.
    assert store.put_once(delivery("retry2", later + 5), later + 5).id == "second"
    third_at = later + WINDOW + 1
    assert store.put_once(delivery("third", third_at), third_at).status == "accepted"

    items = {i["pk"]["S"]: i["id"]["S"] for i in stack.items()}
    assert items == {CONTENT.key: "first", f"{CONTENT.key}#1": "second", f"{CONTENT.key}#2": "third"}


def test_a_write_retried_after_it_committed_is_accepted_not_a_duplicate_of_itself(stack: Stack) -> None:
    # DynamoDB can commit a PutItem and still fail to answer it (a 500, a reset connection); botocore then
    # sends it again and the condition fails on our own item. Seen under `hookbridge dev` at load: the
    # first delivery of an event was answered duplicate and no delivery was ever answered accepted.
    client = boto3.client("dynamodb")
    sent: list[int] = []

    def lose_the_first_answer(attempts: int, **_: object) -> int | None:
        sent.append(attempts)
        return 0 if attempts == 1 else None  # retry at once, as botocore does after a lost answer

    client.meta.events.register_first("needs-retry.dynamodb.PutItem", lose_the_first_answer)
    store = DynamoEventStore(client, EVENTS_TABLE)

    outcome = store.put_once(delivery("first", NOW), NOW)

    assert sent[:2] == [1, 2]  # the write really was sent twice
    assert (outcome.status, outcome.id) == ("accepted", "first")
    # Another delivery of the same content is still a duplicate of it.
    assert store.put_once(delivery("retry", NOW + 10), NOW + 10).status == "duplicate"
    assert [i["id"]["S"] for i in stack.items()] == ["first"]
