"""Twitch EventSub (webhook transport), against its documentation: Twitch publishes no Python library, and
its reference tool (twitch-cli) is Go; the page "Handling webhook events" gives the scheme, computed here
independently of our definition: ``Twitch-Eventsub-Message-Signature: sha256=`` + hex HMAC-SHA256 of the
message id, the timestamp (both headers, byte for byte) and the raw body; a timestamp older than 10
minutes is a replay. The challenge of ``webhook_callback_verification`` is answered 200 ``text/plain``
with the challenge alone (twitch-cli checks status, media type and body)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from hookbridge.errors import Unauthorized
from tests.support.senders import answer, describe, refused, verify, webhook_request

SECRET = {"signing_secrets": ["s3cRe7-between-10-and-100-chars"]}
MESSAGE_ID = "e76c6bd4-55c9-4987-8304-da1588d8988b"
SUBSCRIPTION = {
    "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
    "type": "channel.follow",
    "version": "2",
    "status": "enabled",
    "cost": 0,
    "condition": {"broadcaster_user_id": "1337", "moderator_user_id": "1337"},
    "transport": {"method": "webhook", "callback": "https://example.com/webhooks/callback"},
    "created_at": "2019-11-16T10:11:12.634234626Z",
}
NOTIFICATION = json.dumps(
    {"subscription": SUBSCRIPTION, "event": {"user_id": "1234", "broadcaster_user_id": "1337"}}
).encode()
CHALLENGE = json.dumps(
    {
        "challenge": "pogchamp-kappa-360noscope-vohiyo",
        "subscription": SUBSCRIPTION | {"status": "webhook_callback_verification_pending"},
    }
).encode()


def rfc3339(at: datetime) -> str:
    """As Twitch sends it: nanoseconds, Z."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def twitch_headers(
    body: bytes, kind: str, at: datetime, secret: str = SECRET["signing_secrets"][0]
) -> dict[str, str]:
    stamp = rfc3339(at)
    digest = hmac.new(
        secret.encode(), MESSAGE_ID.encode() + stamp.encode() + body, hashlib.sha256
    ).hexdigest()
    return {
        "Twitch-Eventsub-Message-Id": MESSAGE_ID,
        "Twitch-Eventsub-Message-Timestamp": stamp,
        "Twitch-Eventsub-Message-Signature": f"sha256={digest}",
        "Twitch-Eventsub-Message-Type": kind,
        "Twitch-Eventsub-Message-Retry": "0",
        "Twitch-Eventsub-Subscription-Type": "channel.follow",
        "Twitch-Eventsub-Subscription-Version": "2",
    }


def test_a_notification_is_accepted_and_described_by_its_subscription_type_and_message_id() -> None:
    headers = twitch_headers(NOTIFICATION, "notification", datetime.now(UTC))
    found = answer("twitch", SECRET, headers, NOTIFICATION)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("twitch", webhook_request("twitch", headers, NOTIFICATION))
    assert (described.event_type, described.event_id, described.subject) == (
        "channel.follow",
        MESSAGE_ID,
        "1337",
    )
    assert described.extra["message_type"] == "notification"


def test_the_challenge_is_answered_as_plain_text_and_not_stored() -> None:
    headers = twitch_headers(CHALLENGE, "webhook_callback_verification", datetime.now(UTC))
    found = answer("twitch", SECRET, headers, CHALLENGE)
    assert (found.status, found.content_type, found.body, found.stored) == (
        200,
        "text/plain",
        "pogchamp-kappa-360noscope-vohiyo",
        [],
    )


def test_a_forged_challenge_learns_nothing() -> None:
    headers = twitch_headers(CHALLENGE, "webhook_callback_verification", datetime.now(UTC), secret="guessed")
    found = answer("twitch", SECRET, headers, CHALLENGE)
    assert refused(found)
    assert "pogchamp" not in found.body


@pytest.mark.parametrize("minutes", [-10, 9.9, 10])
def test_within_ten_minutes_either_way_passes(minutes: float) -> None:
    now = datetime(2026, 3, 10, 14, 45, 1, tzinfo=UTC)
    headers = twitch_headers(NOTIFICATION, "notification", now - timedelta(minutes=minutes))
    assert (
        verify("twitch", SECRET, webhook_request("twitch", headers, NOTIFICATION), now.timestamp())
        == "hmac-sha256"
    )


@pytest.mark.parametrize("minutes", [10.02, -10.02, 60 * 24])
def test_outside_ten_minutes_is_a_replay(minutes: float) -> None:
    now = datetime(2026, 3, 10, 14, 45, 1, tzinfo=UTC)
    headers = twitch_headers(NOTIFICATION, "notification", now - timedelta(minutes=minutes))
    with pytest.raises(Unauthorized):
        verify("twitch", SECRET, webhook_request("twitch", headers, NOTIFICATION), now.timestamp())


@pytest.mark.parametrize("variant", ["tampered body", "other message id", "other timestamp", "other secret"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    now = datetime.now(UTC)
    headers, body = twitch_headers(NOTIFICATION, "notification", now), NOTIFICATION
    if variant == "tampered body":
        body = NOTIFICATION.replace(b"1234", b"4321")
    elif variant == "other message id":
        headers["Twitch-Eventsub-Message-Id"] = "00000000-55c9-4987-8304-da1588d8988b"
    elif variant == "other timestamp":
        headers["Twitch-Eventsub-Message-Timestamp"] = rfc3339(now - timedelta(seconds=1))
    else:
        headers = twitch_headers(NOTIFICATION, "notification", now, secret="guessed")
    assert refused(answer("twitch", SECRET, headers, body))
