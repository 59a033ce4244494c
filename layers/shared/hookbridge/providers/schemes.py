"""A definition's ``auth`` turned into the verify and sign functions of a provider: HMACs in a header,
tokens and basic auth here; signatures with a sender's private key in ``public_keys``, HMACs inside the body
in ``body_signatures``.

Each scheme is compiled once, at cold start, into a closure: the warm path does no lookups in the
definition. Verification fails closed (no key, no header, no match: Unauthorized), checks the timestamp
before any HMAC, and compares in constant time (``hookbridge.providers.verification``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from hookbridge.errors import Unauthorized
from hookbridge.model import NOT_JSON, Credentials, WebhookRequest, parse_json
from hookbridge.providers.bodies import items_at, value_at
from hookbridge.providers.definition import (
    BodyHmac,
    BodyTimestamp,
    BodyToken,
    Hmac,
    Jwt,
    ProviderDefinition,
    PublicKey,
    Scheme,
    Token,
)
from hookbridge.providers.scheme_parts import (
    Absent,
    Sign,
    Signed,
    Signer,
    Verify,
    delivery_id,
    signed_url,
    signing_keys,
    stamp_parser,
    stamp_reader,
    stamp_text,
)
from hookbridge.providers.signed_content import (
    FORM,
    Signing,
    builder,
    request_url,
    with_and_without_port,
)
from hookbridge.providers.verification import (
    check_timestamp,
    credentials_match,
    digest_matches,
    hmac_digest,
    secret_matches,
)
from hookbridge.subscription import SubscriptionSecret


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

    def sign(
        secret: SubscriptionSecret,
        body: bytes,
        at: int,
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Credentials:
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        added: dict[str, str] = {}
        query: dict[str, str] = {}
        signed_body: bytes | None = None
        for signer in signers:
            try:
                signed = signer(secret, signed_body or body, at, url, lowered)
            except Unauthorized:
                if require_all:
                    raise
                continue
            added.update(signed.headers)
            query.update(signed.query)
            signed_body = signed.body or signed_body
            if not require_all:
                break
        if not added and not query and signed_body is None:
            raise Unauthorized("the secret configures none of the provider's schemes")
        return Credentials(headers=added, query=query, body=signed_body)

    return sign


# ------------------------------------------------------------------------------------------ verifying
def _verifier(scheme: Scheme) -> Verify:
    if isinstance(scheme, Hmac):
        return _hmac_verifier(scheme)
    if isinstance(scheme, PublicKey):
        from hookbridge.providers.public_keys import build_verify as public_key_verify

        return public_key_verify(scheme)
    if isinstance(scheme, BodyHmac):
        from hookbridge.providers.body_signatures import build_verify as body_verify

        return body_verify(scheme)
    if isinstance(scheme, Jwt):
        from hookbridge.providers.jwts import build_verify as jwt_verify

        return jwt_verify(scheme)
    if isinstance(scheme, Token):
        return _token_verifier(scheme)
    if isinstance(scheme, BodyToken):
        return _body_token_verifier(scheme)
    return _basic_verifier()


def _hmac_verifier(scheme: Hmac) -> Verify:
    header = scheme.header.lower()
    timestamp = scheme.timestamp
    read_stamp = stamp_reader(timestamp)
    candidates_of = _candidates_parser(scheme)
    build = builder(scheme.signed, scheme.url_unescape)
    signs_url = "{url}" in scheme.signed or "{sorted_url}" in scheme.signed
    digest_parameter = scheme.body_sha256_query
    algorithm, encoding = scheme.algorithm, scheme.encoding
    verified_by = f"hmac-{algorithm}"
    check_body_stamp = _body_stamp_checker(scheme.body_timestamp)

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        keys = signing_keys(scheme, secret)
        sent = request.headers.get(header)
        if not sent:
            raise Absent(f"missing header {scheme.header}")
        candidates, stamp = candidates_of(sent)
        stamp = read_stamp(request.headers, stamp, now)
        if not candidates:
            raise Unauthorized("no signature in the signature header")
        if check_body_stamp is not None:
            check_body_stamp(request.body, now)
        if digest_parameter is not None:
            check_body_digest(request, digest_parameter)
        urls = with_and_without_port(request_url(request, secret)) if signs_url else [""]
        for url in urls:
            message = build(Signing(request.body, stamp, request.headers, url, request.method))
            if digest_matches(keys, message, candidates, encoding, algorithm):
                return verified_by
        raise Unauthorized("signature mismatch")

    return verify


def _body_stamp_checker(stamp: BodyTimestamp | None) -> Callable[[bytes, float], None] | None:
    """A timestamp inside the signed body (Linear's webhookTimestamp): present, and within its window.
    Checked before the HMAC, as a header's is; the HMAC over the body then proves it."""
    if stamp is None:
        return None
    parse_stamp, path, tolerance = stamp_parser(stamp.format), stamp.json_path, stamp.tolerance_seconds

    def check(body: bytes, now: float) -> None:
        payload = parse_json(body)
        value = value_at(payload, path) if payload is not NOT_JSON else None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Unauthorized("missing timestamp")
        check_timestamp(parse_stamp(str(value)), now, tolerance)

    return check


def _with_body_stamp(body: bytes, stamp: BodyTimestamp, at: int) -> bytes:
    """The body with its timestamp set to ``at``, as the sender writes it (a number for Unix times)."""
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise Unauthorized("a body that carries its timestamp must be a JSON object")
    text = stamp_text(stamp.format, at)
    value: Any = int(text) if stamp.format in ("unix", "unix_ms") else text
    item = payload
    *parents, last = stamp.json_path.split(".")
    for key in parents:
        item = item.setdefault(key, {})
    item[last] = value
    return json.dumps(payload, separators=(",", ":")).encode()


def check_body_digest(request: WebhookRequest, parameter: str) -> None:
    """A body signed through a digest in the URL (Twilio's bodySHA256): the digest must be the body's.
    A body neither a form (whose parameters are signed) nor digested is not signed at all: refused."""
    digests = [v for k, v in parse_qsl(request.raw_query, keep_blank_values=True) if k == parameter]
    if not digests:
        is_form = request.headers.get("content-type", "").lower().startswith(FORM)
        if request.body and not is_form:
            raise Unauthorized(f"body not signed: no {parameter}")
        return
    expected = hashlib.sha256(request.body).hexdigest()
    if len(digests) != 1 or not hmac.compare_digest(expected.encode(), digests[0].lower().encode()):
        raise Unauthorized(f"{parameter} is not the body's")


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
            if not part.strip():  # "ts=…;h1=…;": an empty part says nothing (Paddle's SDK skips it)
                continue
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


def body_token_holders(scheme: BodyToken, payload: Any) -> list[dict[str, Any]]:
    """The objects that must each carry the value: every item at ``items`` (an item that is no object
    carries none, and refuses the request: it would be published unproven), else the body."""
    if scheme.items is None:
        return [payload] if isinstance(payload, dict) else []
    holders = [item for _, item in items_at(payload, scheme.items)]
    if not all(isinstance(item, dict) for item in holders):
        raise Unauthorized("an item is not an object: it carries no signing secret")
    return holders


def _body_token_verifier(scheme: BodyToken) -> Verify:
    path = scheme.json_path

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        allowed = [s.get_secret_value() for s in secret.signing_secrets if s.get_secret_value()]
        if not allowed:
            raise Unauthorized("subscription has no signing secret configured")
        payload = parse_json(request.body)
        if payload is NOT_JSON:
            raise Absent("body is not JSON: no signing secret in it")
        holders = body_token_holders(scheme, payload)
        if not holders:
            raise Absent("no item carries the signing secret")
        # Fail closed, item by item: one item without the value or with another refuses the whole request
        # (it would otherwise be published as proven beside genuine ones). Every item is compared, in
        # constant time, before the answer: how far the mismatch is tells nothing.
        matched = True
        for holder in holders:
            given = value_at(holder, path)
            if not isinstance(given, str) or not given:
                raise Unauthorized("an item carries no signing secret")
            matched &= secret_matches(given, allowed)
        if not matched:
            raise Unauthorized("signing secret mismatch")
        return "body-token"

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
def _signer(scheme: Scheme, id_header: str | None) -> Signer:
    if isinstance(scheme, Hmac):
        return _hmac_signer(scheme, id_header)
    if isinstance(scheme, PublicKey):
        from hookbridge.providers.public_keys import build_sign as public_key_sign

        return public_key_sign(scheme, id_header)
    if isinstance(scheme, BodyHmac):
        from hookbridge.providers.body_signatures import build_sign as body_sign

        return body_sign(scheme)
    if isinstance(scheme, Jwt):
        from hookbridge.providers.jwts import build_sign as jwt_sign

        return jwt_sign(scheme)
    if isinstance(scheme, Token):
        return _token_signer(scheme)
    if isinstance(scheme, BodyToken):
        return _body_token_signer(scheme)
    return _basic_signer


def _hmac_signer(scheme: Hmac, id_header: str | None) -> Signer:
    timestamp = scheme.timestamp
    build = builder(scheme.signed, scheme.url_unescape)
    signs_url = "{url}" in scheme.signed or "{sorted_url}" in scheme.signed
    signs_id = id_header is not None and id_header.lower() in {h.lower() for h in scheme.signed_headers()}

    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        key = signing_keys(scheme, secret)[0]
        added: dict[str, str] = {}
        query: dict[str, str] = {}
        rewritten = None
        if scheme.body_timestamp is not None:
            body = rewritten = _with_body_stamp(body, scheme.body_timestamp, at)
        if signs_id:  # Standard Webhooks signs its message id
            added[id_header or ""] = delivery_id(body)
        if scheme.nonce_header is not None:  # made anew for each request, as the sender does
            added[scheme.nonce_header] = str(secrets.randbelow(10**20)).zfill(20)
        stamp = ""
        if timestamp is not None:
            stamp = stamp_text(timestamp.format, at)
            if timestamp.header:
                added[timestamp.header] = stamp
        target = signed_url(url, secret) if signs_url else ""
        is_form = headers.get("content-type", "").lower().startswith(FORM)
        if scheme.body_sha256_query is not None and body and not is_form:
            query[scheme.body_sha256_query] = hashlib.sha256(body).hexdigest()
            target += (
                "&" if "?" in target else "?"
            ) + f"{scheme.body_sha256_query}={query[scheme.body_sha256_query]}"
        lowered = {**headers, **{k.lower(): v for k, v in added.items()}}
        digest = hmac_digest(key, build(Signing(body, stamp, lowered, target, "POST")), scheme.algorithm)
        encoded = digest.hex() if scheme.encoding == "hex" else base64.b64encode(digest).decode()
        signature = scheme.prefix + encoded
        if scheme.layout == "pairs":
            signature = f"{scheme.signature_key}={encoded}"
            if timestamp is not None and timestamp.key:
                signature = f"{timestamp.key}={stamp}{scheme.separator}{signature}"
        added[scheme.header] = signature
        return Signed(added, query, body=rewritten)

    return sign


def _token_signer(scheme: Token) -> Signer:
    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        tokens = [t.get_secret_value() for t in secret.tokens if t.get_secret_value()]
        if not tokens:
            raise Unauthorized("subscription has no token configured")
        if scheme.header:
            return Signed({scheme.header: tokens[0]})
        return Signed({}, {scheme.query or "": tokens[0]})

    return sign


def _body_token_signer(scheme: BodyToken) -> Signer:
    """The body with the subscription's first signing secret put in every item (or the body), as the
    sender copies its clientState into each notification."""

    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        values = [s.get_secret_value() for s in secret.signing_secrets if s.get_secret_value()]
        if not values:
            raise Unauthorized("subscription has no signing secret configured")
        payload = parse_json(body)
        if payload is NOT_JSON:
            raise Unauthorized("a body that carries its signing secret must be JSON")
        for holder in body_token_holders(scheme, payload):
            *parents, last = scheme.json_path.split(".")
            for key in parents:
                holder = holder.setdefault(key, {})
            holder[last] = values[0]
        return Signed({}, body=json.dumps(payload, separators=(",", ":")).encode())

    return sign


def _basic_signer(
    secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
) -> Signed:
    for pair in secret.basic_auth:
        user, password = pair.username.get_secret_value(), pair.password.get_secret_value()
        if user and password:
            encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
            return Signed({"Authorization": f"Basic {encoded}"})
    raise Unauthorized("subscription has no basic auth configured")
