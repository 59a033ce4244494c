"""Telnyx, against its own library: telnyx 4.189.0's
``telnyx.lib.webhook_verification.verify_webhook_signature`` (what ``client.webhooks.unwrap`` calls).
telnyx-signature-ed25519 is the base64 Ed25519 signature of "{telnyx-timestamp}|{body}", checked with the
account's public key, which Telnyx shows as base64 of the raw 32 bytes (``key_format = "base64"``). Keys
here are pynacl's ``SigningKey(bytes(range(32)))``; Ed25519 is deterministic, so our signer must produce
the very bytes. Telnyx's library refuses a timestamp more than 300 s away: so do we. The event id is
data.id."""

from __future__ import annotations

import base64
import time

import pytest
from nacl.signing import SigningKey
from telnyx.lib.webhook_verification import WebhookVerificationError, verify_webhook_signature

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

SEED = bytes(range(32))
SENDER = SigningKey(SEED)
PUBLIC_KEY = base64.b64encode(SENDER.verify_key.encode()).decode()  # as Mission Control shows it
OTHER = SigningKey(bytes(range(1, 33)))
SECRET = {"public_keys": [PUBLIC_KEY]}
BODY = load_event("telnyx", "message.received")["body"].encode()


def telnyx_headers(body: bytes, at: int, key: SigningKey = SENDER) -> dict[str, str]:
    """As Telnyx signs: Ed25519 over "{timestamp}|{body}", base64."""
    signature = key.sign(f"{at}|".encode() + body).signature
    return {"telnyx-signature-ed25519": base64.b64encode(signature).decode(), "telnyx-timestamp": str(at)}


def telnyx_accepts(headers: dict[str, str], body: bytes, public_key: str = PUBLIC_KEY) -> bool:
    try:
        verify_webhook_signature(body, headers, public_key)
    except WebhookVerificationError:
        return False
    return True


def test_what_telnyx_signs_is_accepted_stored_and_described() -> None:
    headers = telnyx_headers(BODY, int(time.time()))
    assert telnyx_accepts(headers, BODY)
    assert verify("telnyx", SECRET, webhook_request("telnyx", headers, BODY)) == "ed25519"
    found = answer("telnyx", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("telnyx", webhook_request("telnyx", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "message.received",
        "b301ed3f-1490-491f-995f-6e64e69674d4",
        "84cca175-9755-4859-b67a-4730d7f58aa3",
    )


def test_what_our_definition_signs_telnyxs_library_accepts_byte_for_byte() -> None:
    at = int(time.time())
    signed = providers.load("telnyx").sign(
        SubscriptionSecret.model_validate({"private_keys": [SEED.hex()]}), BODY, at, "", {}
    )
    assert dict(signed.headers) == {
        "telnyx-timestamp": str(at),
        "telnyx-signature-ed25519": telnyx_headers(BODY, at)["telnyx-signature-ed25519"],
    }
    assert telnyx_accepts(dict(signed.headers), BODY)


def test_the_key_written_in_hex_is_not_how_telnyx_shows_it_and_verifies_nothing() -> None:
    headers = telnyx_headers(BODY, int(time.time()))
    hex_key = SENDER.verify_key.encode().hex()
    assert refused(answer("telnyx", {"public_keys": [hex_key]}, headers, BODY))


@pytest.mark.parametrize(
    "variant", ["other key", "tampered body", "tampered timestamp", "no signature", "no timestamp", "hex"]
)
def test_forged_and_tampered_requests_are_refused_as_telnyxs_library_refuses_them(variant: str) -> None:
    at, body = int(time.time()), BODY
    headers = telnyx_headers(body, at, OTHER if variant == "other key" else SENDER)
    if variant == "tampered body":
        body = body.replace(b"Hello", b"Hullo")
    elif variant == "tampered timestamp":
        headers["telnyx-timestamp"] = str(at - 1)
    elif variant == "no signature":
        del headers["telnyx-signature-ed25519"]
    elif variant == "no timestamp":
        del headers["telnyx-timestamp"]
    elif variant == "hex":
        headers["telnyx-signature-ed25519"] = base64.b64decode(headers["telnyx-signature-ed25519"]).hex()
    assert not telnyx_accepts(headers, body)
    assert refused(answer("telnyx", SECRET, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(299, True), (-299, True), (301, False), (-301, False)])
def test_the_window_is_telnyxs_300_seconds(age: int, accepted: bool) -> None:
    signed_at = int(time.time()) - age
    headers = telnyx_headers(BODY, signed_at)
    assert telnyx_accepts(headers, BODY) == accepted
    request = webhook_request("telnyx", headers, BODY)
    if accepted:
        assert verify("telnyx", SECRET, request, now=signed_at + age) == "ed25519"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("telnyx", SECRET, request, now=signed_at + age)


@pytest.mark.parametrize("sample", sample_names("telnyx"))
def test_the_shipped_samples_are_genuine_to_telnyxs_library_and_to_us(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    event, secret = load_event("telnyx", sample), demo_secret("telnyx")
    body, at = event["body"].encode(), int(event["headers"]["telnyx-timestamp"])
    monkeypatch.setattr(time, "time", lambda: at)  # the library reads the clock
    assert telnyx_accepts(event["headers"], body, secret["public_keys"][0])
    request = webhook_request("telnyx", event["headers"], body)
    assert verify("telnyx", secret, request, now=at) == "ed25519"
