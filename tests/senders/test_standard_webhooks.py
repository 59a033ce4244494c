"""Standard Webhooks, proven against its reference library (the `standardwebhooks` package)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookbridge.errors import Unauthorized
from hookbridge.providers import load
from tests.support.senders import describe, request, secret

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the form the spec shows: whsec_ + base64 of the key
SW_BODY = b'{"type":"user.created","timestamp":"2026-03-10T14:44:59Z","data":{"id":"usr_1"}}'


def sw_headers(msg_id: str, at: int, signature: str) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def test_standard_webhooks_accepts_what_the_reference_library_signs() -> None:
    now = int(time.time())
    signature = Webhook(WHSEC).sign(
        "msg_2Lh9KRb0pzN4LePd3XiA4", datetime.fromtimestamp(now, UTC), SW_BODY.decode()
    )
    req = request("standard-webhooks", sw_headers("msg_2Lh9KRb0pzN4LePd3XiA4", now, signature), SW_BODY, now)
    assert load("standard-webhooks").verify(req, secret(WHSEC), now) == "hmac-sha256"
    described = describe("standard-webhooks", req)
    assert (described.event_type, described.event_id, described.recognized) == (
        "user.created",
        "msg_2Lh9KRb0pzN4LePd3XiA4",
        True,
    )


def test_standard_webhooks_reference_library_accepts_what_we_sign() -> None:
    now = int(time.time())
    credentials = load("standard-webhooks").sign(secret(WHSEC), SW_BODY, now)
    assert Webhook(WHSEC).verify(SW_BODY, dict(credentials.headers)) is not None


def test_standard_webhooks_any_listed_v1_signature_passes_and_other_versions_are_ignored() -> None:
    now = int(time.time())
    good = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode())
    other = Webhook("whsec_" + base64.b64encode(b"another key").decode()).sign(
        "msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode()
    )
    listed = f"v1a,{good.split(',')[1]} {other} {good}"  # an unknown version, a rotated-out key, the real one
    Webhook(WHSEC).verify(SW_BODY, sw_headers("msg_1", now, listed))  # the oracle agrees it is genuine
    assert load("standard-webhooks").verify(
        request("standard-webhooks", sw_headers("msg_1", now, listed), SW_BODY), secret(WHSEC), now
    )
    with pytest.raises(Unauthorized):
        load("standard-webhooks").verify(
            request("standard-webhooks", sw_headers("msg_1", now, f"v2,{good.split(',')[1]}"), SW_BODY),
            secret(WHSEC),
            now,
        )


@pytest.mark.parametrize("skew", [-301, 301])
def test_standard_webhooks_timestamps_outside_five_minutes_are_refused_like_the_reference(skew: int) -> None:
    now = int(time.time())
    signed_at = now + skew
    signature = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(signed_at, UTC), SW_BODY.decode())
    headers = sw_headers("msg_1", signed_at, signature)
    with pytest.raises(WebhookVerificationError, match="too"):
        Webhook(WHSEC).verify(SW_BODY, headers)
    with pytest.raises(Unauthorized, match="tolerance"):
        load("standard-webhooks").verify(request("standard-webhooks", headers, SW_BODY), secret(WHSEC), now)


def test_standard_webhooks_the_id_is_signed() -> None:
    now = int(time.time())
    signature = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode())
    with pytest.raises(Unauthorized, match="mismatch"):
        load("standard-webhooks").verify(
            request("standard-webhooks", sw_headers("msg_2", now, signature), SW_BODY), secret(WHSEC), now
        )
