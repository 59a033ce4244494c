"""Bitbucket, against its documentation: Atlassian publishes no Python library that verifies a Bitbucket
webhook; its page "Manage webhooks" (Secure webhooks) gives the scheme, computed here independently of our
definition: with a secret set, ``X-Hub-Signature: sha256=`` + hex HMAC-SHA256 of the raw body. The event is
the ``X-Event-Key`` header; ``X-Request-UUID`` is not signed: published, never what identifies a request.

Searched for a library or published vector (PyPI: atlassian-python-api, bitbucket-api and the like are
API clients; the docs, pages and code corpora): only third-party re-implementations, no signature/body pair
of Atlassian's."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

WEBHOOK_SECRET = "bitbucket_demo_webhook_secret"
SECRET = {"signing_secrets": [WEBHOOK_SECRET]}
BODY = json.dumps(
    {
        "pullrequest": {"id": 42, "title": "Fix the login form", "state": "OPEN"},
        "repository": {"type": "repository", "full_name": "acme/web", "name": "web"},
        "actor": {"type": "user", "display_name": "Jane Doe"},
    }
).encode()


def bitbucket_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "X-Event-Key": "pullrequest:created",
        "X-Request-UUID": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "X-Hook-UUID": "5e4c3b2a-1d0f-4e9d-8c7b-6a5f4e3d2c1b",
        "X-Attempt-Number": "1",
    }


def test_a_pull_request_webhook_is_accepted_stored_and_described() -> None:
    headers = bitbucket_headers(BODY)
    assert verify("bitbucket", SECRET, webhook_request("bitbucket", headers, BODY)) == "hmac-sha256"
    found = answer("bitbucket", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("bitbucket", webhook_request("bitbucket", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "pullrequest:created",
        "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        "acme/web",
    )
    assert (described.extra["attempt"], described.extra["pull_request_id"]) == ("1", "42")


def test_a_data_center_request_id_is_published_when_there_is_no_request_uuid() -> None:
    headers = bitbucket_headers(BODY)
    headers["X-Request-Id"] = headers.pop("X-Request-UUID")
    assert describe("bitbucket", webhook_request("bitbucket", headers, BODY)).event_id == (
        "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    )


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "without sha256=", "sha1"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = bitbucket_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"OPEN", b"MERGED")
    elif variant == "other secret":
        headers = bitbucket_headers(BODY, "guessed")
    elif variant == "no signature":
        del headers["X-Hub-Signature"]
    elif variant == "without sha256=":
        headers["X-Hub-Signature"] = headers["X-Hub-Signature"].removeprefix("sha256=")
    else:
        digest = hmac.new(WEBHOOK_SECRET.encode(), BODY, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature"] = f"sha1={digest}"
    assert refused(answer("bitbucket", SECRET, headers, body))
