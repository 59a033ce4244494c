"""Box, against its own library: box-sdk-gen 1.17's ``WebhooksManager.validate_message`` (with
``compute_webhook_signature``): box-signature-primary and -secondary are the base64 HMAC-SHA256 of the body
followed by box-delivery-timestamp, keyed by the webhook's primary and secondary keys; either matching
passes, and a delivery timestamp older than 10 minutes is refused (ours: 600 s either way). The event id is
the body's ``id``, which a retry keeps; the unsigned BOX-DELIVERY-ID changes on each retry and is metadata."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from box_sdk_gen.internal.utils import compute_webhook_signature
from box_sdk_gen.managers.webhooks import WebhooksManager

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

PRIMARY, SECONDARY = "box_demo_primary_key", "box_demo_secondary_key"
SECRET = {"signing_secrets": [PRIMARY, SECONDARY]}
BODY = load_event("box", "FILE.UPLOADED")["body"].encode()


def rfc3339(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def box_headers(body: bytes, at: float, primary: str = PRIMARY, secondary: str = SECONDARY) -> dict[str, str]:
    """The headers Box sends, each signature made by box-sdk-gen's own compute_webhook_signature."""
    headers = {
        "box-delivery-id": "673a081b-bb4b-4d45-b4f1-4131a29c1d07",
        "box-delivery-timestamp": rfc3339(at),
        "box-signature-version": "1",
        "box-signature-algorithm": "HmacSHA256",
    }
    headers["box-signature-primary"] = compute_webhook_signature(body.decode(), headers, primary) or ""
    headers["box-signature-secondary"] = compute_webhook_signature(body.decode(), headers, secondary) or ""
    return headers


def sdk_accepts(
    headers: dict[str, str], body: bytes, primary: str = PRIMARY, secondary: str = SECONDARY
) -> bool:
    return WebhooksManager.validate_message(body.decode(), headers, primary, secondary_key=secondary)


def test_box_sdk_signs_as_box_documents() -> None:
    headers = box_headers(BODY, time.time())
    mine = hmac.new(PRIMARY.encode(), BODY + headers["box-delivery-timestamp"].encode(), hashlib.sha256)
    assert headers["box-signature-primary"] == base64.b64encode(mine.digest()).decode()


def test_what_box_signs_is_accepted_stored_and_described() -> None:
    headers = box_headers(BODY, time.time())
    assert sdk_accepts(headers, BODY)
    assert verify("box", SECRET, webhook_request("box", headers, BODY)) == "hmac-sha256"
    found = answer("box", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("box", webhook_request("box", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "FILE.UPLOADED",
        "eb0c4e06-751f-442c-86f8-fd5bb404dbec",
        "12345678",
    )


def test_the_delivery_id_changes_on_a_retry_and_does_not_name_the_event() -> None:
    first, retry = box_headers(BODY, time.time()), box_headers(BODY, time.time())
    retry["box-delivery-id"] = "0f6b3c8e-retry"
    ids = {describe("box", webhook_request("box", h, BODY)).proven_id for h in (first, retry)}
    assert ids == {"eb0c4e06-751f-442c-86f8-fd5bb404dbec"}


@pytest.mark.parametrize("stored", [[PRIMARY], [SECONDARY], ["rotated-away", SECONDARY]])
def test_either_key_verifies_as_the_sdk_accepts_either_signature(stored: list[str]) -> None:
    headers = box_headers(BODY, time.time())
    assert answer("box", {"signing_secrets": stored}, headers, BODY).status == 200


@pytest.mark.parametrize("variant", ["tampered body", "other keys", "tampered timestamp", "no signatures"])
def test_forged_and_tampered_requests_are_refused_as_the_sdk_refuses_them(variant: str) -> None:
    body = BODY
    if variant == "other keys":
        headers = box_headers(body, time.time(), "guess-1", "guess-2")
    else:
        headers = box_headers(body, time.time())
    if variant == "tampered body":
        body = BODY.replace(b"Contract.pdf", b"Contract.exe")
    elif variant == "tampered timestamp":
        headers["box-delivery-timestamp"] = rfc3339(time.time() - 1)
    elif variant == "no signatures":
        del headers["box-signature-primary"], headers["box-signature-secondary"]
    assert not sdk_accepts(headers, body)
    assert refused(answer("box", SECRET, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(590, True), (610, False)])
def test_the_window_is_the_sdks_ten_minutes(age: int, accepted: bool) -> None:
    headers = box_headers(BODY, time.time() - age)
    assert sdk_accepts(headers, BODY) == accepted
    request = webhook_request("box", headers, BODY)
    if accepted:
        assert verify("box", SECRET, request) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("box", SECRET, request)


def test_what_our_definition_signs_the_sdk_accepts() -> None:
    now = int(time.time())
    signed = providers.load("box").sign(SubscriptionSecret.model_validate(SECRET), BODY, now, "", {})
    headers = {"box-signature-version": "1", "box-signature-algorithm": "HmacSHA256", **signed.headers}
    assert sdk_accepts(headers, BODY)


@pytest.mark.parametrize("sample", sample_names("box"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("box", sample), demo_secret("box")
    body, headers = event["body"].encode(), event["headers"]
    at = datetime.fromisoformat(headers["box-delivery-timestamp"]).timestamp()
    expected = compute_webhook_signature(event["body"], headers, secret["signing_secrets"][0])
    assert headers["box-signature-primary"] == expected
    assert verify("box", secret, webhook_request("box", headers, body), now=at) == "hmac-sha256"
