"""Okta event hooks, against their documentation ("Event hooks", developer.okta.com): Okta signs nothing.
The hook's Authentication field (here ``Authorization``) and secret come back on every request, the
one-time verification ``GET`` too, which carries ``X-Okta-Verification-Challenge`` and is answered
``{"verification": <challenge>}``, never stored. A delivery is a batch of System Log events in
``data.events``, each with its ``uuid``, ``eventType`` and ``published`` time."""

from __future__ import annotations

import json

import pytest

from tests.support.senders import answer, describe, refused, verify, webhook_request

HOOK_SECRET = "okta_demo_hook_secret"
SECRET = {"tokens": [HOOK_SECRET]}
CHALLENGE = "PhYyfDIJuWSt7cmg6pBhxHXqZrjcFKLV7WMd3yr7Xq0Z"
EVENT = {
    "uuid": "c1d2e3f4-df0a-11f0-9a1b-4f2d7c0e8a12",
    "published": "2026-03-10T14:44:59.001Z",
    "eventType": "user.lifecycle.create",
    "actor": {"id": "00u1a2b3c4d5e6f7g8h9", "type": "User"},
    "target": [{"id": "00u9z8y7x6w5v4u3t2s1", "type": "User"}],
}
BODY = json.dumps(
    {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "eventId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "data": {"events": [EVENT, EVENT | {"uuid": "c1d2e3f5", "eventType": "user.lifecycle.activate"}]},
    }
).encode()


def test_a_delivery_is_accepted_once_and_described_one_event_per_system_log_event() -> None:
    headers = {"Authorization": HOOK_SECRET}
    assert verify("okta", SECRET, webhook_request("okta", headers, BODY)) == "token"
    found = answer("okta", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    elements = describe("okta", webhook_request("okta", headers, BODY)).elements
    assert [(e.event_type, e.event_id, e.occurred_at) for e in elements] == [
        ("user.lifecycle.create", "c1d2e3f4-df0a-11f0-9a1b-4f2d7c0e8a12", "2026-03-10T14:44:59.001Z"),
        ("user.lifecycle.activate", "c1d2e3f5", "2026-03-10T14:44:59.001Z"),
    ]


def test_the_verification_is_answered_with_its_challenge_and_never_stored() -> None:
    headers = {"Authorization": HOOK_SECRET, "X-Okta-Verification-Challenge": CHALLENGE}
    found = answer("okta", SECRET, headers, b"", method="GET")
    assert (found.status, found.content_type, found.stored) == (200, "application/json", [])
    assert found.json() == {"verification": CHALLENGE}


@pytest.mark.parametrize("authorization", [None, "", "guessed", f"Bearer {HOOK_SECRET}"])
def test_a_verification_without_the_hook_secret_learns_nothing(authorization: str | None) -> None:
    headers = {"X-Okta-Verification-Challenge": CHALLENGE}
    if authorization is not None:
        headers["Authorization"] = authorization
    found = answer("okta", SECRET, headers, b"", method="GET")
    assert refused(found)
    assert CHALLENGE not in found.body


def test_a_verification_without_its_challenge_is_refused() -> None:
    found = answer("okta", SECRET, {"Authorization": HOOK_SECRET}, b"", method="GET")
    assert (found.status, found.stored) == (401, [])


@pytest.mark.parametrize("authorization", [None, "guessed", HOOK_SECRET.upper()])
def test_a_delivery_without_the_hook_secret_is_refused_with_401(authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert refused(answer("okta", SECRET, headers, BODY))
