"""An outsider holding one captured genuine request, through the real ingest functions and publisher:
nothing unsigned is published, and nothing captured reaches the bus twice, however it is rewrapped
(issue 29). Every case sends what the attacker could send and reads the bus."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from hookbridge.model import StoredEvent
from hookbridge.providers.bodies import WITHHELD
from tests.support.events import demo_secret, signed, stream_event
from tests.support.stack import EVENTS_TABLE, PAYLOAD_BUCKET, Handler, Stack

Invoke = Callable[[Handler, dict[str, Any]], dict[str, Any]]


def with_body(event: dict[str, Any], body: bytes | str, **headers: str) -> dict[str, Any]:
    """The captured request with another body (and headers), its signature headers kept."""
    text = body.decode() if isinstance(body, bytes) else body
    return {
        **event,
        "body": text,
        "isBase64Encoded": False,
        "headers": {**event["headers"], **{k.lower().replace("_", "-"): v for k, v in headers.items()}},
    }


def status(invoke: Invoke, handler: Handler, event: dict[str, Any]) -> tuple[int, str | None]:
    answer = invoke(handler, event)
    try:
        found = json.loads(answer.get("body") or "null")
    except json.JSONDecodeError:
        found = None
    return answer["statusCode"], found.get("status") if isinstance(found, dict) else None


def published(stack: Stack, invoke: Invoke, publisher: Handler) -> list[dict[str, Any]]:
    """What the publisher puts on the bus for the stream records it has not been handed yet (as Lambda
    hands each record once when the function succeeds), until it has nothing more to do: a large batch
    that ran out of time is continued from its progress's MODIFY record."""
    seen = getattr(stack, "records_handed", 0)
    while True:
        records = stack.stream_records()
        if len(records) == seen:
            return stack.bus_messages()
        arn = stack.dynamodb.describe_table(TableName=EVENTS_TABLE)["Table"]["LatestStreamArn"]
        assert invoke(publisher, stream_event(records[seen:], arn)) == {"batchItemFailures": []}
        seen = len(records)
        stack.records_handed = seen  # type: ignore[attr-defined]


def adyen_items(stack: Stack) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The batch sample as Adyen signs it, and its signed items."""
    stack.add_secret("adyen", "demo", demo_secret("adyen"))
    event = signed("adyen", "batch")
    return event, json.loads(event["body"])["notificationItems"]


def adyen_body(items: list[dict[str, Any]]) -> str:
    return json.dumps({"live": "false", "notificationItems": items})


def test_an_adyen_item_that_no_signature_covers_is_refused_and_nothing_published(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    adyen = ingest_function("adyen")
    event, items = adyen_items(stack)
    for extra in ([1, 2], "forged", None, 7):
        forged = with_body(event, adyen_body([items[0], {"NotificationRequestItem": extra}]))
        assert status(invoke, adyen, forged)[0] == 401, extra
    assert stack.items() == []
    assert published(stack, invoke, publisher_handler) == []


def test_a_captured_adyen_item_alone_twice_or_in_a_new_batch_is_published_once(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    adyen = ingest_function("adyen")
    event, items = adyen_items(stack)
    assert len(items) >= 2
    first, second = items[0], items[1]
    assert status(invoke, adyen, event) == (200, None)  # [accepted], Adyen's own answer
    on_bus = published(stack, invoke, publisher_handler)
    assert len(on_bus) == len(items)

    # The first item alone: stored under its claim, which the publisher took: a duplicate.
    assert invoke(adyen, with_body(event, adyen_body([first])))["statusCode"] == 200
    # Twice in one new batch, beside the second: accepted as a new batch, but nothing of it is new.
    assert invoke(adyen, with_body(event, adyen_body([first, first, second])))["statusCode"] == 200
    assert published(stack, invoke, publisher_handler) == []


def test_one_item_given_twice_in_its_first_batch_is_published_once(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    adyen = ingest_function("adyen")
    event, items = adyen_items(stack)
    assert invoke(adyen, with_body(event, adyen_body([items[0], items[0]])))["statusCode"] == 200
    [message] = published(stack, invoke, publisher_handler)
    assert message["detail"]["data"] == items[0]["NotificationRequestItem"]


def test_a_captured_mailgun_token_with_other_event_data_is_a_duplicate_and_a_resigned_retry_published_once(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    stack.add_secret("mailgun", "demo", demo_secret("mailgun"))
    mailgun = ingest_function("mailgun")
    event = signed("mailgun", "delivered")
    genuine = json.loads(event["body"])
    assert status(invoke, mailgun, event) == (200, "accepted")

    forged = {**genuine, "event-data": {**genuine["event-data"], "id": "new-id", "event": "complained"}}
    assert status(invoke, mailgun, with_body(event, json.dumps(forged))) == (200, "duplicate")

    # Mailgun signs a retry anew (another timestamp and token): stored, but its event id is claimed.
    retry = signed("mailgun", "delivered", body=json.dumps({"event-data": genuine["event-data"]}))
    assert status(invoke, mailgun, retry) == (200, "accepted")
    [message] = published(stack, invoke, publisher_handler)
    assert message["detail-type"] == genuine["event-data"]["event"]
    assert message["detail"]["data"]["event-data"] == genuine["event-data"]


def test_a_twilio_form_with_a_signed_pair_repeated_is_the_same_request(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    stack.add_secret("twilio", "demo", demo_secret("twilio"))
    twilio = ingest_function("twilio")
    event = signed("twilio", "delivered")
    assert invoke(twilio, event)["statusCode"] == 200
    sid = next(pair for pair in event["body"].split("&") if pair.startswith("MessageSid="))
    repeated = with_body(event, f"{sid}&{event['body']}")
    assert invoke(twilio, repeated)["statusCode"] == 200  # Twilio's validator accepts it too (a set)
    [message] = published(stack, invoke, publisher_handler)
    assert message["detail-type"] == "delivered"
    assert isinstance(message["detail"]["data"]["MessageSid"], str)


def test_a_github_request_with_a_new_delivery_id_or_event_header_is_a_duplicate(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    """GitHub signs the body only: its X-GitHub-Delivery and X-GitHub-Event are not proven, so dedupe is on
    the body, which a rewrapped request cannot change."""
    stack.add_secret("github", "demo", demo_secret("github"))
    github = ingest_function("github")
    event = signed("github", "push")
    assert status(invoke, github, event) == (200, "accepted")
    rewrapped = with_body(event, event["body"], x_github_delivery="00000000-0000-0000-0000-000000000000")
    assert status(invoke, github, rewrapped) == (200, "duplicate")
    relabelled = with_body(event, event["body"], x_github_event="release")
    assert status(invoke, github, relabelled) == (200, "duplicate")
    [message] = published(stack, invoke, publisher_handler)
    assert message["detail-type"] == "push"


def test_a_content_deduped_request_replayed_a_day_later_is_still_a_duplicate(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    """Meta signs no timestamp and names no event: its content is remembered as long as the event is
    kept (it was forgotten after an hour)."""
    stack.add_secret("meta", "demo", demo_secret("meta"))
    meta = ingest_function("meta")
    event = signed("meta", "messages")
    assert status(invoke, meta, event) == (200, "accepted")
    later = {**event, "requestContext": {**event["requestContext"]}}
    later["requestContext"]["timeEpoch"] = event["requestContext"]["timeEpoch"] + 86_400_000
    assert status(invoke, meta, later) == (200, "duplicate")
    assert len(published(stack, invoke, publisher_handler)) >= 1


def test_a_discord_request_replayed_after_its_window_is_refused(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Invoke
) -> None:
    stack.add_secret("discord", "demo", demo_secret("discord"))
    discord = ingest_function("discord")
    hour_ago = signed("discord", "APPLICATION_AUTHORIZED", now=time.time() - 3_700)
    assert invoke(discord, hour_ago)["statusCode"] == 401
    assert stack.items() == []


def sendgrid_batch(count: int) -> str:
    """A SendGrid batch as large as SendGrid sends (~300 bytes an event)."""
    return json.dumps(
        [
            {
                "email": f"user{n}@example.com",
                "timestamp": 1_773_153_900 + n,
                "event": "delivered",
                "sg_event_id": f"sg-event-{n:08d}-{'x' * 20}",
                "sg_message_id": f"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.{n}",
                "smtp-id": f"<14c5d75ce93.dfd.64b469@ismtpd-{n}>",
                "category": ["cat facts"],
                "response": "250 OK",
            }
            for n in range(count)
        ]
    )


@pytest.mark.slow  # 260 PutEvents calls through moto
def test_a_genuine_sendgrid_batch_of_thousands_is_stored_once_and_each_event_published_once(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    stack.add_secret("sendgrid", "demo", demo_secret("sendgrid"))
    sendgrid = ingest_function("sendgrid")
    body = sendgrid_batch(2_600)
    assert len(body) > 750_000
    event = signed("sendgrid", "batch", body=body)
    assert status(invoke, sendgrid, event) == (200, "accepted")
    assert status(invoke, sendgrid, event) == (200, "duplicate")
    [item] = stack.items()
    assert "elements" not in item
    assert item["elements_s3_key"]["S"].endswith(".elements.json")
    s3 = boto3.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=PAYLOAD_BUCKET)["Contents"])
    assert keys == sorted([item["payload_s3_key"]["S"], item["elements_s3_key"]["S"]])
    on_bus = published(stack, invoke, publisher_handler)
    ids = [m["detail"]["metadata"]["event_id"] for m in on_bus]
    assert len(ids) == 2_600
    assert len(set(ids)) == 2_600


def test_a_retry_after_a_failed_write_leaves_no_object_behind(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Invoke, monkeypatch: Any
) -> None:
    """The objects are named after the request: the retry puts the same ones again."""
    from botocore.exceptions import ClientError

    from hookbridge.aws import storage

    stack.add_secret("sendgrid", "demo", demo_secret("sendgrid"))
    sendgrid = ingest_function("sendgrid")
    event = signed("sendgrid", "batch", body=sendgrid_batch(1_500))
    real = storage.DynamoEventStore.put_once
    failing = {"left": 2}

    def flaky(self: Any, stored: Any, now: float) -> Any:
        if failing["left"]:
            failing["left"] -= 1
            raise storage.StorageUnavailable("put_item failed") from ClientError(
                {"Error": {"Code": "InternalServerError"}}, "PutItem"
            )
        return real(self, stored, now)

    monkeypatch.setattr(storage.DynamoEventStore, "put_once", flaky)
    assert invoke(sendgrid, event)["statusCode"] == 503
    assert invoke(sendgrid, event)["statusCode"] == 503
    assert status(invoke, sendgrid, event) == (200, "accepted")
    [item] = stack.items()
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=PAYLOAD_BUCKET)["Contents"]]
    assert keys == [item["payload_s3_key"]["S"]]


def test_a_sendgrid_batch_of_five_thousand_is_stored_once_with_its_elements_beside_it(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Invoke
) -> None:
    """1.5 MB, 5,000 events (refused for good before: the item's elements passed DynamoDB's 400 KB)."""
    stack.add_secret("sendgrid", "demo", demo_secret("sendgrid"))
    sendgrid = ingest_function("sendgrid")
    event = signed("sendgrid", "batch", body=sendgrid_batch(5_000))
    assert len(event["body"]) > 1_400_000
    assert status(invoke, sendgrid, event) == (200, "accepted")
    [item] = stack.items()
    s3 = boto3.client("s3")
    elements = s3.get_object(Bucket=PAYLOAD_BUCKET, Key=item["elements_s3_key"]["S"])["Body"].read()
    assert len(json.loads(elements)) == 5_000
    assert sum(len(str(v)) for v in item.values()) < 10_000  # the item points; it holds neither


def test_a_captured_graph_notification_alone_twice_or_in_a_new_batch_is_published_once(
    stack: Stack, ingest_function: Callable[[str], Handler], publisher_handler: Handler, invoke: Invoke
) -> None:
    """Microsoft Graph's clientState is a shared value: whoever captured a delivery holds it. Each
    notification is claimed by what it says (its clientState aside), so Graph's retry of it, alone or in
    another batch, or a captured one rewrapped, is not published twice."""
    stack.add_secret("microsoft-graph", "demo", demo_secret("microsoft-graph"))
    graph = ingest_function("microsoft-graph")
    created = signed("microsoft-graph", "created")
    [notification] = json.loads(created["body"])["value"]
    lifecycle = json.loads(signed("microsoft-graph", "reauthorizationRequired")["body"])["value"][0]
    assert status(invoke, graph, created) == (200, "accepted")
    [first] = published(stack, invoke, publisher_handler)
    # The shared value is neither kept nor published: whoever holds it can send anything as Graph.
    client_state = demo_secret("microsoft-graph")["signing_secrets"][0]
    assert first["detail"]["data"]["clientState"] == WITHHELD
    assert client_state not in json.dumps(first)
    [stored] = [StoredEvent.from_stream_image(item) for item in stack.items()]
    assert client_state.encode() not in stored.payload  # the body as kept (decompressed)
    assert json.loads(stored.payload)["value"][0]["clientState"] == WITHHELD

    # The same notification re-serialized alone: stored under its claim, a duplicate.
    assert status(invoke, graph, with_body(created, json.dumps({"value": [notification]})))[1] == "duplicate"
    # Twice in a new batch beside a new one: the batch is new, only the new notification is published.
    rewrapped = json.dumps({"value": [notification, lifecycle, notification]})
    assert status(invoke, graph, with_body(created, rewrapped)) == (200, "accepted")
    [message] = published(stack, invoke, publisher_handler)
    assert message["detail-type"] == "reauthorizationRequired"
    # One forged notification beside it refuses the whole request, and publishes nothing.
    forged = json.dumps({"value": [notification, lifecycle | {"clientState": "guessed", "id": "new"}]})
    assert status(invoke, graph, with_body(created, forged))[0] == 401
    assert published(stack, invoke, publisher_handler) == []
