"""Building blocks of the verification schemes. Every comparison of secret material is constant-time,
and every helper fails closed: no key, no header, no match all raise Unauthorized."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

from hookbridge.errors import Unauthorized


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def hmac_digest(key: bytes, message: bytes, algorithm: str) -> bytes:
    """HMAC with ``algorithm`` (sha1, sha256 or sha512: what senders use)."""
    return hmac.digest(key, message, algorithm)


def require_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name.lower())
    if not value:
        raise Unauthorized(f"missing header {name}")
    return value


def require_keys(keys: list[bytes]) -> list[bytes]:
    if not keys:
        raise Unauthorized("subscription has no signing secret configured")
    return keys


def check_timestamp(signed_at: float, now: float, tolerance_seconds: float) -> None:
    """Replay protection: reject a signature made more than ``tolerance_seconds`` from now, either way."""
    if abs(now - signed_at) > tolerance_seconds:
        raise Unauthorized("timestamp outside tolerance")


def digest_matches(
    keys: Iterable[bytes],
    message: bytes,
    candidates: Iterable[str],
    encoding: str,
    algorithm: str = "sha256",
) -> bool:
    """True when any ``candidates`` value (hex or base64 as sent) is the HMAC (SHA-256 unless
    ``algorithm`` says otherwise) of ``message`` under any of ``keys``. Several keys support rotation;
    several candidates, providers that send more than one signature during their own rotation."""
    sent = [c.strip() for c in candidates if c.strip()]
    matched = False
    for key in keys:
        digest = hmac.digest(key, message, algorithm)
        expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
        for candidate in sent:
            if encoding == "hex":
                candidate = candidate.lower()
            # No early exit: the time taken does not depend on which key or candidate matched.
            matched |= hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace"))
    return matched


def secret_matches(given: str, allowed: Iterable[str]) -> bool:
    """Constant-time membership test for shared tokens and passwords."""
    given_bytes = given.encode("utf-8", "replace")
    matched = False
    for value in allowed:
        if value:
            matched |= hmac.compare_digest(given_bytes, value.encode("utf-8", "replace"))
    return matched


def credentials_match(username: str, password: str, allowed: Iterable[tuple[str, str]]) -> bool:
    """Constant-time check of a username and password pair against the configured pairs."""
    user_bytes = username.encode("utf-8", "replace")
    password_bytes = password.encode("utf-8", "replace")
    matched = False
    for allowed_user, allowed_password in allowed:
        if allowed_user and allowed_password:
            user_ok = hmac.compare_digest(user_bytes, allowed_user.encode("utf-8", "replace"))
            password_ok = hmac.compare_digest(password_bytes, allowed_password.encode("utf-8", "replace"))
            matched |= user_ok & password_ok
    return matched
