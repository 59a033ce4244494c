"""Zonos (cross-border commerce): the code its definition (``definitions/zonos.toml``) names.

Why code and not a definition: Zonos gives a webhook a secret but publishes no signing scheme, so each
subscription configures what its requests carry, in its secret (header names and encoding included), where
a definition fixes them for every subscription of a provider; and its event id is the body's ``id`` only
when the body is an event envelope, a condition a definition's ordered sources cannot state:
- a shared token (``tokens``), in the header ``token_header``, or else the query parameter ``token``;
- a body HMAC-SHA256 with ``signing_secrets`` in the header ``hmac_header``, ``hmac_encoding`` hex or base64.
Whatever is configured must pass (both, when both are); a subscription that configures neither rejects
everything.

Zonos creates one webhook per type, so the type is the body's ``type`` when present, else the ``type``
query parameter of the registered URL. Dedupe is on an event id when the body carries one (``eventId``, or
``id`` beside a ``type`` in an event envelope), else on a content hash within a window: a bare order's
``id`` names the order, not the notification, and two genuine status changes share it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import UNRECOGNIZED, Credentials, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.verification import (
    digest_matches,
    hmac_sha256,
    require_header,
    require_keys,
    secret_matches,
)
from hookbridge.subscription import SubscriptionSecret

TOKEN_PARAMETER = "token"  # noqa: S105 - a query parameter name, not a secret
TYPE_PARAMETER = "type"


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    schemes = []
    tokens = [t.get_secret_value() for t in secret.tokens if t.get_secret_value()]
    if tokens:
        if secret.token_header:
            given = require_header(request.headers, secret.token_header)
        else:
            given = request.query.get(TOKEN_PARAMETER, "")
        if not secret_matches(given, tokens):
            raise Unauthorized("token mismatch")
        schemes.append("token")
    if secret.hmac_header:
        keys = require_keys(secret.signing_keys())
        signature = require_header(request.headers, secret.hmac_header)
        if not digest_matches(keys, request.body, [signature], secret.hmac_encoding):
            raise Unauthorized("signature mismatch")
        schemes.append("hmac-sha256")
    if not schemes:
        raise Unauthorized("subscription configures neither a token nor an HMAC")
    return "+".join(schemes)


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    body = payload if isinstance(payload, dict) else {}
    body_type = short_str(body.get("type"))
    event_type = body_type or short_str(request.query.get(TYPE_PARAMETER))
    event_id = short_str(body.get("eventId")) or (short_str(body.get("id")) if body_type else None)
    data = body.get("data")
    subject = short_str(data.get("id")) if isinstance(data, dict) else short_str(body.get("orderId"))
    return EventDescription(
        event_type=event_type or UNRECOGNIZED,
        recognized=isinstance(payload, dict) and event_type is not None,
        event_id=event_id,
        proven_id=event_id,  # from the body, which the token and the HMAC both prove
        # A type from the query is proven by a token, not by an HMAC alone; it is taken as proven still, so
        # that two genuine webhooks of different types with the same bare order are never one.
        proven_type=event_type or UNRECOGNIZED,
        occurred_at=short_str(body.get("createdAt")),
        subject=subject,
    )


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """As Zonos would send it (the URL and the request's other headers play no part)."""
    added: dict[str, str] = {}
    query: dict[str, str] = {}
    tokens = [t.get_secret_value() for t in secret.tokens if t.get_secret_value()]
    if tokens:
        if secret.token_header:
            added[secret.token_header] = tokens[0]
        else:
            query[TOKEN_PARAMETER] = tokens[0]
    if secret.hmac_header:
        digest = hmac_sha256(require_keys(secret.signing_keys())[0], body)
        encoded = digest.hex() if secret.hmac_encoding == "hex" else base64.b64encode(digest).decode()
        added[secret.hmac_header] = encoded
    return Credentials(headers=added, query=query)
