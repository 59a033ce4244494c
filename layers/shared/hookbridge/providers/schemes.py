"""A definition's ``auth`` turned into the verify and sign functions of a provider.

Each scheme is compiled once, at cold start, into a closure: the warm path does no lookups in the
definition. Verification fails closed (no key, no header, no match: Unauthorized), checks the timestamp
before any HMAC, and compares in constant time (``hookbridge.ingest.verification``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from hookbridge.errors import Unauthorized
from hookbridge.ingest.verification import (
    check_timestamp,
    credentials_match,
    digest_matches,
    hmac_digest,
    require_header,
    secret_matches,
)
from hookbridge.model import Credentials, WebhookRequest
from hookbridge.providers.definition import PLACEHOLDER, BasicAuth, Hmac, ProviderDefinition, Token
from hookbridge.subscription import SubscriptionSecret

Verify = Callable[[WebhookRequest, SubscriptionSecret, float], str]
Sign = Callable[[SubscriptionSecret, bytes, int], Credentials]
# What sign adds to a request: headers (original case) and query parameters.
Signed = tuple[dict[str, str], dict[str, str]]


class Absent(Unauthorized):
    """The request does not carry this scheme's credential at all (another scheme may)."""


def build_verify(definition: ProviderDefinition) -> Verify:
    assert definition.auth is not None
    checks = [_verifier(scheme) for scheme in definition.auth.schemes]
    if definition.auth.require == "any":

        def verify_any(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
            # The reason kept is that of the first scheme whose credential the request carries.
            refused: Unauthorized | None = None
            absent: Unauthorized | None = None
            for check in checks:
                try:
                    return check(request, secret, now)
                except Absent as exc:
                    absent = absent or exc
                except Unauthorized as exc:
                    refused = refused or exc
            raise refused or absent or Unauthorized("no scheme verified the request")

        return verify_any
    if len(checks) == 1:
        return checks[0]

    def verify_all(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        return "+".join(check(request, secret, now) for check in checks)

    return verify_all


def build_sign(definition: ProviderDefinition) -> Sign:
    """What the sender would send for a body at a time: every scheme (require all), or the first the
    secret configures (require any)."""
    assert definition.auth is not None
    signers = [_signer(scheme, definition.id_header) for scheme in definition.auth.schemes]
    require_all = definition.auth.require == "all"

    def sign(secret: SubscriptionSecret, body: bytes, timestamp: int) -> Credentials:
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        for signer in signers:
            try:
                more_headers, more_query = signer(secret, body, timestamp)
            except Unauthorized:
                if require_all:
                    raise
                continue
            headers.update(more_headers)
            query.update(more_query)
            if not require_all:
                break
        if not headers and not query:
            raise Unauthorized("the secret configures none of the provider's schemes")
        return Credentials(headers=headers, query=query)

    return sign


# ------------------------------------------------------------------------------------------ verifying
def _verifier(scheme: Hmac | Token | BasicAuth) -> Verify:
    if isinstance(scheme, Hmac):
        return _hmac_verifier(scheme)
    if isinstance(scheme, Token):
        return _token_verifier(scheme)
    return _basic_verifier()


def signing_keys(scheme: Hmac, secret: SubscriptionSecret) -> list[bytes]:
    """The subscription's signing secrets as key bytes, as the sender uses them. Fails closed."""
    values = [s.get_secret_value() for s in secret.signing_secrets if s.get_secret_value()]
    if scheme.key_encoding == "utf8":
        keys = [v.encode() for v in values]
    else:
        keys = [_base64_key(v.removeprefix(scheme.key_prefix)) for v in values]
    keys = [k for k in keys if k]
    if not keys:
        raise Unauthorized("subscription has no signing secret configured")
    return keys


def _base64_key(value: str) -> bytes:
    # As the Standard Webhooks reference library decodes it: padding added, other characters skipped.
    try:
        return base64.b64decode(value + "==")
    except (binascii.Error, ValueError):
        return b""


def _hmac_verifier(scheme: Hmac) -> Verify:
    header = scheme.header.lower()
    timestamp = scheme.timestamp
    stamp_header = timestamp.header.lower() if timestamp and timestamp.header else None
    parse_stamp = _stamp_parser(timestamp.format) if timestamp else None
    candidates_of = _candidates_parser(scheme)
    message_of = _message_builder(scheme.signed)
    algorithm, encoding = scheme.algorithm, scheme.encoding
    verified_by = f"hmac-{algorithm}"

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        keys = signing_keys(scheme, secret)
        sent = request.headers.get(header)
        if not sent:
            raise Absent(f"missing header {scheme.header}")
        candidates, stamp = candidates_of(sent)
        if timestamp is not None and parse_stamp is not None:
            if stamp_header is not None:
                stamp = request.headers.get(stamp_header)
            if not stamp:
                raise Unauthorized("missing timestamp")
            check_timestamp(parse_stamp(stamp), now, timestamp.tolerance_seconds)
        if not candidates:
            raise Unauthorized("no signature in the signature header")
        message = message_of(request.body, stamp or "", request.headers)
        if not digest_matches(keys, message, candidates, encoding, algorithm):
            raise Unauthorized("signature mismatch")
        return verified_by

    return verify


def _candidates_parser(scheme: Hmac) -> Callable[[str], tuple[list[str], str | None]]:
    """The signatures a header value carries, and the timestamp when it is one of its pairs."""
    prefix, separator = scheme.prefix, scheme.separator
    if scheme.layout == "value":
        return lambda value: ([value.removeprefix(prefix)] if value.startswith(prefix) else [], None)
    if scheme.layout == "list":
        return lambda value: (
            [item.removeprefix(prefix) for item in value.split(separator) if item.startswith(prefix)],
            None,
        )
    signature_key = scheme.signature_key
    stamp_key = scheme.timestamp.key if scheme.timestamp else None

    def pairs(value: str) -> tuple[list[str], str | None]:
        stamp: str | None = None
        candidates: list[str] = []
        for part in value.split(separator):
            name, equals, item = part.strip().partition("=")
            if not equals:
                raise Unauthorized("malformed signature header")
            if name == stamp_key:
                stamp = item
            elif name == signature_key:
                candidates.append(item)
            # Other keys (v0, future schemes) are ignored, as senders intend.
        return candidates, stamp

    return pairs


def _stamp_parser(form: str) -> Callable[[str], float]:
    if form == "unix":

        def unix(value: str) -> float:
            if not value.isascii() or not value.isdigit() or len(value) > 12:
                raise Unauthorized("malformed timestamp")
            return float(value)

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


def _message_builder(template: str) -> Callable[[bytes, str, Mapping[str, str]], bytes]:
    """The bytes a template signs. The body's bytes are spliced in as they are, never decoded."""
    if template == "{body}":
        return lambda body, stamp, headers: body
    if template == "{timestamp}.{body}":
        return lambda body, stamp, headers: stamp.encode() + b"." + body
    # Split once: literal text, and the placeholders between it (PLACEHOLDER's one group).
    pieces = PLACEHOLDER.split(template)
    literals = [p.encode() for p in pieces[0::2]]
    holes = pieces[1::2]

    def build(body: bytes, stamp: str, headers: Mapping[str, str]) -> bytes:
        out = [literals[0]]
        for hole, literal in zip(holes, literals[1:], strict=True):
            if hole == "body":
                out.append(body)
            elif hole == "timestamp":
                out.append(stamp.encode())
            else:
                out.append(require_header(headers, hole.removeprefix("header:")).encode())
            out.append(literal)
        return b"".join(out)

    return build


def _token_verifier(scheme: Token) -> Verify:
    header = scheme.header.lower() if scheme.header else None
    parameter = scheme.query

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        tokens = [t.get_secret_value() for t in secret.tokens if t.get_secret_value()]
        if not tokens:
            raise Unauthorized("subscription has no token configured")
        given = request.headers.get(header) if header else request.query.get(parameter or "")
        if given is None:
            raise Absent("missing token")
        if not secret_matches(given, tokens):
            raise Unauthorized("token mismatch")
        return "token"

    return verify


def _basic_verifier() -> Verify:
    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        pairs = [(c.username.get_secret_value(), c.password.get_secret_value()) for c in secret.basic_auth]
        if not any(u and p for u, p in pairs):
            raise Unauthorized("subscription has no basic auth configured")
        authorization = request.headers.get("authorization")
        if authorization is None:
            raise Absent("missing basic auth")
        username, password = _basic_credentials(authorization)
        if not credentials_match(username, password, pairs):
            raise Unauthorized("basic auth mismatch")
        return "basic-auth"

    return verify


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("authorization is not basic auth")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        # Not chained: a UnicodeDecodeError carries the decoded bytes, which are the credentials.
        raise Unauthorized("malformed basic auth") from None
    username, separator, password = decoded.partition(":")
    if not separator:
        raise Unauthorized("malformed basic auth")
    return username, password


# ------------------------------------------------------------------------------------------- signing
def delivery_id(body: bytes) -> str:
    """The id a sample delivery carries when the sender puts its event id in a header (``samples``, and
    ``sign`` when the id is signed): derived from the body, so a re-sent sample is a duplicate and a changed
    one a new event."""
    return str(uuid.UUID(bytes=hashlib.sha256(body).digest()[:16]))


def _signer(scheme: Hmac | Token | BasicAuth, id_header: str | None) -> Callable[..., Signed]:
    if isinstance(scheme, Hmac):
        return _hmac_signer(scheme, id_header)
    if isinstance(scheme, Token):
        return _token_signer(scheme)
    return _basic_signer


def _hmac_signer(scheme: Hmac, id_header: str | None) -> Callable[..., Signed]:
    timestamp = scheme.timestamp
    message_of = _message_builder(scheme.signed)
    signs_id = id_header is not None and id_header.lower() in {h.lower() for h in scheme.signed_headers()}

    def sign(secret: SubscriptionSecret, body: bytes, at: int) -> Signed:
        key = signing_keys(scheme, secret)[0]
        headers: dict[str, str] = {}
        if signs_id:  # Standard Webhooks signs its message id
            headers[id_header or ""] = delivery_id(body)
        stamp = ""
        if timestamp is not None:
            stamp = str(at) if timestamp.format == "unix" else datetime.fromtimestamp(at, UTC).isoformat()
            if timestamp.header:
                headers[timestamp.header] = stamp
        lowered = {k.lower(): v for k, v in headers.items()}
        digest = hmac_digest(key, message_of(body, stamp, lowered), scheme.algorithm)
        encoded = digest.hex() if scheme.encoding == "hex" else base64.b64encode(digest).decode()
        signature = scheme.prefix + encoded
        if scheme.layout == "pairs":
            signature = f"{scheme.signature_key}={encoded}"
            if timestamp is not None and timestamp.key:
                signature = f"{timestamp.key}={stamp}{scheme.separator}{signature}"
        headers[scheme.header] = signature
        return headers, {}

    return sign


def _token_signer(scheme: Token) -> Callable[..., Signed]:
    def sign(secret: SubscriptionSecret, body: bytes, at: int) -> Signed:
        tokens = [t.get_secret_value() for t in secret.tokens if t.get_secret_value()]
        if not tokens:
            raise Unauthorized("subscription has no token configured")
        if scheme.header:
            return {scheme.header: tokens[0]}, {}
        return {}, {scheme.query or "": tokens[0]}

    return sign


def _basic_signer(secret: SubscriptionSecret, body: bytes, at: int) -> Signed:
    for pair in secret.basic_auth:
        user, password = pair.username.get_secret_value(), pair.password.get_secret_value()
        if user and password:
            encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {encoded}"}, {}
    raise Unauthorized("subscription has no basic auth configured")
