"""Zoom, against Zoom's own library: @zoom/rivet 0.4.0 (JavaScript; Zoom publishes none for Python). Its
``CommonHttpRequest.isEventVerified`` and ``hashUrlValidationEvent`` were run on Node 20 and judged these
vectors (the signature below accepted, a one-character change of the body refused; the url_validation
answer its receiver wrote). Rivet sets no time window, and neither does Zoom's documentation: a replay
is a duplicate of the same content within the dedupe window.

Rivet signs ``JSON.stringify`` of the parsed body rather than the bytes received; the two are the same for
the compact JSON Zoom sends. We verify the raw bytes, as Zoom's documentation says."""

from __future__ import annotations

import json

import pytest

from hookbridge.errors import Unauthorized
from tests.support.senders import answer, describe, refused, verify, webhook_request

SECRET = {"signing_secrets": ["zoom_demo_secret_token"]}
TIMESTAMP = "1773153901"
MEETING_STARTED = (
    b'{"event":"meeting.started","event_ts":1626230691572,"payload":{"account_id":"AAAAAABBBB","object":'
    b'{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":'
    b'"My Meeting","type":8,"start_time":"2021-07-13T21:44:51Z","timezone":"America/Los_Angeles",'
    b'"duration":60}}}'
)
RIVET_ACCEPTED = "v0=526de5f29b2ed4f040068a335825e596f4d8f211da9a6daa337ecf6cc7d3440d"
URL_VALIDATION = (
    b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,'
    b'"event":"endpoint.url_validation"}'
)
URL_VALIDATION_SIGNATURE = "v0=0a709b289b2efdb374a5f9f8bf35cd7d952be9d84d9e0b2aeae1a494b7b8b7a0"
RIVET_ANSWER = {
    "encryptedToken": "a4c57e0fb3d36dee0a81dc645cf7b37e65d18071cb80718b789c09efb3f7f888",
    "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
}


def zoom_headers(signature: str, stamp: str = TIMESTAMP) -> dict[str, str]:
    return {"x-zm-signature": signature, "x-zm-request-timestamp": stamp, "content-type": "application/json"}


def test_what_rivet_accepts_we_accept_and_describe() -> None:
    request = webhook_request("zoom", zoom_headers(RIVET_ACCEPTED), MEETING_STARTED)
    assert verify("zoom", SECRET, request, now=int(TIMESTAMP)) == "hmac-sha256"
    described = describe("zoom", request)
    assert (described.event_type, described.event_id, described.subject) == (
        "meeting.started",
        None,
        "4444AAAiAAAAAiAiAiiAii==",
    )
    assert described.occurred_at == "2021-07-14T02:44:51.572Z"


def test_we_sign_what_rivet_accepts() -> None:
    from hookbridge.providers import load
    from hookbridge.subscription import SubscriptionSecret

    signed = load("zoom").sign(SubscriptionSecret.model_validate(SECRET), MEETING_STARTED, int(TIMESTAMP))
    assert signed.headers["x-zm-signature"] == RIVET_ACCEPTED


def test_the_url_validation_is_answered_as_rivet_answers_it_and_not_stored() -> None:
    found = answer("zoom", SECRET, zoom_headers(URL_VALIDATION_SIGNATURE), URL_VALIDATION, now=int(TIMESTAMP))
    assert (found.status, found.content_type, found.stored) == (200, "application/json", [])
    assert json.loads(found.body) == RIVET_ANSWER


def test_a_url_validation_rivet_refuses_gets_401_and_no_token() -> None:
    forged = URL_VALIDATION_SIGNATURE[:-1] + "1"
    found = answer("zoom", SECRET, zoom_headers(forged), URL_VALIDATION)
    assert refused(found)
    assert "encryptedToken" not in found.body


@pytest.mark.parametrize(("age", "accepted"), [(10_799, True), (-10_799, True), (10_801, False)])
def test_our_window_of_three_hours_covers_zooms_retries(age: int, accepted: bool) -> None:
    """Zoom sets none; ours is 3 h either way (its last retry is about 90 minutes after the first try)."""
    request = webhook_request("zoom", zoom_headers(RIVET_ACCEPTED), MEETING_STARTED)
    now = int(TIMESTAMP) + age
    if accepted:
        assert verify("zoom", SECRET, request, now=now) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("zoom", SECRET, request, now=now)


@pytest.mark.parametrize(
    "variant",
    ["a character of the body (Rivet refused it)", "the timestamp", "the signature", "no signature"],
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    body, headers = MEETING_STARTED, zoom_headers(RIVET_ACCEPTED)
    if variant.startswith("a character"):
        body = MEETING_STARTED.replace(b"My Meeting", b"My Meetinh")
    elif variant == "the timestamp":
        headers = zoom_headers(RIVET_ACCEPTED, "1773153902")
    elif variant == "the signature":
        headers = zoom_headers(RIVET_ACCEPTED[:-1] + "e")
    else:
        headers = {"x-zm-request-timestamp": TIMESTAMP}
    assert refused(answer("zoom", SECRET, headers, body))
    with pytest.raises(Unauthorized):
        verify("zoom", SECRET, webhook_request("zoom", headers, body))
