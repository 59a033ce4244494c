"""Mollie (next-gen webhooks), against its documentation: Mollie's Python client (mollie-api-python)
verifies no webhook; its page "Webhooks: Best practices" gives the scheme, computed here independently of
our definition: HMAC-SHA256 of the raw body with the subscription's shared secret, hex, in
``X-Mollie-Signature`` after ``sha256=``; while a secret rotates Mollie signs with both (the header
repeated, which API Gateway joins with commas). No timestamp is signed: the event's own id is the dedupe
key."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

SHARED_SECRET = "mollie_demo_shared_secret"
SECRET = {"signing_secrets": [SHARED_SECRET]}
BODY = json.dumps(
    {
        "resource": "event",
        "id": "event_GvJ8WHrp5isUdRub9CJyH",
        "type": "payment-link.paid",
        "entityId": "pl_qng5gbbv8NAZ5gpM5ZYgx",
        "createdAt": "2024-12-16T15:57:04.0Z",
        "_embedded": {"entity": {"resource": "payment-link", "id": "pl_qng5gbbv8NAZ5gpM5ZYgx"}},
    }
).encode()


def mollie_signature(body: bytes, secret: str = SHARED_SECRET) -> str:
    """As the page's Python example computes it (hmac.new(secret, payload, sha256).hexdigest())."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_an_event_is_accepted_stored_and_described() -> None:
    headers = {"X-Mollie-Signature": mollie_signature(BODY)}
    assert verify("mollie", SECRET, webhook_request("mollie", headers, BODY)) == "hmac-sha256"
    found = answer("mollie", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("mollie", webhook_request("mollie", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "payment-link.paid",
        "event_GvJ8WHrp5isUdRub9CJyH",
        "pl_qng5gbbv8NAZ5gpM5ZYgx",
        "2024-12-16T15:57:04.0Z",
    )


def test_during_a_rotation_either_signature_of_the_repeated_header_passes() -> None:
    joined = mollie_signature(BODY, "the-old-secret") + "," + mollie_signature(BODY)
    assert verify("mollie", SECRET, webhook_request("mollie", {"X-Mollie-Signature": joined}, BODY)) == (
        "hmac-sha256"
    )


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "without sha256=", "a classic webhook"]
)
def test_forged_tampered_and_unsigned_requests_are_refused_with_401(variant: str) -> None:
    signature, body = mollie_signature(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"pl_qng5", b"pl_xxxx")
    elif variant == "other secret":
        signature = mollie_signature(BODY, "guessed")
    elif variant == "without sha256=":
        signature = signature.removeprefix("sha256=")
    headers = {} if variant in ("no signature", "a classic webhook") else {"X-Mollie-Signature": signature}
    if variant == "a classic webhook":  # a payment's webhookUrl: a form with its id, unsigned
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = b"id=tr_d0b0E3EA3v"
    assert refused(answer("mollie", SECRET, headers, body))
