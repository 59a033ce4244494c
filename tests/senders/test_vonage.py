"""Vonage signed webhooks (Messages API), against Vonage's own library: ``vonage-jwt``'s
``verify_signature(token, signature_secret)`` (PyJWT ``decode(..., algorithms="HS256")``, what Vonage's
"Signed webhooks" page tells a receiver to run) accepts the tokens our signer makes, and the tokens Vonage
makes as its page describes them (PyJWT ``encode``, HS256 with the signature secret; claims iat, jti, iss,
api_key, application_id and payload_hash, the hex SHA-256 of the body) verify here. Vonage's verifier checks
the signature only and calls the payload check optional; the definition requires it, and refuses what PyJWT
would refuse too (another algorithm, ``none``), plus a stale or future ``iat``."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import jwt as pyjwt
import pytest
from vonage_jwt import verify_signature

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

SIGNATURE_SECRET = "vonage_demo_signature_secret_0123456789"
SECRET = {"signing_secrets": [SIGNATURE_SECRET]}
BODY = json.dumps(
    {
        "message_uuid": "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
        "to": "447700900000",
        "from": "447700900001",
        "timestamp": "2026-03-10T14:45:03.000Z",
        "status": "delivered",
        "channel": "sms",
    }
).encode()


def vonage_token(
    body: bytes, *, secret: str = SIGNATURE_SECRET, at: float | None = None, **claims: Any
) -> str:
    """A token as Vonage makes one (its page's claims), with PyJWT."""
    payload = {
        "iat": int(time.time() if at is None else at),
        "jti": "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(body).hexdigest(),
        "api_key": "a1b2c3d4",
        "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
    payload.update(claims)
    algorithm = str(payload.pop("_alg", "HS256"))
    return pyjwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm=algorithm)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_vonage_makes_is_accepted_stored_once_and_described() -> None:
    headers = bearer(vonage_token(BODY))
    assert verify("vonage", SECRET, webhook_request("vonage", headers, BODY)) == "jwt-hs256"
    found = answer("vonage", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("vonage", webhook_request("vonage", headers, BODY))
    assert (described.event_type, described.event_id) == (
        "delivered",
        "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab:delivered",
    )


def test_vonage_library_accepts_what_our_signer_makes_and_its_payload_hash_is_the_body() -> None:
    secret = SubscriptionSecret.model_validate(SECRET)
    credentials = providers.load("vonage").sign(secret, BODY, int(time.time()), url_for("vonage"), {})
    scheme, _, token = credentials.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    assert verify_signature(token, SIGNATURE_SECRET) is True
    assert verify_signature(token, "another_signature_secret_0123456789") is False
    claims = pyjwt.decode(token, SIGNATURE_SECRET, algorithms=["HS256"])
    assert claims["payload_hash"] == hashlib.sha256(BODY).hexdigest()
    assert pyjwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_rotated_secret_still_verifies() -> None:
    rotated = {"signing_secrets": ["the_new_signature_secret_0123456789", SIGNATURE_SECRET]}
    assert verify("vonage", rotated, webhook_request("vonage", bearer(vonage_token(BODY)), BODY))


def test_iat_is_accepted_within_five_minutes_either_way_and_refused_beyond() -> None:
    now = time.time()
    for skew, accepted in ((-299, True), (299, True), (-301, False), (301, False)):
        headers = bearer(vonage_token(BODY, at=now + skew))
        assert (answer("vonage", SECRET, headers, BODY, now=now).status == 200) is accepted, skew


def none_token(body: bytes) -> str:
    """alg none: PyJWT makes it with no key; what an attacker without the secret would send."""
    claims = {"iat": int(time.time()), "payload_hash": hashlib.sha256(body).hexdigest()}
    return pyjwt.encode(claims, None, algorithm="none")


@pytest.mark.parametrize(
    "variant",
    [
        "tampered body",
        "other secret",
        "no authorization",
        "not bearer",
        "alg none",
        "alg HS512",
        "no payload_hash",
        "no iat",
        "expired",
        "crit header",
        "two parts",
    ],
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    body, token = BODY, vonage_token(BODY)
    headers = bearer(token)
    if variant == "tampered body":
        body = BODY.replace(b"delivered", b"rejected")
    elif variant == "other secret":
        headers = bearer(vonage_token(BODY, secret="guessed_signature_secret_0123456789"))
    elif variant == "no authorization":
        headers = {}
    elif variant == "not bearer":
        headers = {"Authorization": token}
    elif variant == "alg none":
        headers = bearer(none_token(BODY))
    elif variant == "alg HS512":  # the right secret, another algorithm: the definition pins HS256
        headers = bearer(vonage_token(BODY, _alg="HS512", secret=SIGNATURE_SECRET * 2))
    elif variant == "no payload_hash":
        headers = bearer(vonage_token(BODY, payload_hash=None))
    elif variant == "no iat":
        headers = bearer(vonage_token(BODY, iat=None))
    elif variant == "expired":
        headers = bearer(vonage_token(BODY, exp=int(time.time()) - 1))
    elif variant == "crit header":
        crit = pyjwt.encode(
            {"iat": int(time.time()), "payload_hash": hashlib.sha256(BODY).hexdigest()},
            SIGNATURE_SECRET,
            algorithm="HS256",
            headers={"crit": ["exp"]},
        )
        headers = bearer(crit)
    else:
        headers = bearer(token.rsplit(".", 1)[0])
    assert refused(answer("vonage", SECRET, headers, body))


def test_a_token_signed_with_the_secret_as_an_rs256_public_key_is_refused() -> None:
    """Algorithm confusion: a token whose header says RS256 (or anything else) is refused before a key is
    used, whatever its signature; only HS256 under the shared secret passes."""
    header = pyjwt.utils.base64url_encode(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()).decode()
    good = vonage_token(BODY)
    _, claims, signature = good.split(".")
    assert refused(answer("vonage", SECRET, bearer(f"{header}.{claims}.{signature}"), BODY))


def test_the_token_is_never_logged(capsys: pytest.CaptureFixture[str]) -> None:
    token = vonage_token(BODY, secret="guessed_signature_secret_0123456789")
    assert refused(answer("vonage", SECRET, bearer(token), BODY))
    good = vonage_token(BODY)
    assert answer("vonage", SECRET, bearer(good), BODY).status == 200
    out = capsys.readouterr()
    assert "token signature mismatch" in out.out + out.err  # the handler's output is what is read here
    for value in (token, good, token.split(".")[2], good.split(".")[2]):
        assert value not in out.out + out.err
