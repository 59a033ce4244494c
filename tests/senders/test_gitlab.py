"""GitLab, against its documentation: GitLab signs nothing (python-gitlab, its Python client, verifies
nothing either); its page "Webhooks" says the secret token entered for the webhook arrives as
``X-Gitlab-Token``, and the receiver compares it. The event is the body's ``object_kind``; the
``Idempotency-Key`` a retry keeps (GitLab 17.4 and later) is the dedupe key, proven by the token as much as
the rest of the request; without it the body identifies a delivery (``X-Gitlab-Event-UUID`` is metadata).

Searched for a library or published vector: python-gitlab (PyPI) has no webhook receiver; the docs,
pages and code corpora hold only re-implementations of the token comparison."""

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


def test_without_an_idempotency_key_the_body_identifies_it_not_the_event_uuid() -> None:
    """Before GitLab 17.4 there is no Idempotency-Key. X-Gitlab-Event-UUID is then no dedupe key: it is the
    recursion-detection UUID of the request that fired the hook (gitlab-org/gitlab MR 75821), shared by every
    webhook fired in it, and a resend from "Recent events" is a new request with a new one (MR 160952:
    "Retries in master will return existing headers that are unique to each webhook request")."""
    described = describe("gitlab", webhook_request("gitlab", gitlab_headers(), BODY))
    assert (described.event_id, described.extra["event_uuid"]) == (
        None,
        "2f4b6c0e-3c1a-4a77-9a53-0b0f6a2f7d21",
    )
    first = answer("gitlab", SECRET, gitlab_headers(), BODY).stored
    # A resend: the same body under a new X-Gitlab-Event-UUID is the same delivery (one dedupe key).
    resent = gitlab_headers(**{"X-Gitlab-Event-UUID": "9c1d7a3e-0b5e-4f7d-8a2c-6e4f1b3a5d70"})
    again = answer("gitlab", SECRET, resent, BODY).stored
    assert first[0].dedupe_key == again[0].dedupe_key
    # Two tags pushed at once: two events under one X-Gitlab-Event-UUID are two deliveries.
    other = BODY.replace(b'"iid": 1', b'"iid": 2')
    assert other != BODY
    second = answer("gitlab", SECRET, gitlab_headers(), other).stored
    assert first[0].dedupe_key != second[0].dedupe_key


def test_an_idempotency_key_identifies_every_resend_of_one_delivery() -> None:
    key = {"Idempotency-Key": "5e0b3c0e-7c5d-4d6e-9a4a-3c2b1a0f9e8d"}
    first = answer("gitlab", SECRET, gitlab_headers(**key), BODY).stored
    resent = gitlab_headers(**{**key, "X-Gitlab-Event-UUID": "9c1d7a3e-0b5e-4f7d-8a2c-6e4f1b3a5d70"})
    assert answer("gitlab", SECRET, resent, BODY).stored[0].dedupe_key == first[0].dedupe_key


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
