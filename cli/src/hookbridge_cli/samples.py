"""The sample events in events/<provider>/ and the demo secret each provider's samples are signed with:
what the local stack, `hookbridge send`, the tests and the benchmark all read."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from hookbridge.model import Provider
from hookbridge.samples import fresh_event
from hookbridge.subscription import SubscriptionSecret
from hookbridge_cli.paths import EVENTS

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


@dataclass(frozen=True)
class SignedRequest:
    """One delivery as the provider makes it over HTTP: where it posts, the body and the headers."""

    url: str
    body: bytes
    headers: dict[str, str]

    @property
    def where(self) -> str:
        """The URL without its query (which may carry a token): safe to print."""
        return self.url.split("?")[0]


def signed_request(
    sample: dict[str, Any],
    provider: Provider,
    secret: SubscriptionSecret,
    subscription: str,
    base_url: str,
    body: str | None = None,
) -> SignedRequest:
    """A sample (an API Gateway event from events/), or ``body`` in its place, signed or authenticated for
    now with ``secret`` as its provider does, addressed to ``subscription`` under the stack's webhook
    base URL (with or without its trailing ``/webhooks``)."""
    event = fresh_event(sample, provider, secret, body=body)
    path = event["rawPath"].split("/")
    path[3] = subscription
    url = base_url.rstrip("/").removesuffix("/webhooks") + "/".join(path)
    if event.get("rawQueryString"):
        url += "?" + event["rawQueryString"]
    headers = {k: v for k, v in event["headers"].items() if k != "host"}
    return SignedRequest(url, event["body"].encode(), headers)
