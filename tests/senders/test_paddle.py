"""Paddle Billing, against its own SDK: paddle-python-sdk 1.16.1 (``paddle_billing.Notifications``: its
``Verifier``, ``PaddleSignature`` and ``Secret``) is the judge. ``Paddle-Signature: ts=<unix>;h1=<hex>``, h1
the hex HMAC-SHA256 of ``{ts}:{body}`` with the notification destination's secret key used as text; a header
may carry several h1 and a receiver may hold several secrets (rotation). Window: 5 seconds either way, as the
SDK's ``Verifier(maximum_variance=5)``; ours is the same."""

from __future__ import annotations

import importlib
import json
import time
from typing import Any

import pytest
from paddle_billing.Notifications import PaddleSignature, Secret, Verifier  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "pdl_ntf_01hv8wptq8987qeep44cyrewp9_demoSecretKeyForHookbridge0"  # events/paddle/demo-secret.json
SECRET = {"signing_secrets": [KEY]}
BODY = json.dumps(
    {
        "event_id": "evt_01h8bzakzx3hm2fmen703n5q45",
        "event_type": "subscription.created",
        "occurred_at": "2023-08-21T11:57:47.390028Z",
        "notification_id": "ntf_01h8bkrfe7w1vwf8xmytwn51e7",
        "data": {"id": "sub_01h8bzakzx3hm2fmen703n5q45", "status": "active"},
    }
).encode()
AT = 1_773_153_901
# paddle-python-sdk's own Verifier test (its test_Verifier.py): three secrets, the third one signed.
SDK_SECRETS = [
    "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_TjIG2BXbm83HPXqNfziwe506sBEdqL/4",
    "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_vB/yIOnTOCWIvpBadM5jzBZPHc7OmdSo",
    "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh",
]
SDK_HEADER = "ts=1696195954;h1=dummy;h1=d96299976a6eb066f484d7fde011ac56fc32b38fc9940bc419d6e537fdc6ef02"


class Request:
    """What the SDK's Verifier reads: ``headers.get("Paddle-Signature")`` and the raw ``body``."""

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers, self.body = headers, body


def paddle_header(body: bytes, ts: int, key: str = KEY) -> str:
    """As Paddle signs: the SDK's own PaddleSignature.calculate_hmac over ``{ts}:{body}``."""
    return f"ts={ts};h1={PaddleSignature.calculate_hmac(key, f'{ts}:'.encode() + body).hexdigest()}"


@pytest.fixture
def sdk_now(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The SDK Verifier's clock, set by the test (it reads ``time()`` from its module)."""
    module = importlib.import_module("paddle_billing.Notifications.Verifier")

    def set_now(now: float) -> None:
        monkeypatch.setattr(module, "time", lambda: now)

    return set_now


def test_what_paddle_signs_is_accepted_stored_and_described() -> None:
    headers = {"Paddle-Signature": paddle_header(BODY, int(time.time()))}
    assert Verifier().verify(Request(headers, BODY), Secret(KEY)) is True
    assert verify("paddle", SECRET, webhook_request("paddle", headers, BODY)) == "hmac-sha256"
    found = answer("paddle", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("paddle", webhook_request("paddle", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "subscription.created",
        "evt_01h8bzakzx3hm2fmen703n5q45",
        "sub_01h8bzakzx3hm2fmen703n5q45",
    )
    assert described.extra["notification_id"] == "ntf_01h8bkrfe7w1vwf8xmytwn51e7"


def test_the_sdks_vector_three_secrets_and_a_dummy_h1_verifies_at_its_time() -> None:
    assert Verifier(0).verify(
        Request({"Paddle-Signature": SDK_HEADER}, b"hello-world"), [Secret(s) for s in SDK_SECRETS]
    )
    request = webhook_request("paddle", {"Paddle-Signature": SDK_HEADER}, b"hello-world")
    assert verify("paddle", {"signing_secrets": SDK_SECRETS}, request, now=1696195954) == "hmac-sha256"
    with pytest.raises(Unauthorized):  # the two secrets that did not sign it
        verify("paddle", {"signing_secrets": SDK_SECRETS[:2]}, request, now=1696195954)


def test_what_our_definition_signs_is_accepted_by_paddles_verifier(sdk_now: Any) -> None:
    sdk_now(AT)
    signed = providers.load("paddle").sign(SubscriptionSecret.model_validate(SECRET), BODY, AT)
    assert (signed.body, dict(signed.query)) == (None, {})
    assert Verifier().verify(Request(dict(signed.headers), BODY), Secret(KEY)) is True
    assert (
        Verifier().verify(Request(dict(signed.headers), BODY), [Secret("rotated-out"), Secret(KEY)]) is True
    )


@pytest.mark.parametrize(("offset", "within"), [(-6, False), (-5, True), (0, True), (5, True), (6, False)])
def test_the_window_is_five_seconds_either_way_as_the_sdks(sdk_now: Any, offset: int, within: bool) -> None:
    headers = {"Paddle-Signature": paddle_header(BODY, AT)}
    sdk_now(AT + offset)
    assert Verifier().verify(Request(headers, BODY), Secret(KEY)) is within
    request = webhook_request("paddle", headers, BODY)
    if within:
        assert verify("paddle", SECRET, request, now=AT + offset) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized):
            verify("paddle", SECRET, request, now=AT + offset)


def test_an_unknown_key_in_the_header_is_ignored_although_the_sdk_throws() -> None:
    header = paddle_header(BODY, AT) + ";h2=" + "0" * 64
    with pytest.raises(ValueError, match="Unrecognized Paddle-Signature key"):
        PaddleSignature.parse(header)
    request = webhook_request("paddle", {"Paddle-Signature": header}, BODY)
    assert verify("paddle", SECRET, request, now=AT) == "hmac-sha256"


@pytest.mark.parametrize(
    "variant",
    ["other secret", "tampered body", "ts changed", "stale", "from the future", "no header", "no h1"],
)
def test_forged_tampered_and_stale_requests_are_refused_with_401(variant: str) -> None:
    now, body = int(time.time()), BODY
    header = paddle_header(BODY, now)
    if variant == "other secret":
        header = paddle_header(BODY, now, SDK_SECRETS[2])
    elif variant == "tampered body":
        body = BODY.replace(b'"active"', b'"paused"')
    elif variant == "ts changed":
        header = header.replace(f"ts={now}", f"ts={now - 1}")
    elif variant in ("stale", "from the future"):
        header = paddle_header(BODY, now + (-60 if variant == "stale" else 60))
    elif variant == "no h1":
        header = f"ts={now}"
    headers = {} if variant == "no header" else {"Paddle-Signature": header}
    assert refused(answer("paddle", SECRET, headers, body))
