"""Jira Cloud (admin webhooks with a secret), against its documentation: Atlassian publishes no Python
library that verifies a Jira webhook; its page "Webhooks" (Secure admin webhooks) gives the scheme, computed
here independently of our definition: ``X-Hub-Signature: sha256=`` + hex HMAC-SHA256 of the raw body with
the webhook's secret. A Connect app's JWT (with its query string hash) is not received here: such a request
carries no ``X-Hub-Signature`` and is refused: a genuine one, made by Atlassian's ``atlassian-jwt`` (a dev
dependency; what Atlassian's Connect Python frameworks use), is refused below.

Searched for a library or published vector for the admin webhooks' ``X-Hub-Signature``: PyPI (atlassian-jwt
and atlassian-jwt-auth cover Connect and service-to-service JWTs only), Atlassian's page (the algorithm, no
signature/body pair), the docs, pages and code corpora; found only third-party re-implementations
(jira.js's ``verifyWebhookSignature``, a JavaScript package; Trigger.dev; n8n), none with vectors."""

from __future__ import annotations

import hashlib
import hmac
import json

import atlassian_jwt
import pytest

from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

WEBHOOK_SECRET = "jira_demo_webhook_secret"
SECRET = {"signing_secrets": [WEBHOOK_SECRET]}
BODY = json.dumps(
    {
        "timestamp": 1773153899123,
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Jane Doe"},
        "issue": {"id": "10002", "key": "WEB-7", "fields": {"summary": "The login form forgets the e-mail"}},
    }
).encode()


def jira_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Atlassian-Webhook-Identifier": "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
        "X-Atlassian-Webhook-Retry": "0",
    }


def test_an_issue_created_webhook_is_accepted_stored_and_described() -> None:
    headers = jira_headers(BODY)
    assert verify("jira", SECRET, webhook_request("jira", headers, BODY)) == "hmac-sha256"
    found = answer("jira", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("jira", webhook_request("jira", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "jira:issue_created",
        "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
        "WEB-7",
        "2026-03-10T14:44:59.123Z",
    )
    assert (described.extra["issue_event_type"], described.extra["retry"]) == ("issue_created", "0")


def test_a_connect_apps_jwt_is_not_a_signature_here() -> None:
    """A Connect app's webhook as atlassian-jwt signs it (its qsh over POST and the URL), its shared secret
    stored among the subscription's secrets too: not a proof an admin webhook makes, so refused."""
    url = url_for("jira")
    shared = "jira_connect_demo_shared_secret_of_32_bytes"
    token = atlassian_jwt.encode_token("POST", url, "jira:1c3f5b7a", shared)
    secret = {"signing_secrets": [WEBHOOK_SECRET, shared]}
    assert refused(answer("jira", secret, {"Authorization": f"JWT {token}"}, BODY, url=url))


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "without sha256="])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = jira_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"WEB-7", b"WEB-8")
    elif variant == "other secret":
        headers = jira_headers(BODY, "guessed")
    elif variant == "no signature":
        del headers["X-Hub-Signature"]
    else:
        headers["X-Hub-Signature"] = headers["X-Hub-Signature"].removeprefix("sha256=")
    assert refused(answer("jira", SECRET, headers, body))
