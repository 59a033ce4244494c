"""GitLab, against its documentation: GitLab signs nothing (python-gitlab, its Python client, verifies
nothing either); its page "Webhooks" says the secret token entered for the webhook arrives as
``X-Gitlab-Token``, and the receiver compares it. The event is the body's ``object_kind``; the
``Idempotency-Key`` a retry keeps (else ``X-Gitlab-Event-UUID``) is the dedupe key, proven by the token as
much as the rest of the request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookbridge.errors import Unauthorized
from tests.support.senders import answer, describe, refused, verify, webhook_request

EVENTS = Path(__file__).resolve().parents[2] / "events" / "gitlab"
TOKEN = json.loads((EVENTS / "demo-secret.json").read_text())["tokens"][0]
SECRET = {"tokens": [TOKEN]}
SAMPLE = json.loads((EVENTS / "merge_request.json").read_text())
BODY = SAMPLE["body"].encode()


def gitlab_headers(token: str = TOKEN, **more: str) -> dict[str, str]:
    """As GitLab sends them (its page's example request headers)."""
    return {
        "X-Gitlab-Token": token,
        "X-Gitlab-Event": "Merge Request Hook",
        "X-Gitlab-Event-UUID": "2f4b6c0e-3c1a-4a77-9a53-0b0f6a2f7d21",
        "X-Gitlab-Webhook-UUID": "2b5d0f3e-2d8b-4b0b-9c9d-6c3a6b5d3e8f",
        "X-Gitlab-Instance": "https://gitlab.com",
        **more,
    }


def test_the_secret_token_is_accepted_and_the_event_described() -> None:
    headers = gitlab_headers(**{"Idempotency-Key": "5e0b3c0e-7c5d-4d6e-9a4a-3c2b1a0f9e8d"})
    assert verify("gitlab", SECRET, webhook_request("gitlab", headers, BODY)) == "token"
    found = answer("gitlab", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("gitlab", webhook_request("gitlab", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "merge_request",
        "5e0b3c0e-7c5d-4d6e-9a4a-3c2b1a0f9e8d",
        "gitlabhq/gitlab-test",
    )
    assert (described.extra["event_header"], described.extra["action"]) == ("Merge Request Hook", "open")


def test_without_an_idempotency_key_the_event_uuid_identifies_it() -> None:
    described = describe("gitlab", webhook_request("gitlab", gitlab_headers(), BODY))
    assert described.event_id == "2f4b6c0e-3c1a-4a77-9a53-0b0f6a2f7d21"


def test_any_of_the_stored_tokens_passes_during_a_change() -> None:
    request = webhook_request("gitlab", gitlab_headers("the-new-token"), BODY)
    assert verify("gitlab", {"tokens": ["the-new-token", TOKEN]}, request) == "token"
    with pytest.raises(Unauthorized):
        verify("gitlab", SECRET, request)


@pytest.mark.parametrize("variant", ["other token", "no token", "token in another header", "prefix of it"])
def test_a_request_without_the_token_is_refused_with_401(variant: str) -> None:
    headers = gitlab_headers()
    if variant == "other token":
        headers["X-Gitlab-Token"] = "guessed"
    elif variant == "no token":
        del headers["X-Gitlab-Token"]
    elif variant == "token in another header":
        headers["Authorization"] = f"Bearer {headers.pop('X-Gitlab-Token')}"
    else:
        headers["X-Gitlab-Token"] = TOKEN[:-1]
    assert refused(answer("gitlab", SECRET, headers, BODY))
