"""The example consumer against the local stack: `hookbridge send` -> bus -> the example's rule -> its queue
-> its handler, which receives the typed events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hookbridge_cli.local.lambda_events import context
from hookbridge_cli.template import read

from hookbridge.schemas.providers import ZencargoEvent, ZippexEvent
from tests.cli.conftest import Dev, run, start_dev, wait_for
from tests.support.functions import load_file
from tests.support.template import ROOT

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]

EXAMPLE = ROOT / "examples" / "consumer"


def example_template() -> dict[str, Any]:
    """The example's template with its CloudFormation tags read as intrinsics ({"Fn::If": ...})."""
    return read(EXAMPLE / "template.yaml")


def load_consumer() -> ModuleType:
    return load_file("example_consumer_app", EXAMPLE / "src" / "app.py")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dev, Path, str]]:
    """`hookbridge dev`, with the example's rule, queue and dead-letter queue created from its template."""
    home = tmp_path_factory.mktemp("consumer")
    dev = start_dev(home)
    try:
        events, sqs = dev.client("events"), dev.client("sqs")
        bus = next(b["Name"] for b in events.list_event_buses()["EventBuses"] if b["Name"] != "default")
        resources = example_template()["Resources"]
        dlq_url = sqs.create_queue(QueueName="consumer-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        max_receive = resources["EventsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        queue_url = sqs.create_queue(
            QueueName="consumer",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        rule = resources["EventsRule"]["Properties"]
        events.put_rule(Name="consumer", EventBusName=bus, EventPattern=json.dumps(rule["EventPattern"]))
        events.put_targets(Rule="consumer", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
        yield dev, home, queue_url
    finally:
        dev.stop()


def drain(dev: Dev, queue_url: str, expected: int) -> list[dict[str, Any]]:
    sqs = dev.client("sqs")
    messages: list[dict[str, Any]] = []

    def received() -> bool:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages.extend(got.get("Messages", []))
        return len(messages) >= expected

    wait_for(received)
    return messages


def sqs_event(
    messages: list[dict[str, Any]], queue_arn: str = "arn:aws:sqs:eu-west-1:123456789012:consumer"
) -> dict[str, Any]:
    """The event Lambda's SQS event source hands the function, from the messages it received."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-west-1",
            }
            for m in messages
        ]
    }


def test_send_reaches_the_consumer_as_typed_events(
    stack: tuple[Dev, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dev, home, queue_url = stack
    for provider, event_type in [
        ("zippex", "delivery.created"),  # not matched by the rule
        ("zencargo", "LOT_BOOKED"),  # not a shipment topic
        ("zippex", "delivery.delivered"),
        ("zencargo", "SHIPMENT_STAGE_CHANGED"),
    ]:
        sent = run(home, "send", provider, event_type, "--local", "--json")
        assert sent.code == 0, sent
    wait_for(lambda: len(dev.bus) >= 4)
    messages = drain(dev, queue_url, 2)
    for message in messages:
        # moto's EventBridge -> SQS delivery leaves out `account`, which EventBridge always sends (and the
        # Powertools EventBridgeModel requires): put back what AWS would carry, nothing else.
        body = json.loads(message["Body"])
        assert "account" not in body or body["account"]
        message["Body"] = json.dumps({"account": "123456789012", **body})

    consumer = load_consumer()
    handled: list[ZippexEvent | ZencargoEvent] = []
    original = consumer.handle

    def seen(event: ZippexEvent | ZencargoEvent) -> None:
        handled.append(event)  # what the consumer's code receives
        original(event)

    monkeypatch.setattr(consumer, "handle", seen)
    response = consumer.handler(sqs_event(messages), context("consumer"))

    assert response == {"batchItemFailures": []}
    by_type = {type(e).__name__: e for e in handled}
    assert set(by_type) == {"ZippexEvent", "ZencargoEvent"}
    zippex = by_type["ZippexEvent"]
    assert isinstance(zippex, ZippexEvent)
    assert zippex.detail_type == "delivery.delivered"
    assert zippex.detail.metadata.provider == "zippex"
    assert zippex.detail.metadata.subscription == "demo"
    assert zippex.detail.data is not None
    assert zippex.detail.data.type == "delivery.delivered"
    assert zippex.detail.data.data is not None
    assert zippex.detail.data.data["status"] == "delivered"
    zencargo = by_type["ZencargoEvent"]
    assert isinstance(zencargo, ZencargoEvent)
    assert zencargo.detail.data is not None
    assert zencargo.detail.data.data.topic == "SHIPMENT_STAGE_CHANGED"
    # Only what the rule matched reached the queue.
    more = dev.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
    assert more.get("Messages", []) == []


def test_a_record_that_does_not_parse_is_reported_for_retry_alone() -> None:
    consumer = load_consumer()
    good = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "SHIPMENT_STAGE_CHANGED",
        "source": "hookbridge.zencargo",
        "account": "123456789012",
        "time": "2026-03-10T14:45:01Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "metadata": {"provider": "zencargo", "subscription": "demo"},
            "data": {"data": {"topic": "SHIPMENT_STAGE_CHANGED", "targetId": "Z-1"}},
        },
    }
    bad = {**good, "detail": {"metadata": {"provider": "zencargo"}, "data": {"data": {}}}}
    messages = [
        {"MessageId": mid, "ReceiptHandle": mid, "Body": json.dumps(body), "MD5OfBody": "0"}
        for mid, body in [("good", good), ("bad", bad)]
    ]
    response = consumer.handler(sqs_event(messages), context("consumer"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
