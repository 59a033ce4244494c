"""Tokens signed with RS256 by a sender that publishes its keys as a JWKS at a fixed URL (Google's OIDC ID
tokens for Pub/Sub push; Microsoft Graph's rich notifications' validationTokens): the key store and
the token check, for any sender whose code names its own URL and claims.

- The URL is the sender's, fixed in code: never one a request names. It is fetched with the bounded fetch
  of ``certificates`` (HTTPS, default TLS context, no redirect, a size limit, a short timeout).
- Keys are cached per instance for the answer's ``Cache-Control: max-age`` (bounded: ``MIN_MAX_AGE`` ..
  ``MAX_MAX_AGE``; ``DEFAULT_MAX_AGE`` without one): the warm path makes no network call. A failed fetch is
  not retried for ``RETRY_AFTER_SECONDS`` (the request is answered 503: the sender retries), and keys
  already had stay in use meanwhile.
- A ``kid`` the fresh cache does not hold may make the store fetch again (a sender's new key), but at most
  ``UNKNOWN_KID_BUDGET`` times in ``UNKNOWN_KID_WINDOW`` seconds per instance: tokens forged with made-up
  kids cost at most that many fetches; beyond it they are refused (503) without one.
- The algorithm is pinned: the JOSE header's ``alg`` must be ``RS256`` exactly (``none``, ``HS256`` with
  the public key as its secret, ``RS512``, ``PS256`` ... are refused before any key is looked up), no
  ``crit``, a ``typ`` of ``JWT`` when present, a ``kid`` always. The signature is RSASSA-PKCS1-v1_5 with
  SHA-256, checked by ``certificates.rsa_pkcs1v15_verifies`` from the JWK's ``n`` and ``e`` (no
  `cryptography` in the layer: ``certificates`` says why); keys under 2048 bits are never used.
- Keys may be pinned instead (a secret's ``public_keys``: JWKs, a JWKS, or PEM certificates or public
  keys): then nothing is ever fetched (the local stack, the tests, an operator who wants no fetch).

The claims are the caller's to check (``google_pubsub``, ``microsoft_graph``): this module proves only
that the sender's key signed the token.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.providers.certificates import (
    Refused,
    check_rsa_key,
    https_get,
    parse_certificate,
    pem_to_der,
    public_key_numbers,
    rsa_pkcs1v15_verifies,
)
from hookbridge.providers.jwts import MAX_TOKEN, b64url_part, json_part

ALGORITHM = "RS256"
MAX_JWKS_BYTES = 32_768  # Google's JWKS is ~1.5 KB (two or three keys)
DEFAULT_MAX_AGE = 3600  # without a Cache-Control max-age
MIN_MAX_AGE = 60
MAX_MAX_AGE = 86_400  # keys are refetched at least daily whatever the answer says
RETRY_AFTER_SECONDS = 10  # after a failed fetch, none for this long (answered 503 meanwhile)
UNKNOWN_KID_BUDGET = 3  # refetches an unknown kid may cause per instance ...
UNKNOWN_KID_WINDOW = 600  # ... in this many seconds
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,10})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RsaKey:
    kid: str | None  # None for a pinned PEM key: tried whatever the token's kid
    n: int
    e: int


Get = Callable[[str], tuple[bytes, Mapping[str, str]]]


def https_jwks(url: str) -> tuple[bytes, Mapping[str, str]]:
    body, headers = https_get(url, "application/json", MAX_JWKS_BYTES)
    return body, {k.lower(): v for k, v in headers.items()}


def max_age(cache_control: str | None) -> float:
    """How long a JWKS may be kept, from its answer's Cache-Control, bounded either way."""
    found = _MAX_AGE.search(cache_control or "")
    seconds = int(found.group(1)) if found else DEFAULT_MAX_AGE
    if cache_control and re.search(r"no-(store|cache)", cache_control, re.IGNORECASE):
        seconds = MIN_MAX_AGE
    return float(min(max(seconds, MIN_MAX_AGE), MAX_MAX_AGE))


class JwksStore:
    """One sender's keys, fetched from its fixed ``url`` once per max-age per instance. ``get`` is injected
    (the tests' makes no network call) and ``clock`` is monotonic."""

    def __init__(
        self,
        url: str,
        get: Get = https_jwks,
        clock: Callable[[], float] = time.monotonic,
        budget: int = UNKNOWN_KID_BUDGET,
        window: float = UNKNOWN_KID_WINDOW,
    ) -> None:
        self.url = url
        self._get = get
        self._clock = clock
        self._budget = budget
        self._window = window
        self._keys: dict[str, RsaKey] = {}
        self._expires = float("-inf")
        self._failed_until = float("-inf")
        self._unknown_fetches: deque[float] = deque()
        self._lock = threading.Lock()
        self.fetches = 0  # how many fetches were made (the tests read it)

    def keys_for(self, kid: str) -> list[RsaKey]:
        """The key named ``kid``: from the cache, else fetched within the rules above."""
        with self._lock:
            now = self._clock()
            if now >= self._expires:
                self._refresh(now)
            elif kid not in self._keys:
                while self._unknown_fetches and self._unknown_fetches[0] <= now - self._window:
                    self._unknown_fetches.popleft()
                if len(self._unknown_fetches) >= self._budget:
                    raise Unavailable("key id unknown and the refetch budget is spent")
                self._unknown_fetches.append(now)
                self._refresh(now)
            found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("token key id unknown")
        return [found]

    def _refresh(self, now: float) -> None:
        if now < self._failed_until:
            if self._keys and now < self._expires + MAX_MAX_AGE:
                return  # keep what was had while the sender's host is unreachable
            raise Unavailable("key set fetch failed recently")
        self.fetches += 1
        try:
            body, headers = self._get(self.url)
            keys = parse_jwks(body)
        except (Refused, Unauthorized, OSError, ValueError, http.client.HTTPException) as exc:
            self._failed_until = now + RETRY_AFTER_SECONDS  # timeouts are OSErrors
            if self._keys and now < self._expires + MAX_MAX_AGE:
                return
            raise Unavailable(f"key set not had: {type(exc).__name__}") from None
        self._keys = {k.kid: k for k in keys if k.kid is not None}
        self._expires = now + max_age(headers.get("cache-control"))


def parse_jwks(body: bytes | str) -> list[RsaKey]:
    """The RS256-usable keys of a JWKS (``{"keys": [...]}``) or of one JWK; others are skipped."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("key set is not JSON") from None
    items = document.get("keys") if isinstance(document, dict) and "keys" in document else [document]
    if not isinstance(items, list):
        raise Unauthorized("key set has no keys")
    return [key for item in items if (key := _jwk(item)) is not None]


def _jwk(item: Any) -> RsaKey | None:
    if not isinstance(item, dict) or item.get("kty") != "RSA":
        return None
    if item.get("alg", ALGORITHM) != ALGORITHM or item.get("use", "sig") != "sig":
        return None
    kid, n, e = item.get("kid"), item.get("n"), item.get("e")
    if not (kid is None or isinstance(kid, str)) or not isinstance(n, str) or not isinstance(e, str):
        return None
    try:
        modulus, exponent = _uint(n), _uint(e)
        check_rsa_key(modulus, exponent)
    except Unauthorized:
        return None
    return RsaKey(kid, modulus, exponent)


def _uint(text: str) -> int:
    try:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise Unauthorized("key unreadable") from None


@lru_cache(maxsize=16)
def pinned_keys(texts: tuple[str, ...]) -> tuple[RsaKey, ...]:
    """A secret's ``public_keys``: each a JWK or JWKS (JSON), a PEM certificate, or a PEM public key."""
    found: list[RsaKey] = []
    for text in texts:
        stripped = text.strip()
        if stripped.startswith("{"):
            found.extend(parse_jwks(stripped))
        elif stripped.startswith("-----BEGIN CERTIFICATE"):
            certificate = parse_certificate(pem_to_der(stripped.encode()))
            found.append(RsaKey(None, certificate.modulus, certificate.exponent))
        elif stripped.startswith("-----BEGIN PUBLIC KEY"):
            body = "".join(stripped.splitlines()[1:-1])
            try:
                der = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise Unauthorized("public_keys: PEM unreadable") from None
            found.append(RsaKey(None, *public_key_numbers(der)))
        else:
            raise Unauthorized("public_keys: not a JWK, a JWKS or a PEM certificate or public key")
    return tuple(found)


def pinned_for(keys: Iterable[RsaKey], kid: str) -> list[RsaKey]:
    return [k for k in keys if k.kid is None or k.kid == kid]


# --------------------------------------------------------------------------------------------- tokens
@dataclass(frozen=True, slots=True)
class Token:
    """A compact JWS read but not yet verified: its header's kid, its claims, what is signed."""

    kid: str
    claims: dict[str, Any]
    signed: bytes
    signature: bytes


def read_token(token: str) -> Token:
    """The parts of an RS256 token; Unauthorized (before any key is looked up) for anything else."""
    parts = token.split(".")
    if len(token) > MAX_TOKEN or len(parts) != 3 or not all(parts):
        raise Unauthorized("malformed token")
    jose = json_part(parts[0])
    if jose.get("alg") != ALGORITHM:
        raise Unauthorized("token algorithm not allowed")
    if "crit" in jose or str(jose.get("typ", "JWT")).upper() != "JWT":
        raise Unauthorized("token header not allowed")
    kid = jose.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 200:
        raise Unauthorized("token names no key id")
    claims = json_part(parts[1])
    return Token(kid, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), b64url_part(parts[2]))


def check_signature(token: Token, keys: Iterable[RsaKey]) -> None:
    """Unauthorized unless one of ``keys`` signed ``token`` (every key is tried: no early exit)."""
    matched = False
    for key in keys:
        matched |= rsa_pkcs1v15_verifies(key.n, key.e, token.signed, token.signature, "sha256")
    if not matched:
        raise Unauthorized("token signature mismatch")


# -------------------------------------------------------------------------------- signing (tests only)
def encode_rs256(claims: Mapping[str, Any], kid: str, n: int, d: int) -> str:
    """A compact RS256 JWS of ``claims`` under a test key: `hookbridge send`, the samples, the tests."""
    from hookbridge.providers.certificates import rsa_pkcs1v15_sign

    header = {"alg": ALGORITHM, "kid": kid, "typ": "JWT"}
    parts = [_b64(json.dumps(header, separators=(",", ":")).encode())]
    parts.append(_b64(json.dumps(dict(claims), separators=(",", ":")).encode()))
    signature = rsa_pkcs1v15_sign(n, d, ".".join(parts).encode("ascii"), "sha256")
    return ".".join([*parts, _b64(signature)])


def jwk_of(kid: str, n: int, e: int) -> dict[str, str]:
    return {
        "kty": "RSA",
        "alg": ALGORITHM,
        "use": "sig",
        "kid": kid,
        "n": _b64(_bytes(n)),
        "e": _b64(_bytes(e)),
    }


def _bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
