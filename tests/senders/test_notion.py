"""Notion, against its documentation: notion-client (the official Python SDK) has no webhook verifier.
"Webhooks" (developers.notion.com/reference/webhooks) states the scheme, computed here independently of our
definition: ``X-Notion-Signature`` = ``sha256=`` + hex HMAC-SHA256 of the body, keyed by the subscription's
``verification_token``, which Notion POSTs unsigned, once, as ``{"verification_token": "secret_…"}`` (the
page's example value below) when the subscription is created. That handshake is learned only while the
subscription awaits it (the same language and store as Asana's; tests/senders/test_asana.py proves the
race)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.events import load_event
from tests.support.senders import answer, describe, refused, verify, webhook_request
from tests.support.stack import PREFIX, Handler, Stack

TOKEN = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"  # the docs' example verification_token
SECRET = {"signing_secrets": [TOKEN]}
BODY = json.dumps(
    {
        "id": "367cba44-b6f3-4c92-81e7-6a2e9659efd4",
        "timestamp": "2026-03-10T14:44:58.285Z",
        "workspace_id": "13950b26-c203-4f3b-b97d-93ec06319565",
        "subscription_id": "29d75c0d-5546-4414-8459-7b7a92f1fc4b",
        "type": "page.created",
        "entity": {"id": "153104cd-477e-809d-8dc4-ff2d96ae3090", "type": "page"},
        "data": {"parent": {"id": "13950b26-c203-4f3b-b97d-93ec06319565", "type": "space"}},
    }
).encode()


def notion_headers(body: bytes, key: str = TOKEN) -> dict[str, str]:
    return {"X-Notion-Signature": "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()}


def test_an_event_is_verified_stored_under_its_id_and_described() -> None:
    headers = notion_headers(BODY)
    assert verify("notion", SECRET, webhook_request("notion", headers, BODY)) == "hmac-sha256"
    found = answer("notion", SECRET, headers, BODY)
    assert (found.status, found.json()["status"]) == (200, "accepted")
    [stored] = found.stored
    assert stored.dedupe_key.endswith("#id#367cba44-b6f3-4c92-81e7-6a2e9659efd4")
    description = describe("notion", webhook_request("notion", headers, BODY))
    assert (description.event_type, description.subject) == (
        "page.created",
        "153104cd-477e-809d-8dc4-ff2d96ae3090",
    )
    assert description.occurred_at == "2026-03-10T14:44:58.285Z"


@pytest.mark.parametrize("variant", ["tampered body", "other token", "no signature", "no prefix"])
def test_forged_and_tampered_events_are_refused_with_401(variant: str) -> None:
    headers, body = notion_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"page.created", b"page.deleted")
    elif variant == "other token":
        headers = notion_headers(BODY, "secret_guessed")
    elif variant == "no signature":
        headers = {}
    else:
        headers["X-Notion-Signature"] = headers["X-Notion-Signature"].removeprefix("sha256=")
    assert refused(answer("notion", SECRET, headers, body))


def test_a_verification_for_a_subscription_not_awaiting_is_refused() -> None:
    found = answer("notion", SECRET, {}, json.dumps({"verification_token": "secret_planted"}).encode())
    assert refused(found)


def verification(token: str = TOKEN) -> dict[str, Any]:
    event = load_event("notion", "verification")
    event["body"] = json.dumps({"verification_token": token})
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    return event


def test_an_awaited_verification_is_stored_once_and_signs_the_events(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any
) -> None:
    until = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    stack.add_secret("notion", "demo", {"awaiting_handshake": {"until": until, "token": str(uuid.uuid4())}})
    function = ingest_function("notion")
    found = invoke(function, verification())
    assert (found["statusCode"], TOKEN in json.dumps(found)) == (200, False)  # never echoed back
    name = f"{PREFIX}/notion/demo"
    assert json.loads(stack.secrets.get_secret_value(SecretId=name)["SecretString"]) == SECRET
    assert stack.items() == []
    # A second verification, an outsider's, is refused and changes nothing.
    assert invoke(function, verification("secret_planted"))["statusCode"] == 401
    assert json.loads(stack.secrets.get_secret_value(SecretId=name)["SecretString"]) == SECRET
    event = load_event("notion", "page.created")
    event["headers"]["x-notion-signature"] = notion_headers(event["body"].encode())["X-Notion-Signature"]
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    accepted = invoke(function, event)
    assert (accepted["statusCode"], json.loads(accepted["body"])["status"]) == (200, "accepted")
