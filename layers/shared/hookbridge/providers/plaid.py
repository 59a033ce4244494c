"""Plaid webhooks: the code its definition (``definitions/plaid.toml``) names.

Plaid signs each webhook with a JWT in ``Plaid-Verification``: ES256 (ECDSA P-256, SHA-256; the JWS
signature is r||s, 64 bytes), the header's ``kid`` naming the key, claims ``iat`` and
``request_body_sha256`` (the hex SHA-256 of the raw body). The key is not in any secret: it is had by
POSTing ``{client_id, secret, key_id}`` to ``https://{production|sandbox}.plaid.com/webhook_verification_key/get``
(https://plaid.com/docs/api/webhooks/webhook-verification/).

Why code and not ``kind = "jwt"`` (``jwts.py``): that kind's keys are the shared secret and its checks
HMACs; what Plaid needs beyond it is not a JWT matter but a key source: a credentialed POST to one of two
fixed hosts chosen by the secret's ``environment``, keys looked up by ``kid`` and retired by their own
``expired_at``. No other sender has that source, so a general ``key_source`` in the definition language
would have one user and Plaid's request and answer shapes in it. What is JWT-general is shared:
``jwts``'s token parsing (size limits, base64url, JSON parts), and ES256 here is python-ecdsa's, as
``public_keys`` uses it (no `cryptography` in the layer).

A request passes when, in this order (every refusal before the key lookup costs no fetch):

1. ``Plaid-Verification`` is three base64url parts of sane size; its JOSE header's ``alg`` is ``ES256``
   exactly (``none``, ``HS256``, ``RS256`` or anything else refused before any key is touched), no
   ``crit``, ``typ`` JWT when present, ``kid`` a short id of letters, digits and ``-``;
2. its (not yet proven) claims hold ``iat`` within ``TOLERANCE_SECONDS`` of our clock (Plaid: refuse a
   token older than 5 minutes) and ``request_body_sha256`` equal, in constant time, to the body's: a
   re-timed or rewrapped capture is refused here, free;
3. the key named by ``kid``: from the secret's ``public_keys`` when it pins any (JWKs as Plaid's endpoint
   returns them; then nothing is ever fetched, and an unknown kid is 401), else from the instance's cache
   (``KeyStore``), else one fetch within the instance's budget. A key whose ``expired_at`` is past is
   refused;
4. the ES256 signature over ``header.claims`` verifies with it. Only then are the claims (already checked
   in step 2) trusted.

An unknown kid (a forger can make up any) may cost a fetch, but only ``FETCH_BUDGET`` a minute per
instance; beyond it the request is 503 without a fetch. Why 503 and not 401: a genuine delivery signed with
a key Plaid has just rotated to is then retried by Plaid (it retries any non-200 for up to 24 hours), and
is verified once the flood is over; a 401 would say it was forged. A kid Plaid answered 400 for (not a key
of Plaid's) is remembered and refused (401) without another fetch for ``REFUSED_FOR_SECONDS``. A cached key
is fetched again after ``KEY_TTL_SECONDS`` (so that an instance learns of its ``expired_at``), within the
same budget.

The secret's layout (``SECRET_REQUIRES``: one of ``client_id`` or ``public_keys``): ``client_id`` (not
secret), ``api_key`` the API secret of that environment (never logged: it is a SecretStr, and sent only in
the key request's body), ``environment`` ``production`` or ``sandbox``; or ``public_keys``, JWKs pinned.

Plaid's body has no event id: the request is identified by its body (a retry has the same body and,
re-signed, another token), within the definition's ``dedupe_window_seconds`` (its comment says why).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from ecdsa import NIST256p, SigningKey, VerifyingKey  # type: ignore[import-untyped]
from ecdsa.util import sigdecode_string, sigencode_string  # type: ignore[import-untyped]

from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.model import UNRECOGNIZED, Credentials, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.jwts import MAX_TOKEN, b64url_part, json_part
from hookbridge.providers.scheme_parts import Absent
from hookbridge.providers.verification import check_timestamp
from hookbridge.subscription import SubscriptionSecret

HEADER = "plaid-verification"
ALGORITHM = "ES256"
BODY_CLAIM = "request_body_sha256"
TOLERANCE_SECONDS = 300  # Plaid: a token whose iat is more than 5 minutes old is refused (either way here)
# The only hosts keys are ever fetched from, by the secret's environment (Plaid's Development is retired).
HOSTS = {"production": "production.plaid.com", "sandbox": "sandbox.plaid.com"}
KEY_PATH = "/webhook_verification_key/get"
FETCH_TIMEOUT_SECONDS = 1.0  # connect and each read: the ingest function has 3 s, Plaid waits 10 s
MAX_ANSWER_BYTES = 8192  # Plaid's answer is one JWK, ~400 bytes
FETCH_BUDGET = 5  # key fetches an instance makes in any minute
CACHE_SIZE = 32  # keys an instance keeps (Plaid signs with one at a time; rotation adds one)
KEY_TTL_SECONDS = 3600  # a cached key is asked for again after this, to learn its expired_at
REFUSED_FOR_SECONDS = 300  # how long a kid Plaid said is not its key is refused without a fetch
_KID = re.compile(r"[A-Za-z0-9-]{1,64}")

# What a subscription's secret must set (any one of them): Plaid's credentials, or pinned keys.
SECRET_REQUIRES = ("client_id", "public_keys")


@dataclass(frozen=True, slots=True)
class Key:
    """A verification key of Plaid's: an EC P-256 public key and when it stopped being used (None: not)."""

    kid: str
    key: Any  # ecdsa.VerifyingKey
    expired_at: float | None

    def usable(self, now: float) -> bool:
        return self.expired_at is None or self.expired_at > now


def parse_jwk(jwk: Any) -> Key:
    """A key from a JWK as Plaid's endpoint returns it (``kty`` EC, ``crv`` P-256, ``x``, ``y``, ``kid``,
    ``expired_at`` null or a time); Unauthorized for anything else."""
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise Unauthorized("verification key is not an EC P-256 JWK")
    if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
        raise Unauthorized("verification key is not for ES256 signatures")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise Unauthorized("verification key has no kid")
    try:
        x, y = (b64url_part(str(jwk.get(c, ""))) for c in ("x", "y"))
        if len(x) != 32 or len(y) != 32:
            raise ValueError("not P-256 coordinates")
        key = VerifyingKey.from_string(x + y, curve=NIST256p)  # the point is checked to be on the curve
    except Exception:  # malformed coordinates, a point off the curve: not a key
        raise Unauthorized("verification key unreadable") from None
    return Key(kid, key, _time(jwk.get("expired_at")))


def _time(value: Any) -> float | None:
    """``expired_at``: null, seconds since the epoch, or an ISO 8601 time."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise Unauthorized("verification key's expired_at unreadable")


# --- verifying -------------------------------------------------------------------------------------------


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    sent = request.headers.get(HEADER)
    if not sent:
        raise Absent("missing header Plaid-Verification")
    token = sent.strip()
    parts = token.split(".")
    if len(token) > MAX_TOKEN or len(parts) != 3 or not all(parts):
        raise Unauthorized("malformed token")
    jose = json_part(parts[0])
    if jose.get("alg") != ALGORITHM:
        raise Unauthorized("token algorithm not allowed")
    if "crit" in jose or str(jose.get("typ", "JWT")).upper() != "JWT":
        raise Unauthorized("token header not allowed")
    kid = jose.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise Unauthorized("token has no usable kid")
    signature = b64url_part(parts[2])
    if len(signature) != 64:
        raise Unauthorized("token signature is not ES256's r||s")
    claims = json_part(parts[1])
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise Unauthorized("token has no iat")
    check_timestamp(float(issued), now, TOLERANCE_SECONDS)
    stated = claims.get(BODY_CLAIM)
    expected = hashlib.sha256(request.body).hexdigest().encode()
    if not isinstance(stated, str) or not hmac.compare_digest(
        expected, stated.lower().encode("utf-8", "replace")
    ):
        raise Unauthorized(f"{BODY_CLAIM} is not the body's")
    key = _key(secret, kid, now)
    if not key.usable(now):
        raise Unauthorized("verification key expired")
    if not _verifies(key.key, signature, f"{parts[0]}.{parts[1]}".encode("ascii")):
        raise Unauthorized("token signature mismatch")
    return "jwt-es256"


def _verifies(key: Any, signature: bytes, message: bytes) -> bool:
    try:
        return bool(key.verify(signature, message, hashfunc=hashlib.sha256, sigdecode=sigdecode_string))
    except Exception:  # the library raises several kinds for forged or malformed input: all refusals
        return False


def _key(secret: SubscriptionSecret, kid: str, now: float) -> Key:
    if secret.public_keys:  # pinned: only these, never a fetch
        for key in _pinned(secret.public_keys):
            if key.kid == kid:
                return key
        raise Unauthorized("token kid is not a pinned key")
    if not secret.client_id or secret.api_key is None or not secret.api_key.get_secret_value():
        raise Unauthorized("subscription has no Plaid credentials (client_id, api_key) nor public_keys")
    host = HOSTS.get(secret.environment or "")
    if host is None:
        raise Unauthorized("subscription's environment is not production or sandbox")
    return STORE.get(host, secret.client_id, secret.api_key.get_secret_value(), kid)


@lru_cache(maxsize=16)
def _pinned(keys: tuple[str, ...]) -> tuple[Key, ...]:
    found = []
    for text in keys:
        try:
            found.append(parse_jwk(json.loads(text)))
        except (ValueError, Unauthorized):  # a misconfigured key verifies nothing (fail closed)
            continue
    return tuple(found)


# --- fetching and caching --------------------------------------------------------------------------------


class Refused(Exception):
    """Plaid answered, but with no key for this kid (400 INVALID_WEBHOOK_VERIFICATION_KEY_ID)."""


# host, client_id, API secret, kid -> the JWK Plaid answered with
Fetch = Callable[[str, str, str, str], Mapping[str, Any]]


def https_fetch(host: str, client_id: str, api_secret: str, kid: str) -> Mapping[str, Any]:
    """POST Plaid's key request to ``host`` over HTTPS (certificate and host name checked), no redirect
    followed. Raises Refused for a 400, Unavailable for another answer, OSError for the network."""
    if host not in HOSTS.values():
        raise Refused("not a Plaid host")
    body = json.dumps({"client_id": client_id, "secret": api_secret, "key_id": kid}).encode()
    connection = http.client.HTTPSConnection(
        host, timeout=FETCH_TIMEOUT_SECONDS, context=ssl.create_default_context()
    )
    try:
        connection.request("POST", KEY_PATH, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER_BYTES + 1)
    finally:
        connection.close()
    if response.status == 400:
        raise Refused("Plaid answered 400")
    if response.status != 200 or len(answer) > MAX_ANSWER_BYTES:
        raise Unavailable(f"Plaid's key endpoint answered {response.status}")
    try:
        found = json.loads(answer)["key"]
    except (ValueError, KeyError, TypeError):
        raise Unavailable("Plaid's key endpoint answered no key") from None
    if not isinstance(found, Mapping):
        raise Unavailable("Plaid's key endpoint answered no key")
    return found


class KeyStore:
    """Plaid's keys by (host, client_id, kid), fetched once per instance and again after
    ``KEY_TTL_SECONDS``; at most ``budget`` fetches a minute. ``fetch`` is injected (the tests' makes no
    network call)."""

    def __init__(
        self,
        fetch: Fetch = https_fetch,
        clock: Callable[[], float] = time.monotonic,
        size: int = CACHE_SIZE,
        budget: int = FETCH_BUDGET,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._size = size
        self._budget = budget
        self._keys: OrderedDict[tuple[str, str, str], tuple[Key, float]] = OrderedDict()
        self._refused: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self._fetched_at: deque[float] = deque()
        self._lock = threading.Lock()
        self.fetches = 0  # how many fetches were made (the tests read it)

    def get(self, host: str, client_id: str, api_secret: str, kid: str) -> Key:
        name = (host, client_id, kid)
        with self._lock:
            now = self._clock()
            found = self._keys.get(name)
            if found is not None and found[1] > now:
                self._keys.move_to_end(name)
                return found[0]
            if self._refused.get(name, now) > now:
                raise Unauthorized("token kid refused by Plaid recently")
            while self._fetched_at and self._fetched_at[0] <= now - 60:
                self._fetched_at.popleft()
            if len(self._fetched_at) >= self._budget:
                raise Unavailable("Plaid key fetch budget spent for this minute")
            self._fetched_at.append(now)
            self.fetches += 1
        key = self._fetched(name, api_secret, now)
        with self._lock:
            self._keys[name] = (key, now + KEY_TTL_SECONDS)
            self._keys.move_to_end(name)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
        return key

    def _fetched(self, name: tuple[str, str, str], api_secret: str, now: float) -> Key:
        host, client_id, kid = name
        try:
            key = parse_jwk(self._fetch(host, client_id, api_secret, kid))
            if key.kid != kid:
                raise Unauthorized("Plaid answered another kid")
            return key
        except (Refused, Unauthorized) as exc:
            with self._lock:
                self._refused[name] = now + REFUSED_FOR_SECONDS
                while len(self._refused) > self._size:
                    self._refused.popitem(last=False)
            raise Unauthorized(f"verification key not had: {exc}") from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
            raise Unavailable(f"Plaid key fetch failed: {type(exc).__name__}") from None


# Per instance (the ingest function serves one sender). Tests replace it.
STORE = KeyStore()


# --- describing ------------------------------------------------------------------------------------------


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    """``{webhook_type}.{webhook_code}``, about ``item_id``; no event id (Plaid sends none)."""
    body = payload if isinstance(payload, dict) else {}
    kind, code = short_str(body.get("webhook_type")), short_str(body.get("webhook_code"))
    event_type = f"{kind}.{code}" if kind and code else None
    recognized = event_type is not None and event_type in _event_types()
    extra = {"environment": env} if (env := short_str(body.get("environment"))) else {}
    return EventDescription(
        event_type=event_type or UNRECOGNIZED,
        recognized=recognized,
        proven_type=event_type or UNRECOGNIZED,  # the body is signed (request_body_sha256)
        subject=short_str(body.get("item_id")),
        extra=extra,
    )


@lru_cache(maxsize=1)
def _event_types() -> frozenset[str]:
    from hookbridge.providers import definition  # the package imports this module: read when first needed

    return frozenset(definition("plaid").event_types)


# --- signing (samples, tests, the command line; never a function) ----------------------------------------


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """The token Plaid would send at ``timestamp``, signed with the secret's first private key (base64 DER
    of a P-256 key: a test key, ``example_secret``) under the kid of its first pinned key."""
    if not secret.private_keys:
        raise Unauthorized("no private key to sign with (private_keys)")
    pinned = _pinned(secret.public_keys)
    if not pinned:
        raise Unauthorized("no pinned key to name as kid (public_keys)")
    private = SigningKey.from_der(base64.b64decode(secret.private_keys[0].get_secret_value()))
    header = {"alg": ALGORITHM, "kid": pinned[0].kid, "typ": "JWT"}
    claims = {"iat": timestamp, BODY_CLAIM: hashlib.sha256(body).hexdigest()}
    signing_input = f"{_b64(_compact(header))}.{_b64(_compact(claims))}"
    signature = private.sign_deterministic(
        signing_input.encode("ascii"), hashfunc=hashlib.sha256, sigencode=sigencode_string
    )
    return Credentials(headers={"Plaid-Verification": f"{signing_input}.{_b64(signature)}"})


def _compact(value: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(value), separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwk(public: Any, kid: str, expired_at: int | None = None, created_at: int = 0) -> dict[str, Any]:
    """A P-256 public key (ecdsa.VerifyingKey) as a JWK in Plaid's shape."""
    raw = public.to_string()
    return {
        "alg": ALGORITHM,
        "crv": "P-256",
        "kid": kid,
        "kty": "EC",
        "use": "sig",
        "x": _b64(raw[:32]),
        "y": _b64(raw[32:]),
        "created_at": created_at,
        "expired_at": expired_at,
    }


def example_secret(key: str) -> dict[str, Any]:
    """A secret in this sender's layout for ``key``: a key pair derived from it, the public half pinned as
    a JWK in ``public_keys`` (so that nothing is fetched), the private half for our signer, and the
    credentials' fields (a sandbox client; never used while keys are pinned)."""
    seed = hashlib.sha256(key.encode()).digest()
    private = SigningKey.from_secret_exponent(int.from_bytes(seed) % (NIST256p.order - 1) + 1, curve=NIST256p)
    kid = f"hookbridge-{seed[:8].hex()}"
    return {
        "client_id": f"client-{seed[8:16].hex()}",
        "environment": "sandbox",
        "public_keys": [json.dumps(jwk(private.verifying_key, kid), separators=(",", ":"))],
        "private_keys": [base64.b64encode(private.to_der()).decode()],
    }
