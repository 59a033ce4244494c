"""Linear, against its own SDK: Linear's verifier is TypeScript (@linear/sdk 98.0.0, ``LinearWebhookClient``
from ``@linear/sdk/webhooks``), so it judged vectors that this file keeps: the body and signature below,
which our definition signed, were checked with its ``verify`` at the times named (its clock set), and it
answered as each test states. The scheme: ``Linear-Signature`` = hex HMAC-SHA256 of the raw body with the
webhook's signing secret; the body's ``webhookTimestamp`` (Unix ms, signed with it) must be within 60 s of
the receiver's clock, the SDK trusting no timestamp outside the signed body."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, verify, webhook_request

SIGNING_SECRET = "lin_wh_demo_signing_secret"
SECRET = {"signing_secrets": [SIGNING_SECRET]}
# Judged by @linear/sdk 98.0.0: verify() is true at AT and AT + 60 s; it throws "Invalid webhook
# timestamp" at AT + 61 s and AT - 61 s, and "Invalid webhook signature" for the body with ENG-43 in place
# of ENG-42 and for the secret "guessed".
AT = 1_773_153_901
BODY = (
    b'{"action":"create","type":"Issue","createdAt":"2026-03-10T14:44:58.084Z",'
    b'"data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","identifier":"ENG-42",'
    b'"title":"The login form forgets the e-mail address"},'
    b'"url":"https://linear.app/acme/issue/ENG-42",'
    b'"organizationId":"be3c0c3b-0d59-4d4c-9b0f-3b5e2e6f5c4d","webhookTimestamp":1773153901000,'
    b'"webhookId":"000042e3-d123-4980-b49f-8e140eef9329"}'
)
SIGNATURE = "19e6694f2c8a0c3e43fba062567589e4cf2b46a4dfe9f2c287d463be3e2ae4ed"


def test_the_vector_linears_sdk_accepted_is_what_our_definition_signs() -> None:
    unsigned = json.loads(BODY) | {"webhookTimestamp": 0}
    signed = providers.load("linear").sign(
        SubscriptionSecret.model_validate(SECRET), json.dumps(unsigned).encode(), AT
    )
    assert (signed.body, dict(signed.headers)["Linear-Signature"]) == (BODY, SIGNATURE)
    assert hmac.new(SIGNING_SECRET.encode(), BODY, hashlib.sha256).hexdigest() == SIGNATURE


def test_the_vector_is_accepted_stored_and_described_at_its_time() -> None:
    headers = {"Linear-Signature": SIGNATURE, "Linear-Delivery": "234d1a4e-b617-4388-90fe-adc3633d6b72"}
    assert verify("linear", SECRET, webhook_request("linear", headers, BODY), now=AT) == "hmac-sha256"
    found = answer("linear", SECRET, headers, BODY, now=AT)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("linear", webhook_request("linear", headers, BODY))
    assert (described.event_type, described.subject, described.occurred_at) == (
        "Issue",
        "2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9",
        "2026-03-10T14:44:58.084Z",
    )
    assert described.event_id == "Issue:create:2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9:2026-03-10T14:44:58.084Z"
    assert (described.extra["action"], described.extra["delivery"]) == (
        "create",
        "234d1a4e-b617-4388-90fe-adc3633d6b72",
    )


def test_a_retry_with_a_new_webhook_timestamp_keeps_its_event_id() -> None:
    retry = json.dumps(json.loads(BODY) | {"webhookTimestamp": (AT + 60) * 1000}).encode()
    headers = {"Linear-Signature": hmac.new(SIGNING_SECRET.encode(), retry, hashlib.sha256).hexdigest()}
    first = describe("linear", webhook_request("linear", {"Linear-Signature": SIGNATURE}, BODY))
    assert describe("linear", webhook_request("linear", headers, retry)).event_id == first.event_id


@pytest.mark.parametrize(
    ("offset", "within"), [(-61, False), (-60, True), (0, True), (60, True), (61, False)]
)
def test_the_window_is_sixty_seconds_either_way_as_the_sdks(offset: int, within: bool) -> None:
    request = webhook_request("linear", {"Linear-Signature": SIGNATURE}, BODY)
    if within:
        assert verify("linear", SECRET, request, now=AT + offset) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized):
            verify("linear", SECRET, request, now=AT + offset)


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "no webhookTimestamp", "timestamp as text"]
)
def test_forged_tampered_and_untimed_requests_are_refused_with_401(variant: str) -> None:
    headers, body, secret = {"Linear-Signature": SIGNATURE}, BODY, SECRET
    if variant == "tampered body":
        body = BODY.replace(b"ENG-42", b"ENG-43")
    elif variant == "other secret":
        secret = {"signing_secrets": ["guessed"]}
    elif variant == "no signature":
        headers = {}
    else:
        payload = json.loads(BODY)
        if variant == "no webhookTimestamp":
            del payload["webhookTimestamp"]
        else:
            payload["webhookTimestamp"] = "soon"
        body = json.dumps(payload).encode()
        headers = {"Linear-Signature": hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert refused(answer("linear", secret, headers, body, now=AT))
