"""What every verification scheme shares: the function types, the refusal of a request that does not
carry a scheme's credential at all, the subscription's keys as key bytes, signed timestamps, the URL a
signer signs, and sample delivery ids. The schemes are in ``schemes`` (HMAC in a header, token, basic
auth), ``public_keys`` and ``body_signatures``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from hookbridge.errors import Unauthorized
from hookbridge.model import Credentials, WebhookRequest
from hookbridge.providers.definition import BodyHmac, Hmac, Timestamp
from hookbridge.providers.verification import check_timestamp
from hookbridge.subscription import SubscriptionSecret

Verify = Callable[[WebhookRequest, SubscriptionSecret, float], str]


class Sign(Protocol):
    """What the sender sends for a body at a time: to the URL it posts to, with these headers (a form's
    content type, for a scheme that signs its parameters)."""

    def __call__(
        self,
        secret: SubscriptionSecret,
        body: bytes,
        at: int,
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Credentials: ...


class Signed:
    """What one scheme's signer adds: headers (original case), query parameters, and a new body."""

    __slots__ = ("body", "headers", "query")

    def __init__(
        self, headers: dict[str, str], query: dict[str, str] | None = None, body: bytes | None = None
    ) -> None:
        self.headers = headers
        self.query = query or {}
        self.body = body


Signer = Callable[[SubscriptionSecret, bytes, int, str, Mapping[str, str]], Signed]


class Absent(Unauthorized):
    """The request does not carry this scheme's credential at all (another scheme may)."""


def signing_keys(scheme: Hmac | BodyHmac, secret: SubscriptionSecret) -> list[bytes]:
    """The subscription's signing secrets as key bytes, as the sender uses them. Fails closed."""
    values = [s.get_secret_value() for s in secret.signing_secrets if s.get_secret_value()]
    prefix = scheme.key_prefix if isinstance(scheme, Hmac) else ""
    if scheme.key_encoding == "utf8":
        keys = [v.encode() for v in values]
    elif scheme.key_encoding == "hex":
        keys = [_hex_key(v) for v in values]
    else:
        keys = [_base64_key(v.removeprefix(prefix)) for v in values]
    keys = [k for k in keys if k]
    if not keys:
        raise Unauthorized("subscription has no signing secret configured")
    return keys


def _hex_key(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return b""


def _base64_key(value: str) -> bytes:
    # As the Standard Webhooks reference library decodes it: padding added, other characters skipped.
    try:
        return base64.b64decode(value + "==")
    except (binascii.Error, ValueError):
        return b""


def stamp_reader(timestamp: Timestamp | None) -> Callable[[Mapping[str, str], str | None, float], str]:
    """The signed timestamp as sent (from its header, or the one a signature header carries), checked
    against the tolerance when the sender sets one; "" when the scheme signs none."""
    if timestamp is None:
        return lambda headers, carried, now: ""
    header = timestamp.header.lower() if timestamp.header else None
    parse = stamp_parser(timestamp.format)
    tolerance = timestamp.tolerance_seconds

    def read(headers: Mapping[str, str], carried: str | None, now: float) -> str:
        stamp = headers.get(header) if header is not None else carried
        if not stamp:
            raise Unauthorized("missing timestamp")
        signed_at = parse(stamp)  # malformed is refused even where no tolerance is checked
        if tolerance:
            check_timestamp(signed_at, now, tolerance)
        return stamp

    return read


def stamp_parser(form: str) -> Callable[[str], float]:
    """Seconds since the epoch, from a timestamp as the sender writes it."""
    if form in ("unix", "unix_ms"):
        divisor = 1000.0 if form == "unix_ms" else 1.0

        def unix(value: str) -> float:
            if not value.isascii() or not value.isdigit() or len(value) > 15:
                raise Unauthorized("malformed timestamp")
            return float(value) / divisor

        return unix

    def iso(value: str) -> float:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise Unauthorized("malformed timestamp") from exc
        if parsed.tzinfo is None:
            raise Unauthorized("timestamp has no time zone")
        return parsed.timestamp()

    return iso


def stamp_text(form: str, at: int) -> str:
    """A timestamp as the sender writes it (for signing)."""
    if form == "unix":
        return str(at)
    if form == "unix_ms":
        return str(at * 1000)
    return datetime.fromtimestamp(at, UTC).isoformat()


def delivery_id(body: bytes) -> str:
    """The id a sample delivery carries when the sender puts its event id in a header (``samples``, and
    ``sign`` when the id is signed): derived from the body, so a re-sent sample is a duplicate and a changed
    one a new event."""
    return str(uuid.UUID(bytes=hashlib.sha256(body).digest()[:16]))


def signed_url(url: str, secret: SubscriptionSecret) -> str:
    """The URL a signer signs: the secret's url (with the query of the one posted to), else that one."""
    if secret.url:
        query = url.partition("?")[2]
        return f"{secret.url}?{query}" if query else secret.url
    if not url:
        raise Unauthorized("this scheme signs the URL: give the URL the request is posted to")
    return url
