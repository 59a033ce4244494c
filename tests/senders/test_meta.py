"""Meta (WhatsApp Cloud API, Messenger, Instagram), against its documentation: Meta publishes no library
that verifies a webhook and no worked example with a secret. Its "Getting started" page states the scheme:
``X-Hub-Signature-256: sha256=`` + hex HMAC-SHA256 of the raw payload with the App Secret, computed here
independently of our definition; and the verification request, a GET with ``hub.mode=subscribe``,
``hub.verify_token`` and ``hub.challenge``, answered with the challenge when the token is the one set in
the App Dashboard. No timestamp is signed; Meta's payloads have no envelope id."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

SECRET = {"signing_secrets": ["app-secret-from-app-dashboard"], "verify_token": "dashboard-verify-token"}
# Meta sends JSON with non-ASCII escaped (\u00e9): the raw bytes are what is signed, never a re-serialisation.
BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":'
    b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",'
    b'"phone_number_id":"106540352242922"},"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1",'
    b'"timestamp":"1749416383","type":"text","text":{"body":"caf\\u00e9?"}}]},"field":"messages"},'
    b'{"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},'
    b'"statuses":[{"id":"wamid.HBgLMTY2","status":"read"}]},"field":"messages"}]}]}'
)


def meta_signature(secret: str, payload: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def test_a_signed_batch_is_accepted_once_and_described_one_event_per_change() -> None:
    headers = {"X-Hub-Signature-256": meta_signature("app-secret-from-app-dashboard", BODY)}
    request = webhook_request("meta", headers, BODY)
    assert verify("meta", SECRET, request) == "hmac-sha256"
    found = answer("meta", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    elements = describe("meta", request).elements
    assert [(e.event_type, e.pointer, e.subject) for e in elements] == [
        ("messages", ("entry", 0, "changes", 0), "106540352242922"),
        ("messages", ("entry", 0, "changes", 1), "106540352242922"),
    ]


def test_messenger_events_are_named_by_their_kind() -> None:
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "1",
                    "time": 1458692752478,
                    "messaging": [
                        {"sender": {"id": "6789"}, "recipient": {"id": "1"}, "postback": {"payload": "GO"}},
                        {"sender": {"id": "6789"}, "recipient": {"id": "1"}, "read": {"watermark": 1}},
                    ],
                }
            ],
        }
    ).encode()
    request = webhook_request("meta", {"X-Hub-Signature-256": meta_signature("x", body)}, body)
    assert [(e.event_type, e.subject) for e in describe("meta", request).elements] == [
        ("postback", "6789"),
        ("read", "6789"),
    ]


def test_a_re_serialised_body_is_not_what_meta_signed() -> None:
    headers = {"X-Hub-Signature-256": meta_signature("app-secret-from-app-dashboard", BODY)}
    reserialised = json.dumps(json.loads(BODY), ensure_ascii=False, separators=(",", ":")).encode()
    assert refused(answer("meta", SECRET, headers, reserialised))


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "sha1 header only"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    signature, body = meta_signature("app-secret-from-app-dashboard", BODY), BODY
    headers = {"X-Hub-Signature-256": signature}
    if variant == "tampered body":
        body = BODY.replace(b"read", b"sent")
    elif variant == "other secret":
        headers = {"X-Hub-Signature-256": meta_signature("guessed", BODY)}
    elif variant == "no signature":
        headers = {}
    else:  # Meta's older X-Hub-Signature (SHA-1) is not accepted in place of the SHA-256 one
        headers = {
            "X-Hub-Signature": "sha1=" + hmac.new(b"app-secret-from-app-dashboard", BODY, "sha1").hexdigest()
        }
    assert refused(answer("meta", SECRET, headers, body))


def subscribe(token: str, challenge: str = "1158201444") -> str:
    return url_for(
        "meta", urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token})
    )


def test_the_verification_request_is_answered_with_the_challenge_and_not_stored() -> None:
    found = answer("meta", SECRET, {}, b"", url=subscribe("dashboard-verify-token"), method="GET")
    assert (found.status, found.content_type, found.body, found.stored) == (
        200,
        "text/plain",
        "1158201444",
        [],
    )


@pytest.mark.parametrize("token", ["guessed", "", "dashboard-verify-token "])
def test_a_verification_request_with_another_token_is_refused_with_403(token: str) -> None:
    found = answer("meta", SECRET, {}, b"", url=subscribe(token), method="GET")
    assert (found.status, found.stored) == (403, [])
    assert "1158201444" not in found.body


def test_without_a_verify_token_in_the_secret_every_verification_request_is_refused() -> None:
    no_token = {"signing_secrets": SECRET["signing_secrets"]}
    found = answer("meta", no_token, {}, b"", url=subscribe(""), method="GET")
    assert (found.status, found.stored) == (403, [])


def test_a_get_that_is_not_a_subscription_is_not_found() -> None:
    found = answer("meta", SECRET, {}, b"", url=url_for("meta", "hub.mode=unsubscribe"), method="GET")
    assert (found.status, found.stored) == (404, [])
