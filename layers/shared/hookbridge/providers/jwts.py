"""JSON Web Tokens a sender signs with the shared secret (definition.Jwt): Vonage's signed webhooks
(``Authorization: Bearer``, HS256, ``payload_hash`` the hex SHA-256 of the body), monday.com's app
webhooks (``Authorization``, HS256, ``exp`` and ``aud``).

The standard library only: an HMAC JWT is three base64url parts and one HMAC, and a general JWT library in
the layer would bring the algorithm choice into the token's hands. Here the definition pins it. In order,
each step failing closed (Unauthorized, with a reason that never holds the token):

1. the header's value, after its prefix, is three base64url parts of sane size;
2. the JOSE header is a JSON object whose ``alg`` is the definition's exactly (``none``, ``RS256`` or any
   other is refused before a key is touched: no algorithm confusion), with no ``crit`` and a ``typ`` of
   ``JWT`` when present;
3. the HMAC of ``header.payload`` is compared in constant time with the signature under every
   ``signing_secrets`` key (no early exit: the time does not say which key matched);
4. only then the claims: a JSON object; ``iat`` a number inside its window; ``exp`` (required with
   ``expires``) not past; ``nbf`` not ahead; ``aud`` the URL called, when asked; the body's SHA-256 the
   named claim, in constant time.

The signer (``hookbridge send``, the tests) writes what the sender would: PyJWT's and Vonage's own library
(``vonage_jwt.verify_signature``) accept it, and tokens they make verify here (tests/senders).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import Jwt
from hookbridge.providers.scheme_parts import Absent, Signed, Signer, Verify, delivery_id, signed_url
from hookbridge.providers.signed_content import request_url, with_and_without_port
from hookbridge.providers.verification import check_timestamp
from hookbridge.subscription import SubscriptionSecret

# A webhook's token is a few hundred bytes; anything far larger is refused before it is decoded.
MAX_TOKEN = 8192
_B64URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def build_verify(scheme: Jwt) -> Verify:
    header = scheme.header.lower()
    verified_by = f"jwt-{scheme.algorithm.lower()}"

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        keys = _keys(secret)
        sent = request.headers.get(header)
        if not sent:
            raise Absent(f"missing header {scheme.header}")
        token = _token(sent, scheme.prefix, required=scheme.prefix_required)
        claims = verified_claims(scheme, token, keys, now)
        if scheme.audience == "url":
            _check_audience(claims, request, secret)
        if scheme.body_sha256_claim is not None:
            _check_body_hash(claims, scheme.body_sha256_claim, request.body)
        return verified_by

    return verify


def verified_claims(scheme: Jwt, token: str, keys: list[bytes], now: float) -> dict[str, Any]:
    """The claims of a token signed with one of ``keys`` under the definition's algorithm, its times
    checked; Unauthorized otherwise."""
    parts = token.split(".")
    if len(token) > MAX_TOKEN or len(parts) != 3 or not all(parts[:2]) or not parts[2]:
        raise Unauthorized("malformed token")
    encoded_header, encoded_claims, encoded_signature = parts
    jose = json_part(encoded_header)
    if jose.get("alg") != scheme.algorithm:
        raise Unauthorized("token algorithm not allowed")
    if "crit" in jose or str(jose.get("typ", "JWT")).upper() != "JWT":
        raise Unauthorized("token header not allowed")
    signature = b64url(encoded_signature)
    message = f"{encoded_header}.{encoded_claims}".encode("ascii")
    matched = False
    for key in keys:  # every key is tried: the time taken does not say which one matched
        matched |= hmac.compare_digest(hmac.digest(key, message, scheme.hash_name), signature)
    if not matched:
        raise Unauthorized("token signature mismatch")
    claims = json_part(encoded_claims)
    _check_times(scheme, claims, now)
    return claims


def _check_times(scheme: Jwt, claims: Mapping[str, Any], now: float) -> None:
    issued = _number(claims, "iat")
    if issued is None:
        raise Unauthorized("token has no iat")
    check_timestamp(issued, now, scheme.timestamp.tolerance_seconds)
    expiry = _number(claims, "exp")
    if expiry is None and (scheme.expires or "exp" in claims):
        raise Unauthorized("token has no valid exp")
    if expiry is not None and now >= expiry:
        raise Unauthorized("token expired")
    not_before = _number(claims, "nbf")
    if "nbf" in claims and (not_before is None or now < not_before):
        raise Unauthorized("token not yet valid")


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _check_audience(claims: Mapping[str, Any], request: WebhookRequest, secret: SubscriptionSecret) -> None:
    audience = claims.get("aud")
    given = audience if isinstance(audience, list) else [audience]
    urls = with_and_without_port(request_url(request, secret))
    if not any(isinstance(a, str) and a in urls for a in given):
        raise Unauthorized("token audience is not this URL")


def _check_body_hash(claims: Mapping[str, Any], claim: str, body: bytes) -> None:
    stated = claims.get(claim)
    if not isinstance(stated, str):
        raise Unauthorized(f"token has no {claim}")
    expected = hashlib.sha256(body).hexdigest().encode()
    if not hmac.compare_digest(expected, stated.lower().encode("utf-8", "replace")):
        raise Unauthorized(f"{claim} is not the body's")


def _token(value: str, prefix: str, *, required: bool) -> str:
    value = value.strip()
    if prefix and value[: len(prefix)].lower() == prefix.lower():
        return value[len(prefix) :].strip()
    if prefix and required:
        raise Unauthorized(f"authorization is not {prefix.strip()}")
    return value


def _keys(secret: SubscriptionSecret) -> list[bytes]:
    keys = [s.get_secret_value().encode() for s in secret.signing_secrets if s.get_secret_value()]
    if not keys:
        raise Unauthorized("subscription has no signing secret configured")
    return keys


def b64url(part: str) -> bytes:
    raw = part.encode("ascii", "replace")
    if not _B64URL.issuperset(raw):
        raise Unauthorized("malformed token")
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise Unauthorized("malformed token") from None


def json_part(part: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url(part))
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("malformed token") from None
    if not isinstance(value, dict):
        raise Unauthorized("malformed token")
    return value


# ------------------------------------------------------------------------------------------- signing
def build_sign(scheme: Jwt) -> Signer:
    """Signs as the sender does: iat the time given, exp five minutes on where the sender sets one (as
    monday.com's; never sooner than the iat window closes, so that the window is what decides), aud the URL
    posted to, the body's hash, and a jti made of the body."""
    lifetime = max(300, scheme.timestamp.tolerance_seconds + 1)

    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        key = _keys(secret)[0]
        claims: dict[str, Any] = {"iat": at, "jti": delivery_id(body)}
        if scheme.expires:
            claims["exp"] = at + lifetime
        if scheme.audience == "url":
            claims["aud"] = signed_url(url, secret)
        if scheme.body_sha256_claim is not None:
            claims[scheme.body_sha256_claim] = hashlib.sha256(body).hexdigest()
        prefix = scheme.prefix if scheme.prefix_required else ""
        return Signed({scheme.header: prefix + encode(claims, key, scheme.algorithm)})

    return sign


def encode(claims: Mapping[str, Any], key: bytes, algorithm: str = "HS256") -> str:
    """A compact JWS of ``claims``, HMAC-signed with ``key``."""
    parts = [
        _b64(json.dumps({"alg": algorithm, "typ": "JWT"}, separators=(",", ":")).encode()),
        _b64(json.dumps(dict(claims), separators=(",", ":")).encode()),
    ]
    message = ".".join(parts).encode("ascii")
    return ".".join([*parts, _b64(hmac.digest(key, message, "sha" + algorithm[2:]))])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
