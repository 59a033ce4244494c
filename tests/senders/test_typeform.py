"""Typeform, against its documentation: Typeform publishes no library that verifies a webhook and no worked
example with a secret, so the signature is computed here exactly as its page "Secure your webhooks" states
(``sha256=`` + base64 of HMAC-SHA256 of the raw body with the webhook's secret), independently of our
definition's signer. No timestamp is signed: a replay is a duplicate of its event_id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hookbridge.errors import Unauthorized
from tests.support.senders import answer, describe, refused, verify, webhook_request

SECRET = {"signing_secrets": ["typeform-webhook-secret"]}
BODY = json.dumps(
    {
        "event_id": "LtWXD3crgy",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": "a3a12ec67a1365927098a606107fac15",
            "submitted_at": "2018-01-18T18:17:02Z",
            "answers": [],
        },
    },
    separators=(",", ":"),
).encode()


def typeform_signature(secret: str, body: bytes) -> str:
    """As Typeform's documentation writes it (its Node example: createHmac('sha256', secret)
    .update(payload).digest('base64'), prefixed sha256=)."""
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_what_typeform_signs_is_accepted_stored_and_described() -> None:
    headers = {"Typeform-Signature": typeform_signature("typeform-webhook-secret", BODY)}
    assert verify("typeform", SECRET, webhook_request("typeform", headers, BODY)) == "hmac-sha256"
    found = answer("typeform", SECRET, headers, BODY)
    assert (found.status, found.json()["status"]) == (200, "accepted")
    described = describe("typeform", webhook_request("typeform", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "form_response",
        "LtWXD3crgy",
        "lT4Z3j",
    )


def test_a_hex_signature_is_not_typeforms_and_is_refused() -> None:
    hex_digest = "sha256=" + hmac.new(b"typeform-webhook-secret", BODY, hashlib.sha256).hexdigest()
    with pytest.raises(Unauthorized):
        verify("typeform", SECRET, webhook_request("typeform", {"Typeform-Signature": hex_digest}, BODY))


@pytest.mark.parametrize(
    "variant",
    ["tampered body", "other secret", "no signature", "signature without its prefix"],
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    signature, body = typeform_signature("typeform-webhook-secret", BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"lT4Z3j", b"lT4Z3k")
    elif variant == "other secret":
        signature = typeform_signature("guessed", BODY)
    elif variant == "signature without its prefix":
        signature = signature.removeprefix("sha256=")
    headers = {} if variant == "no signature" else {"Typeform-Signature": signature}
    assert refused(answer("typeform", SECRET, headers, body))
