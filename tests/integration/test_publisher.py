"""Stored events through the table's stream and the publisher onto the bus, to a consumer's queue."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from hookbridge.aws.storage import DynamoPublishProgress
from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import Publisher
from hookbridge.publishing.stream import build_publisher_handler
from hookbridge.settings import PublisherSettings
from tests.support.events import (
    EVENTS,
    LambdaContext,
    demo_secret,
    load_event,
    sample_names,
    signed,
    stream_event,
)
from tests.support.stack import BUS, EVENTS_TABLE, PREFIX, Handler, Stack


@pytest.fixture
def stored(stack: Stack, zippex_handler: Handler, invoke: Any) -> list[dict[str, Any]]:
    """Every Zippex sample stored through the ingest function; returns their API Gateway events."""
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    events = [signed("zippex", n) for n in sample_names("zippex")]
    for event in events:
        assert invoke(zippex_handler, event)["statusCode"] == 200
    return events


def test_stored_events_reach_a_consumer_rule_in_the_envelope(
    stack: Stack, stored: list[dict[str, Any]], publisher_handler: Handler, invoke: Any
) -> None:
    stream_event = stack.stream_event()
    assert len(stream_event["Records"]) == len(stored)

    assert invoke(publisher_handler, stream_event) == {"batchItemFailures": []}

    messages = {m["detail"]["metadata"]["event_id"]: m for m in stack.bus_messages()}
    assert len(messages) == len(stored)
    items = {i["event_id"]["S"]: i for i in stack.items()}
    for event in stored:
        payload = json.loads(event["body"])
        message = messages[payload["id"]]
        assert message["source"] == f"{PREFIX}.zippex"
        assert message["detail-type"] == payload["type"]
        assert message["detail"]["data"] == payload  # the provider's JSON, untouched
        item = items[payload["id"]]
        assert message["detail"]["metadata"] == {
            "provider": "zippex",
            "subscription": "demo",
            "id": item["id"]["S"],
            "event_id": payload["id"],
            "dedupe_key": f"zippex#demo#id#{payload['id']}",
            "received_at": item["received_at"]["S"],
            "occurred_at": payload["created_at"],
            "subject": payload["data"]["id"],
            "verified_by": "hmac-sha256",
            "recognized": True,
            "payload_sha256": StoredEvent.from_stream_image(item).payload_sha256,
            "payload_ref": None,
        }


def test_put_events_failing_for_one_entry_reports_exactly_that_record(
    stack: Stack, stored: list[dict[str, Any]]
) -> None:
    stream_event = stack.stream_event()
    records = stream_event["Records"]
    client = boto3.client("events")
    failing = 2
    entries = [{"EventId": f"e{i}"} for i in range(len(records))]
    entries[failing] = {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
    with Stubber(client) as stub:
        stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": entries})
        # The in-process retries of the failed entry fail too.
        stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": [entries[failing]]})
        stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": [entries[failing]]})
        handler = build_publisher_handler(
            PublisherSettings.from_environ(stack.environ), Publisher(client, sleep=lambda _: None)
        )
        result = handler(stream_event, LambdaContext())
        stub.assert_no_pending_responses()
    assert result == {
        "batchItemFailures": [{"itemIdentifier": records[failing]["dynamodb"]["SequenceNumber"]}]
    }


def test_put_events_down_fails_every_record_and_loses_none(
    stack: Stack, stored: list[dict[str, Any]]
) -> None:
    stream_event = stack.stream_event()
    client = boto3.client("events")
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("put_events", "ThrottlingException", http_status_code=400)
        handler = build_publisher_handler(
            PublisherSettings.from_environ(stack.environ), Publisher(client, sleep=lambda _: None)
        )
        result = handler(stream_event, LambdaContext())
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {r["dynamodb"]["SequenceNumber"] for r in stream_event["Records"]}


def test_a_payload_too_big_for_one_entry_goes_as_payload_ref(
    stack: Stack, zippex_handler: Handler, publisher_handler: Handler, invoke: Any
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    body = json.dumps({"id": "evt_large", "type": "delivery.created", "data": {"notes": "x" * 300_000}})
    event = signed("zippex", "delivery.created", body=body)
    assert invoke(zippex_handler, event)["statusCode"] == 200

    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}

    [message] = stack.bus_messages()
    assert message["detail"]["data"] is None
    ref = message["detail"]["metadata"]["payload_ref"]
    assert ref == {"store": "dynamodb", "table": EVENTS_TABLE, "key": {"pk": "zippex#demo#id#evt_large"}}
    item = stack.dynamodb.get_item(TableName=ref["table"], Key={"pk": {"S": ref["key"]["pk"]}})["Item"]
    # Nothing truncated: the whole body is where it says, read as docs/consuming.md tells a consumer to.
    stored = zlib.decompress(item["payload_deflate"]["B"], -15) if "payload_deflate" in item else None
    assert (stored or item["payload"]["B"]) == body.encode()


def test_unrecognized_body_is_published_as_raw_text(
    stack: Stack, zippex_handler: Handler, publisher_handler: Handler, invoke: Any
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    event = signed("zippex", "delivery.created", body="not json")
    assert invoke(zippex_handler, event)["statusCode"] == 200
    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    [message] = stack.bus_messages()
    assert message["detail-type"] == "unrecognized"
    assert message["detail"]["data"] == {"raw": "not json"}
    assert message["detail"]["metadata"]["recognized"] is False


def test_publisher_bus_name_comes_from_settings(stack: Stack) -> None:
    assert PublisherSettings.from_environ(stack.environ).event_bus == BUS


def test_sample_stream_event_publishes(stack: Stack, publisher_handler: Handler, invoke: Any) -> None:
    event = json.loads((EVENTS / "publisher" / "dynamodb-stream.json").read_text())
    assert invoke(publisher_handler, event) == {"batchItemFailures": []}
    [message] = stack.bus_messages()
    sample = json.loads(load_event("zippex", "delivery.delivered")["body"])
    assert message["detail-type"] == "delivery.delivered"
    assert message["detail"]["data"] == sample
    assert message["detail"]["metadata"]["event_id"] == sample["id"]


def test_published_events_are_counted_per_provider_once_per_batch(
    stack: Stack,
    stored: list[dict[str, Any]],
    ingest_function: Callable[[str], Handler],
    publisher_handler: Handler,
    invoke: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The ingest functions emit no metric for an accepted webhook: this count is the one to chart."""
    stack.add_secret("zencargo", "demo", demo_secret("zencargo"))
    assert invoke(ingest_function("zencargo"), signed("zencargo", "BOOKING_CREATED"))["statusCode"] == 200
    capsys.readouterr()
    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    published = {line["provider"]: line for line in lines if "EventsPublished" in line}
    assert {p: line["EventsPublished"] for p, line in published.items()} == {
        "zippex": [float(len(stored))],
        "zencargo": [1.0],
    }
    for line in published.values():
        [dimensions] = line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        assert sorted(dimensions) == ["provider", "service"]
        assert line["service"] == "publisher"


def test_disabled_metrics_print_nothing_per_provider(
    stack: Stack,
    stored: list[dict[str, Any]],
    publisher_handler: Handler,
    invoke: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The local stack turns metrics off so they do not mix with the command line's output."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    capsys.readouterr()
    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    assert '"_aws"' not in capsys.readouterr().out


class PartlyFailing:
    """The bus, through the real (moto) client, refusing for good the entries whose ids are listed."""

    def __init__(self, refused: set[str]) -> None:
        self.client = boto3.client("events")
        self.refused = refused

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [json.loads(e["Detail"])["metadata"]["id"] for e in Entries]
        passing = [e for e, i in zip(Entries, ids, strict=True) if i not in self.refused]
        if passing:
            self.client.put_events(Entries=passing)
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"} if i in self.refused else {"EventId": i}
            for i in ids
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_a_partly_published_batch_publishes_the_rest_from_its_modify_record_and_nothing_twice(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Any
) -> None:
    """SendGrid's three events in one request; the bus refuses the second for good. The first and third
    are published and recorded on the item; the item's MODIFY record (let through by the mapping's
    filter, as is_publishable) publishes the second alone, on a publisher that remembers nothing."""
    stack.add_secret("sendgrid", "demo", demo_secret("sendgrid"))
    assert invoke(ingest_function("sendgrid"), signed("sendgrid", "batch"))["statusCode"] == 200
    [item] = stack.items()
    record_id = item["id"]["S"]
    refusing = PartlyFailing({f"{record_id}-1"})
    progress = DynamoPublishProgress(lambda: boto3.client("dynamodb"), EVENTS_TABLE)
    first = build_publisher_handler(
        PublisherSettings.from_environ(stack.environ),
        Publisher(refusing, sleep=lambda _: None, progress=progress),  # type: ignore[arg-type]
    )
    assert first(stack.stream_event(), LambdaContext()) == {"batchItemFailures": []}
    assert [m["detail"]["metadata"]["id"] for m in stack.bus_messages()] == [
        f"{record_id}-0",
        f"{record_id}-2",
    ]

    records = stack.stream_records()
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["published_elements"] == {"S": "0,2"}
    arn = stack.dynamodb.describe_table(TableName=EVENTS_TABLE)["Table"]["LatestStreamArn"]
    assert invoke(publisher_handler, stream_event(records[1:], arn)) == {"batchItemFailures": []}
    [rest] = stack.bus_messages()
    assert rest["detail"]["metadata"]["id"] == f"{record_id}-1"
    assert rest["detail-type"] == "deferred"
