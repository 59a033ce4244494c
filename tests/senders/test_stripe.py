"""Stripe, proven against its own library (the `stripe` package)."""

from __future__ import annotations

import time

import pytest
import stripe

from hookbridge.errors import Unauthorized
from hookbridge.providers import load
from tests.support.senders import describe, request, secret

STRIPE_SECRET = "whsec_test_secret_5e3bd5ac4d1b"
STRIPE_BODY = (
    b'{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","created":1773153898,'
    b'"type":"invoice.paid","data":{"object":{"id":"in_1"}}}'
)


def test_stripe_accepts_what_the_stripe_library_signs() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now)
    req = request("stripe", {"Stripe-Signature": header}, STRIPE_BODY)
    assert load("stripe").verify(req, secret(STRIPE_SECRET), now) == "hmac-sha256"
    described = describe("stripe", req)
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "invoice.paid",
        "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "in_1",
        "2026-03-10T14:44:58Z",
    )


def test_the_stripe_library_accepts_what_we_sign() -> None:
    now = int(time.time())
    header = load("stripe").sign(secret(STRIPE_SECRET), STRIPE_BODY, now).headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)


def test_stripe_several_signatures_and_a_v0_pass_like_the_library() -> None:
    now = int(time.time())
    genuine = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now)
    v1 = genuine.split("v1=")[1]
    header = f"t={now},v1={'0' * 64},v0={'1' * 64},v1={v1}"
    assert stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)
    assert load("stripe").verify(
        request("stripe", {"Stripe-Signature": header}, STRIPE_BODY), secret(STRIPE_SECRET), now
    )


def test_stripe_stale_signature_is_refused_like_the_library() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)
    with pytest.raises(Unauthorized, match="tolerance"):
        load("stripe").verify(
            request("stripe", {"Stripe-Signature": header}, STRIPE_BODY), secret(STRIPE_SECRET), now
        )
