"""Intercom, against its documentation: Intercom's Python client (python-intercom) verifies no webhook; its
page "Setting up webhooks" gives the scheme, computed here independently of our definition:
``X-Hub-Signature: sha1=`` + hex HMAC-SHA1 of the raw body with the app's client_secret. Saving the URL
sends a signed ``ping`` notification: answered 200, never stored. A notification's id (``notif_...``) is
the same for every retry, whose ``delivery_attempts`` changes, so a retry is a duplicate of its id.

Searched for a library or published vector (PyPI: python-intercom and unofficial clients; the docs,
pages and code corpora; Intercom's pages): none verifies, and no signature/body pair is published."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

CLIENT_SECRET = "intercom_demo_client_secret"
SECRET = {"signing_secrets": [CLIENT_SECRET]}
NOTIFICATION = {
    "type": "notification_event",
    "app_id": "ecahpwf5",
    "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": "147"}},
    "links": {},
    "id": "notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e",
    "topic": "conversation.user.created",
    "delivery_status": "pending",
    "delivery_attempts": 1,
    "delivered_at": 0,
    "first_sent_at": 1571080403,
    "created_at": 1571080403,
    "self": None,
}
BODY = json.dumps(NOTIFICATION).encode()
PING = json.dumps(
    NOTIFICATION
    | {"id": None, "topic": "ping", "data": {"type": "notification_event_data", "item": {"type": "ping"}}}
).encode()


def intercom_headers(body: bytes, secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()}


def test_a_notification_is_accepted_stored_and_described() -> None:
    headers = intercom_headers(BODY)
    assert verify("intercom", SECRET, webhook_request("intercom", headers, BODY)) == "hmac-sha1"
    found = answer("intercom", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("intercom", webhook_request("intercom", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "conversation.user.created",
        "notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e",
        "147",
        "2019-10-14T19:13:23Z",
    )


def test_a_retry_is_identified_by_the_same_notification_id() -> None:
    retry = json.dumps(NOTIFICATION | {"delivery_attempts": 2}).encode()
    described = describe("intercom", webhook_request("intercom", intercom_headers(retry), retry))
    assert described.event_id == "notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e"


def test_the_signed_ping_is_answered_200_and_not_stored() -> None:
    found = answer("intercom", SECRET, intercom_headers(PING), PING)
    assert (found.status, found.stored) == (200, [])


def test_a_forged_ping_is_refused() -> None:
    assert refused(answer("intercom", SECRET, intercom_headers(PING, "guessed"), PING))


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "without sha1=", "sha256 in place of sha1"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = intercom_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b'"147"', b'"148"')
    elif variant == "other secret":
        headers = intercom_headers(BODY, "guessed")
    elif variant == "no signature":
        headers = {}
    elif variant == "without sha1=":
        headers["X-Hub-Signature"] = headers["X-Hub-Signature"].removeprefix("sha1=")
    else:
        digest = hmac.new(CLIENT_SECRET.encode(), BODY, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={digest}"
    assert refused(answer("intercom", SECRET, headers, body))
