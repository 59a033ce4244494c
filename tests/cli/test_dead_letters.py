"""A webhook the publisher cannot put on the bus, end to end against `hookbridge dev`: the local stack's
mapping gives up after the template's MaximumRetryAttempts as Lambda's does and its on-failure destination
names the batch in the dead-letter queue; `dlq list` and `health` name the subscription whose event it is,
and only that one; `dlq redrive` publishes it once the bus is back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import Dev, one_line_error, wait_for

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]


def dead_letters(dev: Dev) -> int:
    sqs = dev.client("sqs")
    queue = sqs.get_queue_url(QueueName="hookbridge-publisher-dlq")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def reasons(health: Any, name: str) -> str:
    row = next(r for r in health.lines if f"{r['provider']}/{r['subscription']}" == name)
    return f"{row['status']}: {' '.join(row['reasons'] or [])}"


def test_an_unpublishable_webhook_is_dead_lettered_named_and_redriven(hb: Any, dev: Dev) -> None:
    assert hb("send", "zinc", "status_updated", "--local").code == 0
    wait_for(lambda: len(dev.on_bus("status_updated")) == 1)
    events = dev.client("events")
    events.delete_event_bus(Name="hookbridge")  # every PutEvents fails now

    assert hb("send", "zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", "--local").code == 0
    wait_for(lambda: dead_letters(dev) == 1, seconds=60)  # 9 invocations, each retrying PutEvents
    events.create_event_bus(Name="hookbridge")

    listed = hb("dlq", "list", "--local", "--json")
    assert listed.code == 0, listed
    [row] = listed.lines
    assert row["subscriptions"] == {"zencargo/demo": 1}
    health = hb("health", "--local", "--json")
    assert health.code == 0, health
    assert reasons(health, "zencargo/demo").startswith("degraded: 1 stored events not published")
    assert "dead-letter" not in reasons(health, "zinc/demo")

    redriven = hb("dlq", "redrive", "--local", "--json")
    assert redriven.code == 0, redriven
    assert redriven.json == {"redriven": 1, "left": 0}
    assert dead_letters(dev) == 0
    health = hb("health", "--local", "--json")
    assert "dead-letter" not in reasons(health, "zencargo/demo")


def test_redrive_does_not_report_done_while_another_reader_holds_messages(hb: Any, dev: Dev) -> None:
    sqs = dev.client("sqs")
    queue = sqs.get_queue_url(QueueName="hookbridge-publisher-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody='{"not": "read by this redrive"}')
    # What a health check does for the seconds it reads the queue: the message is in flight.
    [held] = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=120)["Messages"]
    try:
        result = hb("dlq", "redrive", "--local", "--json")
        assert result.code == 1, result
        assert result.json == {"redriven": 0, "left": 1}
        assert one_line_error(result).endswith("run `hookbridge dlq redrive` again in a minute")
    finally:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=held["ReceiptHandle"])
