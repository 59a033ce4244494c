"""Lemon Squeezy, against its documentation: Lemon Squeezy publishes no Python library that verifies a
webhook (the ``lemonsqueezy`` package on PyPI is unofficial), so the signature is computed here as its page
"Signing requests" states, independently of our signer: X-Signature is the hex HMAC-SHA256 of the raw body
with the webhook's signing secret. No timestamp is signed, and no event id sent: a retry is a duplicate of
its content. The event's name is meta.event_name (the unsigned X-Event-Name header is not read).

Searched for a library or published vector (PyPI: ``lemonsqueezy``, unofficial; the docs, pages and
code corpora): only third-party re-implementations, no signature/body pair of Lemon Squeezy's."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "lemonsqueezy_demo_signing_secret"
SECRET = {"signing_secrets": [KEY]}
BODY = load_event("lemonsqueezy", "subscription_updated")["body"].encode()


def x_signature(body: bytes, key: str = KEY) -> str:
    """As the page's example: crypto.createHmac('sha256', secret).update(rawBody).digest('hex')."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def test_what_lemon_squeezy_signs_is_accepted_stored_and_described() -> None:
    headers = {"X-Signature": x_signature(BODY), "X-Event-Name": "subscription_updated"}
    assert verify("lemonsqueezy", SECRET, webhook_request("lemonsqueezy", headers, BODY)) == "hmac-sha256"
    found = answer("lemonsqueezy", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("lemonsqueezy", webhook_request("lemonsqueezy", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "subscription_updated",
        None,
        "1",
    )


def test_the_unsigned_event_name_header_says_nothing() -> None:
    headers = {"X-Signature": x_signature(BODY), "X-Event-Name": "order_refunded"}
    described = describe("lemonsqueezy", webhook_request("lemonsqueezy", headers, BODY))
    assert described.event_type == "subscription_updated"


@pytest.mark.parametrize("variant", ["tampered body", "other key", "no signature", "base64"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    body, signature = BODY, x_signature(BODY)
    if variant == "tampered body":
        body = BODY.replace(b'"active"', b'"expired"')
    elif variant == "other key":
        signature = x_signature(BODY, "guessed")
    elif variant == "base64":
        import base64

        signature = base64.b64encode(bytes.fromhex(signature)).decode()
    headers = {} if variant == "no signature" else {"X-Signature": signature}
    assert refused(answer("lemonsqueezy", SECRET, headers, body))


@pytest.mark.parametrize("sample", sample_names("lemonsqueezy"))
def test_the_shipped_samples_are_signed_as_the_page_says(sample: str) -> None:
    event, secret = load_event("lemonsqueezy", sample), demo_secret("lemonsqueezy")
    body = event["body"].encode()
    assert event["headers"]["x-signature"] == x_signature(body, secret["signing_secrets"][0])
    assert (
        verify("lemonsqueezy", secret, webhook_request("lemonsqueezy", event["headers"], body))
        == "hmac-sha256"
    )
