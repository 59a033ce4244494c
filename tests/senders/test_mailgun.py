"""Mailgun event webhooks, against its own SDK: mailgun 1.10.0 (``mailgun.security.SecurityGuard
.verify_webhook``) is the judge. The signature is in the body: ``signature.signature`` = hex HMAC-SHA256 with
the webhook signing key of ``signature.timestamp`` followed by ``signature.token``. Mailgun publishes no
verifiable triple (its page's signatures are placeholders), so each signature here is computed by that formula
and shown to be one the SDK accepts. Window: 900 seconds either way, as the SDK's ``max_age_seconds``; ours is
the same. The signature does not cover ``event-data``: the event id (event-data.id) is what makes a replay,
with the same or other event-data, a duplicate."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import mailgun.security
import pytest
from mailgun.security import SecurityGuard

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support import senders
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "mailgun_demo_webhook_signing_key"  # events/mailgun/demo-secret.json
SECRET = {"signing_secrets": [KEY]}
TOKEN = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
AT = 1_773_153_901
EVENT = {
    "id": "CPgfbmQMTCKtHW6uIWtuVe",
    "timestamp": 1521472262.908181,
    "event": "delivered",
    "recipient": "alice@example.com",
    "message": {"headers": {"message-id": "20130503182626.18666.16540@sandbox.mailgun.org"}},
}


def mailgun_body(at: int, token: str = TOKEN, key: str = KEY, event: dict[str, Any] = EVENT) -> bytes:
    """As Mailgun sends it; the signature checked by the SDK before use."""
    signature = hmac.new(key.encode(), f"{at}{token}".encode(), hashlib.sha256).hexdigest()
    assert SecurityGuard.verify_webhook(key, token, str(at), signature, max_age_seconds=0)
    return json.dumps(
        {"signature": {"timestamp": str(at), "token": token, "signature": signature}, "event-data": event}
    ).encode()


def sdk_accepts(body: bytes) -> bool:
    found = json.loads(body)["signature"]
    return bool(SecurityGuard.verify_webhook(KEY, found["token"], found["timestamp"], found["signature"]))


@pytest.fixture
def sdk_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The SDK's clock, set by the test (verify_webhook reads ``time.time()`` through its module)."""
    return lambda now: monkeypatch.setattr(mailgun.security, "time", SimpleNamespace(time=lambda: now))


def test_what_mailgun_signs_is_accepted_stored_and_described() -> None:
    body = mailgun_body(int(time.time()))
    assert sdk_accepts(body)
    assert verify("mailgun", SECRET, webhook_request("mailgun", {}, body)) == "hmac-sha256"
    found = answer("mailgun", SECRET, {"Content-Type": "application/json"}, body)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("mailgun", webhook_request("mailgun", {}, body))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "delivered",
        "CPgfbmQMTCKtHW6uIWtuVe",
        "20130503182626.18666.16540@sandbox.mailgun.org",
        "2018-03-19T15:11:02.908181Z",
    )


def test_what_our_definition_signs_in_the_body_is_accepted_by_mailguns_sdk(
    sdk_now: Callable[[float], None],
) -> None:
    unsigned = json.dumps({"signature": {"token": TOKEN}, "event-data": EVENT}).encode()
    made = providers.load("mailgun").sign(SubscriptionSecret.model_validate(SECRET), unsigned, AT)
    assert made.body is not None
    assert dict(made.headers) == {}
    assert json.loads(made.body)["signature"]["timestamp"] == str(AT)
    sdk_now(AT)
    assert sdk_accepts(made.body)


@pytest.mark.parametrize(("offset", "within"), [(-901, False), (-900, True), (900, True), (901, False)])
def test_the_window_is_900_seconds_either_way_as_the_sdks(
    sdk_now: Callable[[float], None], offset: int, within: bool
) -> None:
    body = mailgun_body(AT)
    sdk_now(AT + offset)
    assert sdk_accepts(body) is within
    request = webhook_request("mailgun", {}, body)
    if within:
        assert verify("mailgun", SECRET, request, now=AT + offset) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized):
            verify("mailgun", SECRET, request, now=AT + offset)


@pytest.mark.parametrize(
    "variant", ["other key", "token changed", "timestamp changed", "stale", "from the future", "no signature"]
)
def test_forged_tampered_and_stale_requests_are_refused_with_401(variant: str) -> None:
    now = int(time.time())
    body = mailgun_body(now, key="guessed" if variant == "other key" else KEY)
    payload = json.loads(body)
    if variant == "token changed":
        payload["signature"]["token"] = TOKEN[:-1] + "1"
    elif variant == "timestamp changed":
        payload["signature"]["timestamp"] = str(now - 1)
    elif variant in ("stale", "from the future"):
        payload = json.loads(mailgun_body(now + (-1000 if variant == "stale" else 1000)))
    elif variant == "no signature":
        del payload["signature"]
    tampered = json.dumps(payload).encode()
    if "signature" in payload:
        assert not sdk_accepts(tampered)  # Mailgun's own check refuses it too
    assert refused(answer("mailgun", SECRET, {}, tampered))


def test_event_data_is_not_covered_by_the_signature_so_a_captured_token_is_the_dedupe_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A captured signature, within its 15 minutes, carries any event-data: Mailgun's check and ours accept
    it. As Mailgun advises, the token is remembered: the request is stored under its signed timestamp and
    token, so other event-data under a captured token is a duplicate and never reaches the bus."""
    store = MemoryStore()  # one table for every delivery (answer() builds a fresh one per call)
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    now = int(time.time())
    genuine = mailgun_body(now)
    changed = json.loads(genuine)
    changed["event-data"] = EVENT | {"id": "another-event-id", "event": "complained", "severity": "permanent"}
    rewrapped = json.dumps(changed).encode()
    assert sdk_accepts(rewrapped)
    assert verify("mailgun", SECRET, webhook_request("mailgun", {}, rewrapped)) == "hmac-sha256"
    statuses = [answer("mailgun", SECRET, {}, body).json()["status"] for body in (genuine, rewrapped)]
    assert statuses == ["accepted", "duplicate"]
    first, second = store.events  # what each would have been stored as
    assert first.dedupe_key == second.dedupe_key
    assert (first.event_id, second.event_id) == ("CPgfbmQMTCKtHW6uIWtuVe", "another-event-id")


def test_a_retry_mailgun_signs_anew_is_stored_and_claims_its_event_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mailgun signs each retry with a new token: stored as a new request, each with the claim of its
    event-data.id, which the publisher takes before publishing (tests/integration/test_replays.py): the
    retry is not published twice."""
    store = MemoryStore()
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    now = int(time.time())
    genuine = mailgun_body(now)
    resigned = mailgun_body(now - 1, token="f" * 50)
    statuses = [answer("mailgun", SECRET, {}, body).json()["status"] for body in (genuine, genuine, resigned)]
    assert statuses == ["accepted", "duplicate", "accepted"]
    assert [e.claim for e in store.events] == ["id#CPgfbmQMTCKtHW6uIWtuVe"] * 3
    assert store.events[0].dedupe_key != store.events[2].dedupe_key
