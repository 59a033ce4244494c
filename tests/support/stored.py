"""One stored event for the tests that need one, written once: a Zippex event of the `prod` subscription,
changed where a test says. Its keys follow the provider, subscription and event id given, and its body's
hash the payload, unless the test gives them."""

from __future__ import annotations

import hashlib
from typing import Any

from hookbridge.model import StoredEvent

BODY = b'{"id": "evt_1", "type": "delivery.created"}'


def stored_event(**changes: Any) -> StoredEvent:
    provider = changes.get("provider", "zippex")
    subscription = changes.get("subscription", "prod")
    event_id = changes.get("event_id", "evt_1")
    payload = changes.get("payload", BODY)
    key = f"{provider}#{subscription}#id#{event_id}"
    defaults: dict[str, Any] = {
        "key": key,
        "id": "abc",
        "provider": provider,
        "subscription": subscription,
        "dedupe_key": changes.get("key", key),
        "event_type": "delivery.created",
        "recognized": True,
        "is_json": True,
        "received_at": "2026-03-10T14:45:01.123Z",
        "verified_by": "hmac-sha256",
        "payload": payload,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "expires_at": 1,
        "dedupe_until": 1,
        "by_day": f"{provider}#{subscription}#2026-03-10#0",
        "event_id": event_id,
    }
    return StoredEvent(**(defaults | changes))
