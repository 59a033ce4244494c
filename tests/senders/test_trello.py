"""Trello, against its documentation: py-trello creates and deletes webhooks and checks none, and Trello's
page publishes no worked example with a secret. Its "Webhook signatures" section states the scheme, computed
here independently of our definition: ``X-Trello-Webhook`` = base64 HMAC-SHA1 with the application's
secret of the body followed by the webhook's callbackURL (Trello's Node example: ``body + callbackURL``).
Creating the webhook sends "a quick HTTP HEAD request", which must answer 200: answered, never stored. An
action's id is the same on every retry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

APP_SECRET = "trello_demo_oauth_secret"
SECRET = {"signing_secrets": [APP_SECRET]}
CALLBACK = url_for("trello")
BODY = json.dumps(
    {
        "action": {
            "id": "65f1c2d3e4a5b6c7d8e9f001",
            "idMemberCreator": "5a4b7e3c9f1a2b3c4d5e6fa3",
            "type": "createCard",
            "date": "2026-03-10T14:45:00.123Z",
            "data": {"card": {"id": "5a4b7e3c9f1a2b3c4d5e6f81", "name": "Caf\u00e9 menu"}},
        },
        "model": {"id": "5a4b7e3c9f1a2b3c4d5e6f70", "name": "Roadmap"},
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode()


def trello_headers(body: bytes, callback: str = CALLBACK, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body + callback.encode(), hashlib.sha1).digest()
    return {"X-Trello-Webhook": base64.b64encode(digest).decode()}


def test_an_action_is_accepted_stored_and_described() -> None:
    headers = trello_headers(BODY)
    assert verify("trello", SECRET, webhook_request("trello", headers, BODY)) == "hmac-sha1"
    found = answer("trello", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("trello", webhook_request("trello", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "createCard",
        "65f1c2d3e4a5b6c7d8e9f001",
        "5a4b7e3c9f1a2b3c4d5e6f70",
        "2026-03-10T14:45:00.123Z",
    )


def test_the_callback_url_given_to_trello_is_the_one_signed() -> None:
    """Behind a custom domain the function sees another URL: the secret's url is the callbackURL signed."""
    given = "https://hooks.example.org/trello/demo"
    headers = trello_headers(BODY, given)
    assert refused(answer("trello", SECRET, headers, BODY))
    assert verify("trello", {**SECRET, "url": given}, webhook_request("trello", headers, BODY)) == "hmac-sha1"


def test_the_head_is_answered_200_with_no_body_and_never_stored() -> None:
    found = answer("trello", SECRET, {}, b"", method="HEAD")
    assert (found.status, found.body, found.stored) == (200, "", [])


def test_a_head_to_no_subscription_is_not_found() -> None:
    found = answer("trello", SECRET, {}, b"", url=CALLBACK.replace("/demo", "/other"), method="HEAD")
    assert (found.status, found.stored) == (404, [])


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "body only", "another callback", "hex"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = trello_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"createCard", b"deleteCard")
    elif variant == "other secret":
        headers = trello_headers(BODY, secret="guessed")
    elif variant == "no signature":
        headers = {}
    elif variant == "body only":
        digest = hmac.new(APP_SECRET.encode(), BODY, hashlib.sha1).digest()
        headers["X-Trello-Webhook"] = base64.b64encode(digest).decode()
    elif variant == "another callback":
        headers = trello_headers(BODY, CALLBACK.replace("/demo", "/other"))
    else:
        digest_hex = hmac.new(APP_SECRET.encode(), BODY + CALLBACK.encode(), hashlib.sha1).hexdigest()
        headers["X-Trello-Webhook"] = digest_hex
    assert refused(answer("trello", SECRET, headers, body))
