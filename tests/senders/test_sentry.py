"""Sentry (integration webhooks), against its documentation: sentry-sdk reports errors and verifies no
webhook; the page "Webhooks" of Sentry's integration platform gives the scheme, computed here independently
of our definition: ``Sentry-Hook-Signature`` = hex HMAC-SHA256 of the raw body with the integration's Client
Secret (its Node example: ``crypto.createHmac('sha256', secret).update(body, 'utf8').digest('hex')``). The
resource is the ``Sentry-Hook-Resource`` header; ``Sentry-Hook-Timestamp`` and ``Request-ID`` are not
signed: published, never what identifies a request.

Searched for a library or published vector (PyPI: sentry-sdk; the docs, pages and code corpora):
only third-party receivers; Sentry's signer lives in its server (getsentry/sentry), not a library a
test can call, and no signature/body pair is published."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

CLIENT_SECRET = "sentry_demo_client_secret"
SECRET = {"signing_secrets": [CLIENT_SECRET]}
BODY = json.dumps(
    {
        "action": "created",
        "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},
        "data": {"issue": {"id": "1170820242", "shortId": "SENTRY-APP-1", "status": "unresolved"}},
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }
).encode()


def sentry_headers(body: bytes, secret: str = CLIENT_SECRET, resource: str = "issue") -> dict[str, str]:
    return {
        "Sentry-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": "1773153899",
        "Request-ID": "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
    }


def test_an_issue_webhook_is_accepted_stored_and_described() -> None:
    headers = sentry_headers(BODY)
    assert verify("sentry", SECRET, webhook_request("sentry", headers, BODY)) == "hmac-sha256"
    found = answer("sentry", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("sentry", webhook_request("sentry", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "issue",
        "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
        "1170820242",
    )
    assert (described.extra["action"], described.extra["hook_timestamp"]) == ("created", "1773153899")


def test_the_timestamp_is_not_signed_so_a_changed_one_still_verifies() -> None:
    headers = sentry_headers(BODY) | {"Sentry-Hook-Timestamp": "1"}
    assert verify("sentry", SECRET, webhook_request("sentry", headers, BODY)) == "hmac-sha256"


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "sha1 in place of sha256"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = sentry_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"unresolved", b"resolved")
    elif variant == "other secret":
        headers = sentry_headers(BODY, "guessed")
    elif variant == "no signature":
        del headers["Sentry-Hook-Signature"]
    else:
        headers["Sentry-Hook-Signature"] = hmac.new(CLIENT_SECRET.encode(), BODY, hashlib.sha1).hexdigest()
    assert refused(answer("sentry", SECRET, headers, body))
