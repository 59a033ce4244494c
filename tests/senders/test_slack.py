"""Slack, against its own SDK: slack_sdk 3.48.0's ``slack_sdk.signature.SignatureVerifier`` is the judge,
with the worked example of Slack's "Verifying requests from Slack" page (also in slack_sdk's tests).
X-Slack-Signature is ``v0=`` + hex HMAC-SHA256, with the app's Signing Secret, of
``v0:{X-Slack-Request-Timestamp}:{body}``. Window: 300 seconds either way, boundary included, exactly as
the SDK's ``abs(now - timestamp) > 60 * 5``. Setting the Request URL sends a signed url_verification,
answered with its challenge as text and never stored; slash commands are forms, interactivity a form
holding its JSON in ``payload``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the docs' worked example
SECRET = {"signing_secrets": [SIGNING_SECRET]}
DOCS_TIMESTAMP = 1531420618
DOCS_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SLASH_COMMAND = load_event("slack", "slash_command")["body"].encode()  # the docs' body, byte for byte
FORM = "application/x-www-form-urlencoded"
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
DOCS_HEADERS = {
    "Content-Type": FORM,
    "X-Slack-Request-Timestamp": str(DOCS_TIMESTAMP),
    "X-Slack-Signature": DOCS_SIGNATURE,
}
URL_VERIFICATION = (
    b'{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"'
    + CHALLENGE.encode()
    + b'","type":"url_verification"}'
)


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def slack_headers(
    body: bytes, at: int, secret: str = SIGNING_SECRET, content_type: str = FORM
) -> dict[str, str]:
    """As Slack signs: the SDK's own generate_signature."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(at), body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(at),
        "X-Slack-Signature": signature,
    }


def test_the_docs_worked_example_verifies_at_its_time_and_is_a_slash_command() -> None:
    headers = DOCS_HEADERS
    assert SignatureVerifier(SIGNING_SECRET, FixedClock(DOCS_TIMESTAMP)).is_valid_request(
        SLASH_COMMAND, headers
    )
    request = webhook_request("slack", headers, SLASH_COMMAND)
    assert verify("slack", SECRET, request, now=DOCS_TIMESTAMP) == "hmac-sha256"
    described = describe("slack", request)
    assert (described.event_type, described.subject, described.extra["team_id"]) == (
        "/webhook-collect",
        "G8PSS9T3V",
        "T1DC2JH3J",
    )


@pytest.mark.parametrize(
    ("sample", "content_type", "expected"),
    [
        ("app_mention", "application/json", ("app_mention", "Ev123ABC456", "C123ABC456", "T123ABC456")),
        ("message", "application/json", ("message", "Ev08MFMKH6", "C123ABC456", "T123ABC456")),
        ("slash_command", FORM, ("/webhook-collect", None, "G8PSS9T3V", "T1DC2JH3J")),
        ("block_actions", FORM, ("block_actions", None, "CBR2V3XEX", "T9TK3CUKW")),  # from payload
    ],
)
def test_what_the_sdk_signs_now_is_accepted_stored_and_described(
    sample: str, content_type: str, expected: tuple[str | None, ...]
) -> None:
    body = load_event("slack", sample)["body"].encode()
    headers = slack_headers(body, int(time.time()), content_type=content_type)
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    found = answer("slack", SECRET, headers, body)
    assert (found.status, found.content_type, found.json()["status"], len(found.stored)) == (
        200,
        "application/json",
        "accepted",
        1,
    )
    described = describe("slack", webhook_request("slack", headers, body))
    team = described.extra.get("team_id")
    assert (described.event_type, described.event_id, described.subject, team) == expected


def test_the_signed_url_verification_is_answered_with_its_challenge_and_not_stored() -> None:
    headers = slack_headers(URL_VERIFICATION, int(time.time()), content_type="application/json")
    found = answer("slack", SECRET, headers, URL_VERIFICATION)
    assert (found.status, found.content_type, found.body, found.stored) == (200, "text/plain", CHALLENGE, [])
    forged = slack_headers(URL_VERIFICATION, int(time.time()), "guessed", "application/json")
    assert refused(answer("slack", SECRET, forged, URL_VERIFICATION))
    stale = slack_headers(URL_VERIFICATION, int(time.time()) - 600, content_type="application/json")
    assert refused(answer("slack", SECRET, stale, URL_VERIFICATION))


@pytest.mark.parametrize(
    ("sample", "content_type"), [("app_mention", "application/json"), ("block_actions", FORM)]
)
def test_what_our_definition_signs_the_sdk_accepts(sample: str, content_type: str) -> None:
    body = load_event("slack", sample)["body"].encode()
    signed = providers.load("slack").sign(
        SubscriptionSecret.model_validate(SECRET), body, int(time.time()), "", {"content-type": content_type}
    )
    assert (dict(signed.query), signed.body) == ({}, None)
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, dict(signed.headers))
    found = answer("slack", SECRET, {"Content-Type": content_type, **signed.headers}, body)
    assert (found.status, found.json()["status"]) == (200, "accepted")


@pytest.mark.parametrize("offset", [-100_000, -301, -300.5, -300, -1, 0, 1, 299.9, 300, 300.5, 301, 100_000])
def test_the_window_is_the_sdks_300_seconds_either_way(offset: float) -> None:
    """Slack's timestamp is when it signed: ``now`` is our clock when the request arrives."""
    headers = DOCS_HEADERS
    now = DOCS_TIMESTAMP + offset
    sdk_accepts = SignatureVerifier(SIGNING_SECRET, FixedClock(now)).is_valid_request(SLASH_COMMAND, headers)
    try:
        ours = (
            verify("slack", SECRET, webhook_request("slack", headers, SLASH_COMMAND), now=now)
            == "hmac-sha256"
        )
    except Unauthorized:
        ours = False
    assert ours is sdk_accepts is (abs(offset) <= 300)


@pytest.mark.parametrize(
    "variant",
    [
        "other secret",
        "tampered body",
        "tampered timestamp",
        "stale",
        "from the future",
        "no signature",
        "no timestamp",
        "v1 prefix",
    ],
)
def test_forged_tampered_and_stale_requests_are_refused_with_401(variant: str) -> None:
    now, body = int(time.time()), SLASH_COMMAND
    at = {"stale": now - 600, "from the future": now + 600}.get(variant, now)
    headers: dict[str, Any] = slack_headers(
        body, at, "guessed" if variant == "other secret" else SIGNING_SECRET
    )
    if variant == "tampered body":
        body = body.replace(b"text=", b"text=rm+-rf")
    elif variant == "tampered timestamp":
        headers["X-Slack-Request-Timestamp"] = str(now - 1)
    elif variant == "no signature":
        del headers["X-Slack-Signature"]
    elif variant == "no timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif variant == "v1 prefix":
        headers["X-Slack-Signature"] = headers["X-Slack-Signature"].replace("v0=", "v1=")
    if "X-Slack-Signature" in headers and "X-Slack-Request-Timestamp" in headers:
        assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    assert refused(answer("slack", SECRET, headers, body))


@pytest.mark.parametrize("sample", sample_names("slack"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("slack", sample), demo_secret("slack")
    headers, body = event["headers"], event["body"].encode()
    at = int(headers["x-slack-request-timestamp"])
    assert SignatureVerifier(secret["signing_secrets"][0], FixedClock(at)).is_valid_request(body, headers)
    assert verify("slack", secret, webhook_request("slack", headers, body), now=at) == "hmac-sha256"
