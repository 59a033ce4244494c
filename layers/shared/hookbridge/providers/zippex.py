"""Zippex (deliveries).

Two signing forms, same secret, same 300 s tolerance either way:
- ``Zippex-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``, v1 = HMAC-SHA256(secret, f"{t}.{raw_body}");
- ``X-Zippex-Signature`` (hex HMAC of f"{timestamp}.{raw_body}"), ``X-Zippex-Timestamp`` (ISO-8601, signed
  exactly as sent) and ``X-Zippex-Event-Id``.
Secrets (``whsec_...``) are used as UTF-8 key bytes. Dedupe is on the event id.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from hookbridge.aws.secrets import SubscriptionSecret
from hookbridge.errors import Unauthorized
from hookbridge.ingest.verification import check_timestamp, digest_matches, require_keys
from hookbridge.model import (
    NOT_JSON,
    UNRECOGNIZED,
    Credentials,
    EventDescription,
    Provider,
    WebhookRequest,
)
from hookbridge.providers._fields import short_str

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "zippex-signature"
ALT_SIGNATURE_HEADER = "x-zippex-signature"
ALT_TIMESTAMP_HEADER = "x-zippex-timestamp"
ALT_EVENT_ID_HEADER = "x-zippex-event-id"

EVENT_TYPES = (
    "delivery.created",
    "delivery.driver_assigned",
    "delivery.picked_up",
    "delivery.in_transit",
    "delivery.delivered",
    "delivery.cancelled",
    "delivery.failed",
)


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    keys = require_keys(secret.signing_keys())
    header = request.headers.get(SIGNATURE_HEADER)
    if header:
        signed_timestamp, candidates = _parse_signature_header(header)
        signed_at = float(signed_timestamp)
    elif request.headers.get(ALT_SIGNATURE_HEADER):
        signed_timestamp = request.headers.get(ALT_TIMESTAMP_HEADER, "")
        signed_at = _parse_iso_timestamp(signed_timestamp)
        candidates = [request.headers[ALT_SIGNATURE_HEADER]]
    else:
        raise Unauthorized("missing signature header")
    check_timestamp(signed_at, now, TOLERANCE_SECONDS)
    message = signed_timestamp.encode() + b"." + request.body
    if not digest_matches(keys, message, candidates, "hex"):
        raise Unauthorized("signature mismatch")
    return "hmac-sha256"


def _parse_signature_header(header: str) -> tuple[str, list[str]]:
    timestamp: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise Unauthorized("malformed signature header")
        if name == "t":
            timestamp = value
        elif name == "v1":
            candidates.append(value)
        # Other schemes (v0, future versions) are ignored, as providers intend.
    if timestamp is None or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Unauthorized("malformed signature header: bad or missing t")
    if not candidates:
        raise Unauthorized("malformed signature header: no v1")
    return timestamp, candidates


def _parse_iso_timestamp(value: str) -> float:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Unauthorized("malformed timestamp header") from None
    if parsed.tzinfo is None:
        raise Unauthorized("timestamp header has no time zone")
    return parsed.timestamp()


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    header_id = request.headers.get(ALT_EVENT_ID_HEADER) or None
    if payload is NOT_JSON or not isinstance(payload, dict):
        return EventDescription(event_type=UNRECOGNIZED, recognized=False, event_id=header_id)
    event_type = short_str(payload.get("type"))
    data = payload.get("data")
    return EventDescription(
        event_type=event_type or UNRECOGNIZED,
        recognized=event_type is not None,
        event_id=short_str(payload.get("id")) or header_id,
        occurred_at=short_str(payload.get("created_at")),
        subject=short_str(data.get("id")) if isinstance(data, dict) else None,
    )


def sign(secret: SubscriptionSecret, body: bytes, timestamp: int) -> Credentials:
    """The header Zippex would send, signed with the newest signing secret."""
    key = require_keys(secret.signing_keys())[0]
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return Credentials(headers={"Zippex-Signature": f"t={timestamp},v1={digest}"})


PROVIDER = Provider(name="zippex", verify=verify, describe=describe, event_types=EVENT_TYPES, sign=sign)
