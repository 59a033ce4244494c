"""Zinc (retail orders).

Zinc does not sign webhooks: the registered URL carries the secret, as a ``token`` query parameter or as
HTTP basic auth (``https://user:pass@host/...``, which clients send as an Authorization header). Either is
accepted when the subscription configures it. One URL per event type, so the type is the last path segment;
the deprecated ``order_placed`` and ``order_failed`` are published as ``request_succeeded`` and
``request_failed``, with the name used kept as ``event_type_received``. The body is the full order response
with no delivery id, and delivery is at least once: dedupe is on a hash of event type and body.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from hookbridge.aws.secrets import SubscriptionSecret
from hookbridge.errors import Unauthorized
from hookbridge.ingest.verification import credentials_match, secret_matches
from hookbridge.model import Credentials, EventDescription, Provider, WebhookRequest
from hookbridge.providers._fields import short_str

TOKEN_PARAMETER = "token"  # noqa: S105 - a query parameter name, not a secret

EVENT_TYPES = (
    "request_succeeded",
    "request_failed",
    "tracking_obtained",
    "tracking_updated",
    "status_updated",
    "case_updated",
)
DEPRECATED = {"order_placed": "request_succeeded", "order_failed": "request_failed"}


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    tokens = [t.get_secret_value() for t in secret.tokens]
    pairs = [(c.username.get_secret_value(), c.password.get_secret_value()) for c in secret.basic_auth]
    if not any(tokens) and not any(u and p for u, p in pairs):
        raise Unauthorized("subscription has no token or basic auth configured")
    token = request.query.get(TOKEN_PARAMETER)
    if token is not None and secret_matches(token, tokens):
        return "token"
    authorization = request.headers.get("authorization")
    if authorization is not None:
        username, password = _basic_credentials(authorization)
        if credentials_match(username, password, pairs):
            return "basic-auth"
    raise Unauthorized("no valid token or basic auth credentials")


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("authorization is not basic auth")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthorized("malformed basic auth") from None
    username, separator, password = decoded.partition(":")
    if not separator:
        raise Unauthorized("malformed basic auth")
    return username, password


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    received = request.path["event_type"]  # one of path_values: checked before verification
    canonical = DEPRECATED.get(received, received)
    body = payload if isinstance(payload, dict) else {}
    return EventDescription(
        event_type=canonical,
        recognized=isinstance(payload, dict),
        subject=short_str(body.get("request_id")),
        extra={"event_type_received": received} if received != canonical else {},
    )


def sign(secret: SubscriptionSecret, body: bytes, timestamp: int) -> Credentials:
    """Zinc sends what the registered URL holds: the token, else the basic auth credentials."""
    for token in secret.tokens:
        if token.get_secret_value():
            return Credentials(query={TOKEN_PARAMETER: token.get_secret_value()})
    for pair in secret.basic_auth:
        user, password = pair.username.get_secret_value(), pair.password.get_secret_value()
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        return Credentials(headers={"Authorization": f"Basic {encoded}"})
    raise Unauthorized("subscription has no token or basic auth configured")


PROVIDER = Provider(
    name="zinc",
    verify=verify,
    describe=describe,
    event_types=EVENT_TYPES,
    sign=sign,
    path_values={"event_type": frozenset(EVENT_TYPES) | frozenset(DEPRECATED)},
)
