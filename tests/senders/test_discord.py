"""Discord Webhook Events, against the library Discord's own docs verify with: pynacl 1.6.2 (``nacl.signing``;
Discord publishes no SDK for this, and no vector: its private key is its own). X-Signature-Ed25519 is the
hex Ed25519 signature of X-Signature-Timestamp followed by the body, checked with the application's Public
Key (hex). Keys here are pynacl's ``SigningKey(bytes(range(32)))``, public key 03a107bf...31b8; Ed25519 is
deterministic, so our signer must produce pynacl's very bytes. Discord sets no window (neither its docs nor
its reference code check the timestamp): ours is an hour, beyond its retries, and a replay within it is a
duplicate of its content. Saving the URL sends a signed PING ({"type": 0}), answered 204 and never stored;
every event is answered 204 too, with a Content-Type and no body."""

from __future__ import annotations

import time

import pytest
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import Answer, answer, describe, refused, verify, webhook_request

SEED = bytes(range(32))
SENDER = SigningKey(SEED)
PUBLIC_KEY = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
OTHER = SigningKey(bytes(range(1, 33)))
SECRET = {"public_keys": [PUBLIC_KEY]}
PING = b'{"version":1,"application_id":"1234560123453231555","type":0}'
AUTHORIZED = load_event("discord", "APPLICATION_AUTHORIZED")["body"].encode()
EMPTY_204 = (204, "application/json", "")


def discord_headers(body: bytes, at: int | str, key: SigningKey = SENDER) -> dict[str, str]:
    """As Discord signs: Ed25519 (pynacl) over the timestamp then the body."""
    signature = key.sign(str(at).encode() + body).signature.hex()
    return {
        "Content-Type": "application/json",
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": str(at),
    }


def pynacl_accepts(headers: dict[str, str], body: bytes, public_key: str = PUBLIC_KEY) -> bool:
    """The check of Discord's docs: VerifyKey(public key).verify(timestamp + body, signature)."""
    try:
        message = headers["X-Signature-Timestamp"].encode() + body
        VerifyKey(bytes.fromhex(public_key)).verify(message, bytes.fromhex(headers["X-Signature-Ed25519"]))
    except (BadSignatureError, KeyError, ValueError):
        return False
    return True


def empty_204(found: Answer) -> tuple[int, str, str]:
    return found.status, found.content_type, found.body


def test_the_key_pair_is_pynacls() -> None:
    assert SENDER.verify_key.encode().hex() == PUBLIC_KEY


@pytest.mark.parametrize(
    ("sample", "subject"),
    [("APPLICATION_AUTHORIZED", "111178765189277770"), ("ENTITLEMENT_CREATE", "1234505980407808808")],
)
def test_what_discord_signs_is_answered_204_stored_and_described(sample: str, subject: str) -> None:
    body = load_event("discord", sample)["body"].encode()
    headers = discord_headers(body, int(time.time()))
    assert pynacl_accepts(headers, body)
    assert verify("discord", SECRET, webhook_request("discord", headers, body)) == "ed25519"
    found = answer("discord", SECRET, headers, body)
    assert (*empty_204(found), len(found.stored)) == (*EMPTY_204, 1)
    described = describe("discord", webhook_request("discord", headers, body))
    assert (described.event_type, described.event_id, described.subject) == (sample, None, subject)
    assert described.extra["application_id"] == "1234560123453231555"


def test_the_signed_ping_is_answered_204_and_not_stored_a_forged_one_401() -> None:
    found = answer("discord", SECRET, discord_headers(PING, int(time.time())), PING)
    assert (*empty_204(found), found.stored) == (*EMPTY_204, [])
    assert refused(answer("discord", SECRET, discord_headers(PING, int(time.time()), OTHER), PING))


def test_what_our_definition_signs_is_pynacls_signature() -> None:
    at = int(time.time())
    signed = providers.load("discord").sign(
        SubscriptionSecret.model_validate({"private_keys": [SEED.hex()]}), AUTHORIZED, at, "", {}
    )
    assert (dict(signed.query), signed.body) == ({}, None)
    assert signed.headers["X-Signature-Timestamp"] == str(at)
    assert pynacl_accepts(dict(signed.headers), AUTHORIZED)
    assert signed.headers["X-Signature-Ed25519"] == discord_headers(AUTHORIZED, at)["X-Signature-Ed25519"]
    found = answer("discord", SECRET, {"Content-Type": "application/json", **signed.headers}, AUTHORIZED)
    assert (*empty_204(found), len(found.stored)) == (*EMPTY_204, 1)


@pytest.mark.parametrize(
    "keys",
    [[OTHER.verify_key.encode().hex(), PUBLIC_KEY], [PUBLIC_KEY, OTHER.verify_key.encode().hex()]],
    ids=["new-key-second", "new-key-first"],
)
def test_public_keys_rotate_any_one_verifies(keys: list[str]) -> None:
    headers = discord_headers(AUTHORIZED, int(time.time()))
    assert (
        verify("discord", {"public_keys": keys}, webhook_request("discord", headers, AUTHORIZED)) == "ed25519"
    )
    assert answer("discord", {"public_keys": keys}, headers, AUTHORIZED).status == 204


@pytest.mark.parametrize(
    "key", ["zz", PUBLIC_KEY[:-2], PUBLIC_KEY + "00", "", "not hex at all", "ff" * 32, "00" * 32]
)
def test_a_malformed_public_key_fails_closed(key: str) -> None:
    headers = discord_headers(AUTHORIZED, int(time.time()))
    assert not pynacl_accepts(headers, AUTHORIZED, key)
    assert refused(answer("discord", {"public_keys": [key]}, headers, AUTHORIZED))


@pytest.mark.parametrize(
    "variant",
    [
        "other key",
        "tampered body",
        "tampered timestamp",
        "no signature",
        "no timestamp",
        "truncated",
        "not hex",
        "malleable (S + L)",
    ],
)
def test_forged_and_tampered_requests_are_refused_with_401_as_pynacl_refuses_them(variant: str) -> None:
    at, body = int(time.time()), AUTHORIZED
    headers = discord_headers(body, at, OTHER if variant == "other key" else SENDER)
    if variant == "tampered body":
        body = body.replace(b"nelly", b"nellie")
    elif variant == "tampered timestamp":
        headers["X-Signature-Timestamp"] = str(at + 1)
    elif variant == "no signature":
        del headers["X-Signature-Ed25519"]
    elif variant == "no timestamp":
        del headers["X-Signature-Timestamp"]
    elif variant == "truncated":
        headers["X-Signature-Ed25519"] = headers["X-Signature-Ed25519"][:-2]
    elif variant == "not hex":
        headers["X-Signature-Ed25519"] = "zz" + headers["X-Signature-Ed25519"][2:]
    elif variant == "malleable (S + L)":  # the same signature, non-canonical: libsodium refuses it
        signature = bytes.fromhex(headers["X-Signature-Ed25519"])
        order = 2**252 + 27742317777372353535851937790883648493
        s = int.from_bytes(signature[32:], "little") + order
        headers["X-Signature-Ed25519"] = (signature[:32] + s.to_bytes(32, "little")).hex()
    assert not pynacl_accepts(headers, body)
    assert refused(answer("discord", SECRET, headers, body))


@pytest.mark.parametrize(
    ("age", "accepted"), [(3_599, True), (-3_599, True), (3_601, False), (-3_601, False)]
)
def test_our_window_of_an_hour_covers_discords_ten_minutes_of_retries(age: int, accepted: bool) -> None:
    """Discord sets none; ours is 1 h either way (its retries end within 10 minutes): a signature pynacl
    accepts is refused outside it, so a captured request cannot come back once the table forgets it."""
    signed_at = 1_800_000_000
    headers = discord_headers(AUTHORIZED, signed_at)
    assert pynacl_accepts(headers, AUTHORIZED)
    request = webhook_request("discord", headers, AUTHORIZED)
    if accepted:
        assert verify("discord", SECRET, request, now=signed_at + age) == "ed25519"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("discord", SECRET, request, now=signed_at + age)


@pytest.mark.parametrize("sample", sample_names("discord"))
def test_the_shipped_samples_are_genuine_to_pynacl_and_to_us(sample: str) -> None:
    event, secret = load_event("discord", sample), demo_secret("discord")
    headers = {k.title(): v for k, v in event["headers"].items()}
    body = event["body"].encode()
    assert pynacl_accepts(headers, body, secret["public_keys"][0])
    assert (
        SigningKey(bytes.fromhex(secret["private_keys"][0])).verify_key.encode().hex()
        == secret["public_keys"][0]
    )
    at = int(headers["X-Signature-Timestamp"])
    assert verify("discord", secret, webhook_request("discord", headers, body), now=at) == "ed25519"
