"""Zencargo (freight).

``Zencargo-Hmac-SHA256`` = base64(HMAC-SHA256(sign_token, raw_body)); the sign tokens are the secret's
``signing_secrets``. The payload is a thin pointer, ``{"data": {topic, targetType, targetId, accountId}}``,
with no event id and no timestamp: dedupe is on a content hash within a short window (two genuine
notifications about one shipment can be identical), and a replay of a captured request after that window
cannot be told from such a genuine repeat. It only ever says "look at targetId again".
"""

from __future__ import annotations

import base64
from typing import Any

from hookbridge.aws.secrets import SubscriptionSecret
from hookbridge.errors import Unauthorized
from hookbridge.ingest.verification import digest_matches, hmac_sha256, require_header, require_keys
from hookbridge.model import UNRECOGNIZED, Credentials, EventDescription, Provider, WebhookRequest
from hookbridge.providers._fields import short_str

SIGNATURE_HEADER = "Zencargo-Hmac-SHA256"

EVENT_TYPES = (
    "LOT_BOOKED",
    "BOOKING_CREATED",
    "LOT_QUANTITY_CHANGED",
    "PURCHASE_ORDER_CARGO_READY_DATES_CHANGED",
    "PURCHASE_ORDER_CLOSED",
    "PACKING_LIST_LINES_CHANGED",
    "CARGO_CONTAINER_CONFIGURATION_CHANGED",
    "CARGO_CONTAINER_NUMBER_CHANGED",
    "SHIPMENT_SAILING_SCHEDULE_CHANGED",
    "SHIPMENT_DELIVERY_ESTIMATE_CHANGED",
    "SHIPMENT_STAGE_CHANGED",
)


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    keys = require_keys(secret.signing_keys())
    signature = require_header(request.headers, SIGNATURE_HEADER)
    if not digest_matches(keys, request.body, [signature], "base64"):
        raise Unauthorized("signature mismatch")
    return "hmac-sha256"


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        return EventDescription(event_type=UNRECOGNIZED, recognized=False)
    topic = short_str(data.get("topic"))
    extra = {
        name: value
        for name, value in (("target_type", data.get("targetType")), ("account_id", data.get("accountId")))
        if isinstance(value, str)
    }
    return EventDescription(
        event_type=topic or UNRECOGNIZED,
        recognized=topic is not None,
        subject=short_str(data.get("targetId")),
        extra=extra,
    )


def sign(secret: SubscriptionSecret, body: bytes, timestamp: int) -> Credentials:
    key = require_keys(secret.signing_keys())[0]
    return Credentials(headers={SIGNATURE_HEADER: base64.b64encode(hmac_sha256(key, body)).decode()})


PROVIDER = Provider(name="zencargo", verify=verify, describe=describe, event_types=EVENT_TYPES, sign=sign)
