"""Svix (Clerk, Resend, ...), against its own SDK: svix 2.9.1 (``svix.webhooks.Webhook``, which delegates to
standardwebhooks 1.1.0) is the judge, with the worked example of Svix's manual-verification page.
``svix-signature`` is a space-separated list of ``v1,<base64 HMAC-SHA256>`` of
``{svix-id}.{svix-timestamp}.{body}`` with the key ``whsec_<base64>``; any entry matching passes
(rotation). Window: 300 seconds either way, as the SDK's hard-coded five minutes; ours is the same. The
svix-id is the event id (the same on every retry)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import standardwebhooks.webhooks
from svix.webhooks import Webhook, WebhookVerificationError

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, frozen_datetime, refused, verify, webhook_request

# docs.svix.com/receiving/verifying-payloads/how-manual (= the Standard Webhooks test vector)
DOCS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DOCS_ID, DOCS_AT = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
DOCS_BODY = b'{"test": 2432232314}'
DOCS_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
SECRET = {"signing_secrets": [DOCS_SECRET]}
BODY = json.dumps(
    {
        "type": "user.created",
        "object": "event",
        "data": {"id": "user_29w83sxmDNGwOuEthce5gg56FcC", "object": "user"},
    }
).encode()
MESSAGE_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


def svix_headers(body: bytes, at: int, secret: str = DOCS_SECRET, msg_id: str = MESSAGE_ID) -> dict[str, str]:
    """As Svix sends it: the SDK's own Webhook.sign."""
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {"svix-id": msg_id, "svix-timestamp": str(at), "svix-signature": signature}


@pytest.fixture
def sdk_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The SDK's clock, set by the test (standardwebhooks reads ``datetime.now`` from its module)."""

    return lambda now: monkeypatch.setattr(standardwebhooks.webhooks, "datetime", frozen_datetime(now))


def test_what_svix_signs_is_accepted_stored_and_described() -> None:
    headers = svix_headers(BODY, int(time.time()))
    Webhook(DOCS_SECRET).verify(BODY, headers)  # raises unless the SDK accepts it
    assert verify("svix", SECRET, webhook_request("svix", headers, BODY)) == "hmac-sha256"
    found = answer("svix", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("svix", webhook_request("svix", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "user.created",
        MESSAGE_ID,
        "user_29w83sxmDNGwOuEthce5gg56FcC",
    )


def test_the_docs_vector_verifies_at_its_time_also_after_a_wrong_signature(
    sdk_now: Callable[[float], None],
) -> None:
    assert svix_headers(DOCS_BODY, DOCS_AT, msg_id=DOCS_ID)["svix-signature"] == DOCS_SIGNATURE
    headers = {"svix-id": DOCS_ID, "svix-timestamp": str(DOCS_AT), "svix-signature": DOCS_SIGNATURE}
    assert verify("svix", SECRET, webhook_request("svix", headers, DOCS_BODY), now=DOCS_AT) == "hmac-sha256"
    listed = headers | {"svix-signature": "v1,bm90LXRoaXMtb25l " + DOCS_SIGNATURE}
    sdk_now(DOCS_AT)
    Webhook(DOCS_SECRET).verify(DOCS_BODY, listed)
    assert verify("svix", SECRET, webhook_request("svix", listed, DOCS_BODY), now=DOCS_AT) == "hmac-sha256"


def test_what_our_definition_signs_is_accepted_by_svixs_verifier(sdk_now: Callable[[float], None]) -> None:
    sdk_now(DOCS_AT)
    made = providers.load("svix").sign(SubscriptionSecret.model_validate(SECRET), BODY, DOCS_AT)
    assert made.body is None
    assert made.headers["svix-timestamp"] == str(DOCS_AT)
    Webhook(DOCS_SECRET).verify(BODY, dict(made.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(DOCS_SECRET).verify(BODY + b" ", dict(made.headers))


@pytest.mark.parametrize(("offset", "within"), [(-301, False), (-300, True), (300, True), (301, False)])
def test_the_window_is_300_seconds_either_way_as_the_sdks(
    sdk_now: Callable[[float], None], offset: int, within: bool
) -> None:
    headers = {"svix-id": DOCS_ID, "svix-timestamp": str(DOCS_AT), "svix-signature": DOCS_SIGNATURE}
    request = webhook_request("svix", headers, DOCS_BODY)
    sdk_now(DOCS_AT + offset)
    if within:
        Webhook(DOCS_SECRET).verify(DOCS_BODY, headers)
        assert verify("svix", SECRET, request, now=DOCS_AT + offset) == "hmac-sha256"
    else:
        with pytest.raises(WebhookVerificationError, match=r"too (old|new)"):
            Webhook(DOCS_SECRET).verify(DOCS_BODY, headers)
        with pytest.raises(Unauthorized):
            verify("svix", SECRET, request, now=DOCS_AT + offset)


@pytest.mark.parametrize(
    "variant",
    [
        "other secret",
        "tampered body",
        "svix-id changed",
        "timestamp changed",
        "stale",
        "from the future",
        "no v1 prefix",
        "no signature",
    ],
)
def test_forged_tampered_and_stale_requests_are_refused_with_401(variant: str) -> None:
    now, body = int(time.time()), BODY
    headers = svix_headers(BODY, now)
    if variant == "other secret":
        headers = svix_headers(BODY, now, "whsec_aG9va2JyaWRnZSBzdml4IGRlbW8gc2VjcmV0ISE=")
    elif variant == "tampered body":
        body = BODY.replace(b"user.created", b"user.deleted")
    elif variant == "svix-id changed":
        headers["svix-id"] = "msg_other"
    elif variant == "timestamp changed":
        headers["svix-timestamp"] = str(now - 1)
    elif variant in ("stale", "from the future"):
        headers = svix_headers(BODY, now + (-400 if variant == "stale" else 400))
    elif variant == "no v1 prefix":
        headers["svix-signature"] = headers["svix-signature"].removeprefix("v1,")
    elif variant == "no signature":
        del headers["svix-signature"]
    assert refused(answer("svix", SECRET, headers, body))
