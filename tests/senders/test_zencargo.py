"""Zencargo: base64 HMAC of the body, content-hash dedupe within the template's window."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from hookbridge.model import StoredEvent
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.stack import Handler, Stack
from tests.support.template import function_environment

TOKEN = demo_secret("zencargo")["signing_secrets"][0]
WINDOW = int(function_environment("zencargo")["DEDUPE_WINDOW_SECONDS"])


@pytest.fixture
def zencargo(stack: Stack, ingest_function: Callable[[str], Handler]) -> Handler:
    stack.add_secret("zencargo", "demo", {"signing_secrets": ["new_sign_token", TOKEN]})
    return ingest_function("zencargo")


def status(handler: Handler, event: dict[str, Any], invoke: Any) -> tuple[int, str | None]:
    response = invoke(handler, event)
    return response["statusCode"], json.loads(response["body"]).get("status")


def test_signature_as_zencargo_documents_it(stack: Stack, zencargo: Handler, invoke: Any) -> None:
    event = signed("zencargo", "BOOKING_CREATED")
    # Base64.strict_encode64(OpenSSL::HMAC.digest('sha256', SIGN_TOKEN, data))
    expected = base64.b64encode(hmac.new(TOKEN.encode(), event["body"].encode(), hashlib.sha256).digest())
    assert event["headers"]["zencargo-hmac-sha256"] == expected.decode()
    assert status(zencargo, event, invoke) == (200, "accepted")


@pytest.mark.parametrize(
    "forge",
    [
        lambda e: e.update(body=e["body"].replace("ZCOMPANY-1", "ZCOMPANY-2")),
        lambda e: e["headers"].pop("zencargo-hmac-sha256"),
        lambda e: e["headers"].update({"zencargo-hmac-sha256": "not base64!"}),
        lambda e: e["headers"].update({"zencargo-hmac-sha256": ""}),
        lambda e: e["headers"].update(
            {"zencargo-hmac-sha256": e["headers"]["zencargo-hmac-sha256"].encode().hex()}  # hex, not base64
        ),
    ],
    ids=["tampered-body", "missing-header", "garbage-header", "empty-header", "wrong-encoding"],
)
def test_forgeries_get_401_and_store_nothing(
    stack: Stack, zencargo: Handler, invoke: Any, forge: Any
) -> None:
    event = signed("zencargo", "BOOKING_CREATED")
    forge(event)
    assert status(zencargo, event, invoke) == (401, None)
    assert stack.items() == []


def test_wrong_token_gets_401(stack: Stack, zencargo: Handler, invoke: Any) -> None:
    event = signed("zencargo", "BOOKING_CREATED", {"signing_secrets": ["not_the_token"]})
    assert status(zencargo, event, invoke) == (401, None)


def test_rotation_both_tokens_pass(stack: Stack, zencargo: Handler, invoke: Any) -> None:
    old = signed("zencargo", "BOOKING_CREATED")
    new = signed("zencargo", "LOT_BOOKED", {"signing_secrets": ["new_sign_token"]})
    assert status(zencargo, old, invoke) == (200, "accepted")
    assert status(zencargo, new, invoke) == (200, "accepted")


def test_identical_notification_is_a_duplicate_inside_the_window_and_new_after_it(
    stack: Stack, zencargo: Handler, invoke: Any
) -> None:
    """A replay of a captured request after the window is stored again: Zencargo sends no timestamp or id,
    so it cannot be told from a genuine second notification with the same body (a stage changing twice)."""
    start = time.time()
    assert status(zencargo, signed("zencargo", "SHIPMENT_STAGE_CHANGED", now=start), invoke)[1] == "accepted"
    retry = signed("zencargo", "SHIPMENT_STAGE_CHANGED", now=start + WINDOW - 1)
    assert status(zencargo, retry, invoke)[1] == "duplicate"
    later = signed("zencargo", "SHIPMENT_STAGE_CHANGED", now=start + WINDOW + 1)
    assert status(zencargo, later, invoke)[1] == "accepted"
    first, second = sorted(stack.items(), key=lambda i: i["received_at"]["S"])
    assert first["pk"] != second["pk"]  # the earlier record is kept, not overwritten...
    assert first["dedupe_key"] == second["dedupe_key"]  # ...under the same dedupe key


def test_a_retry_after_the_window_reaches_consumers_as_a_second_notification(
    stack: Stack, zencargo: Handler, invoke: Any, publisher_handler: Handler
) -> None:
    """Issue 22, decided: Zencargo retries over 5 hours a delivery it saw fail (our 200 too late, or lost),
    and the default window is 600 s. A retry inside it is a duplicate; one after it is published again: the
    consumer sees the same notification twice, with the same metadata.dedupe_key and a new metadata.id (it
    says "look at targetId again", so twice is harmless), never a genuine second change swallowed."""
    assert WINDOW == 600
    start = time.time()
    first = signed("zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", now=start)
    assert status(zencargo, first, invoke)[1] == "accepted"
    for minutes in (1, 9):  # Zencargo's first retries, inside the window
        retry = signed("zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", now=start + minutes * 60)
        assert status(zencargo, retry, invoke)[1] == "duplicate"
    late = signed("zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", now=start + 2 * 3600)  # hours later
    assert status(zencargo, late, invoke)[1] == "accepted"
    assert publisher_handler(stack.stream_event(), LambdaContext()) == {"batchItemFailures": []}
    seen = [m["detail"]["metadata"] for m in stack.bus_messages()]
    assert len(seen) == 2
    assert seen[0]["dedupe_key"] == seen[1]["dedupe_key"]
    assert seen[0]["id"] != seen[1]["id"]


def test_unknown_topic_is_accepted_under_its_own_name(stack: Stack, zencargo: Handler, invoke: Any) -> None:
    body = json.dumps({"data": {"topic": "INVOICE_ISSUED", "targetType": "INVOICE", "targetId": "INV-1"}})
    assert status(zencargo, signed("zencargo", "BOOKING_CREATED", body=body), invoke) == (200, "accepted")
    [item] = stack.items()
    assert (item["event_type"]["S"], item["subject"]["S"]) == ("INVOICE_ISSUED", "INV-1")
    assert StoredEvent.from_stream_image(item).recognized is True
