"""Asana, against its documentation: Asana's Python client (python-asana) has no module that checks a webhook.
"Establish a webhook" (developers.asana.com/docs/establish-a-webhook) publishes the handshake as a worked
example: a POST carrying ``X-Hook-Secret: b537207f…e81``, answered ``HTTP/1.1 200`` with the same
``X-Hook-Secret``; "Webhooks guide" states the signature, computed here independently of our definition:
``X-Hook-Signature`` = hex HMAC-SHA256 of the body, keyed by that secret.

Nothing proves the handshake, so the secret it hands over is stored only while the operator made the
subscription await it, once: tried here through the real ingest function against moto's Secrets Manager,
whose PutSecretValue treats a ClientRequestToken as Secrets Manager does (the same token with another value
is refused; with the same value it is the same version)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookbridge.aws.secrets import LearnedSecrets
from hookbridge.errors import Unauthorized
from tests.support.events import load_event
from tests.support.senders import answer, describe, refused, verify, webhook_request
from tests.support.stack import PREFIX, Handler, Stack

# Asana's own example handshake secret (establish-a-webhook).
DOCS_SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
SECRET = {"signing_secrets": [DOCS_SECRET]}
BODY = json.dumps(
    {
        "events": [
            {
                "user": {"gid": "1123", "resource_type": "user"},
                "created_at": "2026-03-10T14:45:00.271Z",
                "action": "changed",
                "resource": {"gid": "1234", "resource_type": "task", "resource_subtype": "default_task"},
                "parent": None,
                "change": {"field": "assignee", "action": "changed"},
            }
        ]
    }
).encode()


def asana_headers(body: bytes, secret: str = DOCS_SECRET) -> dict[str, str]:
    return {"X-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def awaiting(minutes: float = 15, token: str | None = None) -> dict[str, Any]:
    until = datetime.now(UTC) + timedelta(minutes=minutes)
    return {"awaiting_handshake": {"until": until.isoformat(), "token": token or str(uuid.uuid4())}}


def test_an_event_batch_is_verified_stored_once_and_described_per_event() -> None:
    headers = asana_headers(BODY)
    assert verify("asana", SECRET, webhook_request("asana", headers, BODY)) == "hmac-sha256"
    found = answer("asana", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    description = describe("asana", webhook_request("asana", headers, BODY))
    [element] = description.elements
    assert (element.event_type, element.subject) == ("task:changed", "1234")
    assert element.occurred_at == "2026-03-10T14:45:00.271Z"


def test_a_batch_has_no_event_id_so_a_resent_delivery_is_a_duplicate_of_its_content() -> None:
    """Asana resends a delivery unanswered within 10 s, the same body: its content is the dedupe key."""
    [first] = answer("asana", SECRET, asana_headers(BODY), BODY).stored
    [again] = answer("asana", SECRET, asana_headers(BODY), BODY).stored
    assert first.dedupe_key == again.dedupe_key
    assert "#sha256#" in first.dedupe_key
    other = BODY.replace(b"14:45:00.271Z", b"14:45:00.272Z")
    [later] = answer("asana", SECRET, asana_headers(other), other).stored
    assert later.dedupe_key != first.dedupe_key


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "base64"])
def test_forged_and_tampered_events_are_refused_with_401(variant: str) -> None:
    headers, body = asana_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"1234", b"1235")
    elif variant == "other secret":
        headers = asana_headers(BODY, "guessed")
    elif variant == "no signature":
        headers = {}
    else:
        import base64

        digest = hmac.new(DOCS_SECRET.encode(), BODY, hashlib.sha256).digest()
        headers["X-Hook-Signature"] = base64.b64encode(digest).decode()
    assert refused(answer("asana", SECRET, headers, body))


def test_without_a_learner_a_handshake_changes_nothing_and_is_refused() -> None:
    """The handshake of a subscription that awaits nothing (the demo secret): 401, no secret echoed."""
    found = answer("asana", SECRET, {"X-Hook-Secret": "planted"}, b"")
    assert refused(found)
    assert "planted" not in json.dumps(found.headers)


# ---------------------------------------------------------------- the handshake, through the real function


def handshake(value: str = DOCS_SECRET, subscription: str = "demo") -> dict[str, Any]:
    event = load_event("asana", "hook_secret")
    event["headers"]["x-hook-secret"] = value
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/asana/{subscription}"
    event["pathParameters"]["subscription"] = subscription
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    return event


def event_signed_with(secret: str, subscription: str = "demo") -> dict[str, Any]:
    event = load_event("asana", "task.changed")
    event["headers"]["x-hook-signature"] = asana_headers(event["body"].encode(), secret)["X-Hook-Signature"]
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/asana/{subscription}"
    event["pathParameters"]["subscription"] = subscription
    event["requestContext"]["timeEpoch"] = int(time.time() * 1000)
    return event


def stored_secret(stack: Stack, subscription: str = "demo") -> dict[str, Any]:
    value = stack.secrets.get_secret_value(SecretId=f"{PREFIX}/asana/{subscription}")["SecretString"]
    return dict(json.loads(value))


def versions(stack: Stack, subscription: str = "demo") -> int:
    listed = stack.secrets.list_secret_version_ids(SecretId=f"{PREFIX}/asana/{subscription}")
    return len(listed["Versions"])


def test_an_awaited_handshake_is_echoed_stored_once_and_the_next_event_verifies(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, caplog: pytest.LogCaptureFixture
) -> None:
    marker = awaiting()
    stack.add_secret("asana", "demo", marker)
    function = ingest_function("asana")
    with caplog.at_level(logging.INFO):
        found = invoke(function, handshake())
    # Asana's example answer: HTTP 200 with the same X-Hook-Secret.
    assert (found["statusCode"], found["headers"]["X-Hook-Secret"]) == (200, DOCS_SECRET)
    assert stored_secret(stack) == {"signing_secrets": [DOCS_SECRET]}  # the marker cleared
    token = marker["awaiting_handshake"]["token"]
    assert stack.secrets.get_secret_value(SecretId=f"{PREFIX}/asana/demo")["VersionId"] == token
    assert stack.items() == []  # a handshake is never stored
    audit = [r for r in caplog.records if getattr(r, "audit", None) == "secret_learned"]
    assert [(r.subscription, r.secret_version) for r in audit] == [("demo", token)]  # type: ignore[attr-defined]
    assert DOCS_SECRET not in caplog.text  # the secret is never logged
    # The learned secret verifies Asana's events at once (the function's cached copy is refreshed).
    accepted = invoke(function, event_signed_with(DOCS_SECRET))
    assert (accepted["statusCode"], json.loads(accepted["body"])["status"]) == (200, "accepted")


def test_a_second_handshake_after_the_first_is_refused_and_changes_nothing(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stack.add_secret("asana", "demo", awaiting())
    function = ingest_function("asana")
    assert invoke(function, handshake())["statusCode"] == 200
    before = versions(stack)
    with caplog.at_level(logging.INFO):
        planted = invoke(function, handshake("planted-by-an-outsider"))
    assert (planted["statusCode"], "X-Hook-Secret" in (planted.get("headers") or {})) == (401, False)
    assert stored_secret(stack) == {"signing_secrets": [DOCS_SECRET]}
    assert versions(stack) == before
    assert any(getattr(r, "audit", None) == "secret_refused" for r in caplog.records)
    assert "planted-by-an-outsider" not in caplog.text


@pytest.mark.parametrize("state", ["not awaiting", "window passed"])
def test_a_handshake_for_a_subscription_not_awaiting_is_refused_and_changes_nothing(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, state: str
) -> None:
    secret = {"signing_secrets": ["the-operators-own"]} if state == "not awaiting" else awaiting(minutes=-1)
    stack.add_secret("asana", "demo", secret)
    found = invoke(ingest_function("asana"), handshake("planted"))
    assert found["statusCode"] == 401
    assert "planted" not in json.dumps(found)
    assert stored_secret(stack) == json.loads(json.dumps(secret))
    assert versions(stack) == 1


def test_a_handshake_for_no_subscription_is_not_found(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any
) -> None:
    stack.add_secret("asana", "demo", awaiting())
    found = invoke(ingest_function("asana"), handshake(subscription="nobody"))
    assert found["statusCode"] == 404
    assert stored_secret(stack)["awaiting_handshake"]


def test_two_racing_handshakes_store_one_secret_and_the_other_is_refused(stack: Stack) -> None:
    """Both read the marker before either writes (the race a cache or two instances make): the version both
    put is named by the marker's token, so Secrets Manager keeps the first value and refuses the second."""
    marker = awaiting()
    stack.add_secret("asana", "demo", marker)
    learner = LearnedSecrets(stack.secrets, PREFIX)
    now = time.time()
    outcomes: list[str] = []

    def learn(value: str) -> None:
        try:
            outcomes.append(learner.learn("asana", "demo", value, now))
        except Unauthorized as exc:
            outcomes.append(f"refused: {exc.reason}")

    # Each reads the secret before the other writes: the reads are done first, as the race would have them.
    original = stack.secrets.get_secret_value(SecretId=f"{PREFIX}/asana/demo")

    class SameRead:
        def __getattr__(self, name: str) -> Any:
            return getattr(stack.secrets, name)

        def get_secret_value(self, **_: Any) -> Any:
            return original

    racing = LearnedSecrets(SameRead(), PREFIX)
    outcomes.append(racing.learn("asana", "demo", "first", now))
    try:
        racing.learn("asana", "demo", "second", now)
    except Unauthorized as exc:
        outcomes.append(f"refused: {exc.reason}")
    token = marker["awaiting_handshake"]["token"]
    assert outcomes == [token, "refused: another secret was learned for this subscription"]
    assert stored_secret(stack) == {"signing_secrets": ["first"]}
    # The same value again (Asana retrying the very handshake) is the same version: nothing new.
    assert racing.learn("asana", "demo", "first", now) == token
    assert versions(stack) == 2
    # And once stored, a fresh read sees no marker: refused at the first check.
    learn("third")
    assert outcomes[-1] == "refused: the subscription awaits no secret now"
