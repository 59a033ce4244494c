"""Vercel, against its documentation: Vercel publishes no Python library that verifies a webhook; its page
"Webhooks API" (securing webhooks) gives the scheme, computed here independently of our definition:
``x-vercel-signature`` = hex HMAC-SHA1 of the raw body with the webhook's secret (an integration's: its
Client Secret), as its Node example does (``crypto.createHmac('sha1', secret).update(rawBody)
.digest('hex')``). No timestamp is signed: the event's id is the dedupe key.

Searched for a library or published vector (PyPI: ``vercel``, the Python SDK, is an API client; the
docs, pages and code corpora; Vercel's pages): only Node snippets and third-party re-implementations, no
signature/body pair."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

SECRET_VALUE = "vercel_demo_webhook_secret"
SECRET = {"signing_secrets": [SECRET_VALUE]}
BODY = json.dumps(
    {
        "id": "bK3wI6V2EhM8bcQ4mKzPUtSe",
        "type": "deployment.succeeded",
        "createdAt": 1773153898123,
        "region": "iad1",
        "payload": {
            "team": {"id": "team_a1B2c3D4e5F6g7H8"},
            "deployment": {"id": "dpl_2AbCdEfGhIjKlMnOpQrStUvW", "name": "acme-web"},
            "project": {"id": "prj_4kLmNoPqRsTuVwXyZ"},
            "target": "production",
        },
    }
).encode()


def vercel_signature(body: bytes, secret: str = SECRET_VALUE) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def test_an_event_is_accepted_stored_and_described() -> None:
    headers = {"x-vercel-signature": vercel_signature(BODY)}
    assert verify("vercel", SECRET, webhook_request("vercel", headers, BODY)) == "hmac-sha1"
    found = answer("vercel", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("vercel", webhook_request("vercel", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "deployment.succeeded",
        "bK3wI6V2EhM8bcQ4mKzPUtSe",
        "dpl_2AbCdEfGhIjKlMnOpQrStUvW",
        "2026-03-10T14:44:58.123Z",
    )
    assert (described.extra["team_id"], described.extra["target"]) == ("team_a1B2c3D4e5F6g7H8", "production")


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "sha256 in place of sha1", "sha1= prefix"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    signature, body = vercel_signature(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"production", b"preview")
    elif variant == "other secret":
        signature = vercel_signature(BODY, "guessed")
    elif variant == "sha256 in place of sha1":
        signature = hmac.new(SECRET_VALUE.encode(), BODY, hashlib.sha256).hexdigest()
    elif variant == "sha1= prefix":
        signature = "sha1=" + signature
    headers = {} if variant == "no signature" else {"x-vercel-signature": signature}
    assert refused(answer("vercel", SECRET, headers, body))
