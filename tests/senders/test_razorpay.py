"""Razorpay, against its own SDK: razorpay 2.0.1 (``razorpay.Utility.verify_webhook_signature``, which
raises ``SignatureVerificationError`` on a mismatch) is the judge. ``X-Razorpay-Signature`` is the hex
HMAC-SHA256 of the raw body with the webhook's secret, used as text; no timestamp is signed. The event id,
``X-Razorpay-Event-Id``, is a header no signature covers: published, but the body identifies a request."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import razorpay  # type: ignore[import-untyped]
from razorpay.errors import SignatureVerificationError  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, verify, webhook_request

EVENTS = Path(__file__).resolve().parents[2] / "events" / "razorpay"
KEY = json.loads((EVENTS / "demo-secret.json").read_text())["signing_secrets"][0]
SECRET = {"signing_secrets": [KEY]}
SAMPLE = json.loads((EVENTS / "payment.captured.json").read_text())
BODY = SAMPLE["body"].encode()
UTILITY = razorpay.Utility()


def razorpay_accepts(body: bytes, signature: str, key: str = KEY) -> bool:
    try:
        return bool(UTILITY.verify_webhook_signature(body.decode(), signature, key))
    except SignatureVerificationError:
        return False


def signed_by_us(body: bytes) -> str:
    signed = providers.load("razorpay").sign(SubscriptionSecret.model_validate(SECRET), body, 1_773_153_901)
    return dict(signed.headers)["X-Razorpay-Signature"]


def test_the_sample_as_razorpay_signs_it_is_accepted_by_its_sdk_and_by_us() -> None:
    headers = {k: v for k, v in SAMPLE["headers"].items() if k.startswith("x-razorpay")}
    assert razorpay_accepts(BODY, headers["x-razorpay-signature"])
    assert verify("razorpay", SECRET, webhook_request("razorpay", headers, BODY)) == "hmac-sha256"
    found = answer("razorpay", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("razorpay", webhook_request("razorpay", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "payment.captured",
        headers["x-razorpay-event-id"],
        "pay_DESlfW9H8K9uqM",
        "2019-09-05T09:10:06Z",
    )
    assert described.extra["account_id"] == "acc_BFQ7uQEaa7j2z7"


def test_what_our_definition_signs_is_accepted_by_razorpays_sdk() -> None:
    assert razorpay_accepts(BODY, signed_by_us(BODY))
    assert not razorpay_accepts(BODY.replace(b'"captured"', b'"refunded"'), signed_by_us(BODY))


def test_the_subject_of_a_refund_is_the_refund_before_its_payment() -> None:
    body = json.dumps(
        {
            "entity": "event",
            "event": "refund.processed",
            "contains": ["refund", "payment"],
            "payload": {
                "refund": {"entity": {"id": "rfnd_FP8QHiV938haTz"}},
                "payment": {"entity": {"id": "pay_FP8Q2kd8cDDzu8"}},
            },
            "created_at": 1600000000,
        }
    ).encode()
    headers = {"X-Razorpay-Signature": signed_by_us(body)}
    assert razorpay_accepts(body, headers["X-Razorpay-Signature"])
    assert describe("razorpay", webhook_request("razorpay", headers, body)).subject == "rfnd_FP8QHiV938haTz"


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "base64 signature"])
def test_forged_and_tampered_requests_are_refused_by_razorpays_sdk_and_by_us(variant: str) -> None:
    signature, body, secret = signed_by_us(BODY), BODY, SECRET
    if variant == "tampered body":
        body = BODY.replace(b"pay_DESlfW9H8K9uqM", b"pay_DESlfW9H8K9uqN")
    elif variant == "other secret":
        secret = {"signing_secrets": ["guessed"]}
    elif variant == "base64 signature":
        signature = base64.b64encode(bytes.fromhex(signature)).decode()
    if variant != "no signature":
        assert not razorpay_accepts(body, signature, secret["signing_secrets"][0])
    headers = {} if variant == "no signature" else {"X-Razorpay-Signature": signature}
    assert refused(answer("razorpay", secret, headers, body))
