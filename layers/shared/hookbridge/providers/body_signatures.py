"""HMACs a sender puts inside the body (Mailgun's ``signature`` object, Adyen's ``hmacSignature`` in each
notification item): the body is parsed to find them, and what is signed is values of the body joined as
the sender joins them. A body that is not JSON, or an item without its signature, is refused."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import NOT_JSON, WebhookRequest, parse_json
from hookbridge.providers.bodies import items_at, value_at
from hookbridge.providers.definition import BodyHmac
from hookbridge.providers.scheme_parts import (
    Absent,
    Signed,
    Signer,
    Verify,
    signing_keys,
    stamp_parser,
    stamp_text,
)
from hookbridge.providers.verification import check_timestamp, digest_matches, hmac_digest
from hookbridge.subscription import SubscriptionSecret


def build_verify(scheme: BodyHmac) -> Verify:
    verified_by = f"hmac-{scheme.algorithm}"
    parse_stamp = stamp_parser(scheme.timestamp.format) if scheme.timestamp else None

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        keys = signing_keys(scheme, secret)
        payload = parse_json(request.body)
        if payload is NOT_JSON:
            raise Absent("body is not JSON: no signature in it")
        items = _signed_items(scheme, payload)
        if not items:
            raise Absent("no signed item in the body")
        for item in items:  # every item must verify: one forged item refuses the request
            signature = value_at(item, scheme.signature)
            if not isinstance(signature, str) or not signature:
                raise Unauthorized("an item carries no signature")
            if scheme.timestamp is not None and parse_stamp is not None:
                stamp = _text(_field(item, scheme.timestamp.json_path))
                if not stamp:
                    raise Unauthorized("missing timestamp")
                check_timestamp(parse_stamp(stamp), now, scheme.timestamp.tolerance_seconds)
            if not digest_matches(
                keys, _message(scheme, item), [signature], scheme.encoding, scheme.algorithm
            ):
                raise Unauthorized("signature mismatch")
        return verified_by

    return verify


def _signed_items(scheme: BodyHmac, payload: Any) -> list[Any]:
    """The items the signatures are in. Every value at the items' path is one: a value that is not an
    object carries no signature, and refuses the request (it would be published unproven)."""
    if scheme.items is None:
        return [payload] if isinstance(payload, dict) else []
    items = [item for _, item in items_at(payload, scheme.items)]
    if not all(isinstance(item, dict) for item in items):
        raise Unauthorized("an item is not an object: it carries no signature")
    return items


_ABSENT = object()


def signed_message(scheme: BodyHmac, item: Any) -> bytes:
    """What the sender signed in an item (or the body): what identifies it (``providers.coverage``)."""
    return _message(scheme, item)


def _message(scheme: BodyHmac, item: Any) -> bytes:
    return scheme.join.join(_text(_field(item, path)) for path in scheme.fields).encode()


def _field(item: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(item, dict) or key not in item:
            return _ABSENT
        item = item[key]
    return item


def _text(value: Any) -> str:
    """A value as the sender writes it into what it signs: text as is, an integer's digits; an absent
    value is empty (Adyen signs "" for a missing originalReference). Anything else (true for Adyen's
    "true", null, a float, an object) is not what the sender sent: the item cannot verify."""
    if value is _ABSENT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Unauthorized("a signed field holds a value the sender does not sign")


def build_sign(scheme: BodyHmac) -> Signer:
    """The body with its signatures (and signed timestamp) put in, as the sender sends it."""

    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        key = signing_keys(scheme, secret)[0]
        payload = parse_json(body)
        if payload is NOT_JSON:
            raise Unauthorized("a body that carries its signature must be JSON")
        for item in _signed_items(scheme, payload):
            if scheme.timestamp is not None:
                _put(item, scheme.timestamp.json_path, stamp_text(scheme.timestamp.format, at))
            if scheme.nonce is not None:  # a new one for each request, as the sender makes it
                _put(item, scheme.nonce, secrets.token_hex(25))
            digest = hmac_digest(key, _message(scheme, item), scheme.algorithm)
            _put(
                item,
                scheme.signature,
                digest.hex() if scheme.encoding == "hex" else base64.b64encode(digest).decode(),
            )
        return Signed({}, body=json.dumps(payload, separators=(",", ":")).encode())

    return sign


def _put(item: dict[str, Any], dotted: str, value: str) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        item = item.setdefault(key, {})
    item[last] = value
