"""Calendly, against its documentation: Calendly publishes no library that verifies a webhook ("Calendly has
no SDK verification helper"), so the signature is computed here exactly as its page "Webhook Signatures"
states, independently of our signer: Calendly-Webhook-Signature: ``t=<unix>,v1=<hex>``, v1 the hex
HMAC-SHA256 of ``{t}.{body}`` with the subscription's signing key, and a t older than three minutes
refused (the page's ``three_minutes``). Calendly sends no event id: dedupe is on the signed content.

Searched for a library or published vector (PyPI: calendly, calendly-py, calendly-python, all API
clients; the docs, pages and code corpora): only third-party re-implementations, no signature/body pair."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from hookbridge.errors import Unauthorized
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "calendly_demo_signing_key"
SECRET = {"signing_secrets": [KEY]}
BODY = load_event("calendly", "invitee.created")["body"].encode()


def calendly_header(body: bytes, at: int, key: str = KEY) -> dict[str, str]:
    """As Calendly's page writes it: split on ",", then "=": t and v1; HMAC-SHA256 of t + "." + body."""
    v1 = hmac.new(key.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Calendly-Webhook-Signature": f"t={at},v1={v1}"}


def test_what_calendly_signs_is_accepted_stored_and_described() -> None:
    headers = calendly_header(BODY, int(time.time()))
    assert verify("calendly", SECRET, webhook_request("calendly", headers, BODY)) == "hmac-sha256"
    found = answer("calendly", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("calendly", webhook_request("calendly", headers, BODY))
    assert (described.event_type, described.event_id, described.occurred_at) == (
        "invitee.created",
        None,
        "2026-03-10T14:45:00.000000Z",
    )
    assert described.subject.endswith("/invitees/AAAAAAAAAAAAAAAA")


@pytest.mark.parametrize("variant", ["tampered body", "other key", "no signature", "other t", "v0 only"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    at, body = int(time.time()), BODY
    headers = calendly_header(body, at, "guessed" if variant == "other key" else KEY)
    if variant == "tampered body":
        body = body.replace(b"John Doe", b"Jane Doe")
    elif variant == "no signature":
        headers = {}
    elif variant == "other t":
        headers["Calendly-Webhook-Signature"] = headers["Calendly-Webhook-Signature"].replace(
            f"t={at}", f"t={at - 1}"
        )
    elif variant == "v0 only":
        headers["Calendly-Webhook-Signature"] = headers["Calendly-Webhook-Signature"].replace("v1=", "v0=")
    assert refused(answer("calendly", SECRET, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(179, True), (-179, True), (181, False), (-181, False)])
def test_the_window_is_calendlys_three_minutes(age: int, accepted: bool) -> None:
    signed_at = 1_800_000_000
    request = webhook_request("calendly", calendly_header(BODY, signed_at), BODY)
    if accepted:
        assert verify("calendly", SECRET, request, now=signed_at + age) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("calendly", SECRET, request, now=signed_at + age)


@pytest.mark.parametrize("sample", sample_names("calendly"))
def test_the_shipped_samples_are_signed_as_calendlys_page_says(sample: str) -> None:
    event, secret = load_event("calendly", sample), demo_secret("calendly")
    body = event["body"].encode()
    at = int(event["headers"]["calendly-webhook-signature"].split(",")[0].removeprefix("t="))
    expected = calendly_header(body, at, secret["signing_secrets"][0])["Calendly-Webhook-Signature"]
    assert event["headers"]["calendly-webhook-signature"] == expected
    assert (
        verify("calendly", secret, webhook_request("calendly", event["headers"], body), now=at)
        == "hmac-sha256"
    )
