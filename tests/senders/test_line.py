"""LINE Messaging API, against its own library: line-bot-sdk 3.27's ``linebot.v3.webhook.SignatureValidator``
(x-line-signature: base64 HMAC-SHA256 of the body with the channel secret) and ``WebhookParser`` (which
checks it and reads the batch into events). A request is a batch, ``events[]``: each event is published on
its own, identified by its webhookEventId (which a redelivery keeps). The console's Verify button posts a
signed batch of no event: answered 200, never stored. No timestamp is signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import SignatureValidator, WebhookParser

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

CHANNEL_SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
SECRET = {"signing_secrets": [CHANNEL_SECRET]}
BATCH = load_event("line", "batch")["body"].encode()
VERIFY = json.dumps({"destination": "xxxxxxxxxx", "events": []}).encode()


def line_signature(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    """As the LINE Platform signs (its docs' example): base64 of HMAC-SHA256(channel secret, body)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def sdk_accepts(body: bytes, signature: str, secret: str = CHANNEL_SECRET) -> bool:
    return bool(SignatureValidator(secret).validate(body.decode(), signature))


def test_what_line_signs_is_a_batch_each_event_stored_and_described_as_the_sdk_parses_it() -> None:
    headers = {"x-line-signature": line_signature(BATCH)}
    assert sdk_accepts(BATCH, headers["x-line-signature"])
    parsed = WebhookParser(CHANNEL_SECRET).parse(BATCH.decode(), headers["x-line-signature"])
    assert verify("line", SECRET, webhook_request("line", headers, BATCH)) == "hmac-sha256"
    found = answer("line", SECRET, headers, BATCH)
    assert (found.status, len(found.stored)) == (200, 1)  # the batch is stored once
    described = describe("line", webhook_request("line", headers, BATCH))
    assert [(e.event_type, e.event_id) for e in described.elements] == [
        (event.type, event.webhook_event_id) for event in parsed
    ]
    assert [e.extra["mode"] for e in described.elements] == ["active", "active"]
    assert described.elements[0].occurred_at.startswith("2026-03-10T14:45:00.462")


def test_the_verify_buttons_empty_batch_is_answered_200_and_not_stored() -> None:
    headers = {"x-line-signature": line_signature(VERIFY)}
    assert WebhookParser(CHANNEL_SECRET).parse(VERIFY.decode(), headers["x-line-signature"]) == []
    found = answer("line", SECRET, headers, VERIFY)
    assert (found.status, found.stored) == (200, [])
    assert refused(answer("line", SECRET, {"x-line-signature": line_signature(VERIFY, "guessed")}, VERIFY))


def test_what_our_definition_signs_is_what_the_sdk_accepts() -> None:
    signed = providers.load("line").sign(SubscriptionSecret.model_validate(SECRET), BATCH, 0, "", {})
    assert sdk_accepts(BATCH, signed.headers["x-line-signature"])


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "hex"])
def test_forged_and_tampered_requests_are_refused_as_the_sdk_refuses_them(variant: str) -> None:
    body, signature = BATCH, line_signature(BATCH)
    if variant == "tampered body":
        body = BATCH.replace(b"itemid=111", b"itemid=112")
    elif variant == "other secret":
        signature = line_signature(BATCH, "0" * 32)
    elif variant == "hex":
        signature = hmac.new(CHANNEL_SECRET.encode(), BATCH, hashlib.sha256).hexdigest()
    if variant != "no signature":
        with pytest.raises(InvalidSignatureError):
            WebhookParser(CHANNEL_SECRET).parse(body.decode(), signature)
    headers = {} if variant == "no signature" else {"x-line-signature": signature}
    assert refused(answer("line", SECRET, headers, body))


@pytest.mark.parametrize("sample", sample_names("line"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("line", sample), demo_secret("line")
    body = event["body"].encode()
    assert sdk_accepts(body, event["headers"]["x-line-signature"], secret["signing_secrets"][0])
    assert verify("line", secret, webhook_request("line", event["headers"], body)) == "hmac-sha256"
