"""The sample events in events/<provider>/ and the demo secret each provider's samples are signed with:
what the local stack, `hookbridge send`, the tests and the benchmark all read."""

from __future__ import annotations

import copy
import json
from typing import Any

from hookbridge_cli.template import EVENTS

DEMO_SECRET = "demo-secret"  # noqa: S105 - the file events/<provider>/demo-secret.json


def load_event(provider: str, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / provider / f"{name}.json").read_text())
    return event


def demo_secret(provider: str) -> dict[str, Any]:
    return load_event(provider, DEMO_SECRET)


def sample_names(provider: str) -> list[str]:
    """The samples' event types; a type with slashes (Shopify's ``orders/create``) is a sub-folder."""
    folder = EVENTS / provider
    found = (p.relative_to(folder).with_suffix("") for p in folder.rglob("*.json"))
    return sorted(name.as_posix() for name in found if name.name != DEMO_SECRET)


def distinct_payload(provider: str, payload: dict[str, Any], n: int) -> dict[str, Any]:
    """A copy of a sample's payload made the n-th distinct event: what identifies an event of this
    provider (its event id, or the entity it is about when it has none) is changed."""
    distinct = copy.deepcopy(payload)
    if provider in ("zippex", "zonos", "stripe"):
        distinct["id"] = f"evt_{provider}_{n}"
    elif provider == "zencargo":
        distinct["data"]["targetId"] = f"ZTEST-{n}"
    else:
        # Zinc's order; senders whose event id is a header (GitHub, Shopify, Standard Webhooks) sign each
        # distinct body with a delivery id of its own.
        distinct["request_id"] = f"req_{n}"
    return distinct
