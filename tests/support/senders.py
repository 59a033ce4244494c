"""Requests as a sender makes them, for the tests that prove each sender against its own code: the
``WebhookRequest`` a definition verifies, and what the real ingest handler answers to the same request."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hookbridge import providers
from hookbridge.aws.secrets import SecretStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.model import StoredEvent, WebhookRequest, parse_json
from hookbridge.ports import SubscriptionConfirmer
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import LambdaContext
from tests.support.fakes import FixedSecrets, MemoryStore
from tests.support.settings import ingest_settings

HOST = "hooks.example.test"


def frozen_datetime(now: float) -> type[datetime]:
    """A ``datetime`` whose ``now()`` is ``now``: set in a sender SDK's module in place of its own, so the
    SDK judges a timestamp's age by the test's clock."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.fromtimestamp(now, tz)

    return Frozen


def url_for(provider: str, query: str = "") -> str:
    """Where the sender posts: the demo subscription's URL on a deployment at ``HOST``."""
    return f"https://{HOST}/webhooks/{provider}/demo" + (f"?{query}" if query else "")


def webhook_request(
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    url: str | None = None,
    method: str = "POST",
    at: float | None = None,
) -> WebhookRequest:
    """The request as the ingest function sees it: headers lower-cased, with the Host and scheme API
    Gateway passes on; the URL's path and query as received."""
    parts = urlsplit(url or url_for(provider))
    lowered = {
        "host": parts.netloc,
        "x-forwarded-proto": parts.scheme,
        **{k.lower(): v for k, v in headers.items()},
    }
    return WebhookRequest(
        provider,
        "demo",
        lowered,
        dict(parse_qsl(parts.query, keep_blank_values=True)),
        {},
        body,
        int((time.time() if at is None else at) * 1000),
        method=method,
        raw_path=parts.path,
        raw_query=parts.query,
    )


def verify(
    provider: str, secret: Mapping[str, Any], request: WebhookRequest, now: float | None = None
) -> str:
    """How the request proved itself to the definition; raises Unauthorized when it does not."""
    checked = SubscriptionSecret.model_validate(dict(secret))
    return providers.load(provider).verify(request, checked, time.time() if now is None else now)


def request(
    provider: str, headers: dict[str, str], body: bytes, received_at: float | None = None
) -> WebhookRequest:
    """A request to a sender's `prod` subscription with these headers and body, received now (or then)."""
    at = time.time() if received_at is None else received_at
    return WebhookRequest(
        provider, "prod", {k.lower(): v for k, v in headers.items()}, {}, {}, body, int(at * 1000)
    )


def secret(*values: str) -> SubscriptionSecret:
    """A secret of these signing secrets."""
    return SubscriptionSecret.model_validate({"signing_secrets": list(values)})


def describe(provider: str, request: WebhookRequest) -> Any:
    loaded = providers.load(provider)
    payload, _ = loaded.parse(request)
    return loaded.describe(request, payload)


@dataclass
class Answer:
    status: int
    content_type: str
    body: str
    stored: list[StoredEvent]
    headers: dict[str, str] | None = None  # every header of the answer

    def json(self) -> Any:
        return parse_json(self.body.encode())


def answer(
    provider: str,
    secret: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes,
    *,
    url: str | None = None,
    method: str = "POST",
    now: float | None = None,
    confirmer: SubscriptionConfirmer | None = None,
    store: MemoryStore | None = None,
) -> Answer:
    """What the real ingest handler answers the request, now (or at ``now``), and what it stored (in
    ``store`` when given: requests one after another to the same table)."""
    store = MemoryStore() if store is None else store
    secrets = SecretStore(FixedSecrets(dict(secret)), "hookbridge", 300, 30)
    handler = build_ingest_handler(
        providers.load(provider),
        ingest_settings(provider),
        secrets,
        store,
        wall_clock=time.time if now is None else lambda: now,
        confirmer=confirmer,
    )
    parts = urlsplit(url or url_for(provider))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    event = {
        "version": "2.0",
        "routeKey": f"{method} /webhooks/{provider}/{{subscription}}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {
            "host": parts.netloc,
            "x-forwarded-proto": parts.scheme,
            **{k.lower(): v for k, v in headers.items()},
        },
        **({"queryStringParameters": query} if query else {}),
        "requestContext": {
            "http": {"method": method, "path": parts.path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
            "requestId": "req-1",
            "routeKey": f"{method} /webhooks/{provider}/{{subscription}}",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "pathParameters": {"subscription": "demo"},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
    response = handler(event, LambdaContext())  # type: ignore[arg-type]
    return Answer(
        response["statusCode"],
        response.get("headers", {}).get("Content-Type", ""),
        response.get("body", ""),
        store.events,
        response.get("headers", {}),
    )


def refused(found: Answer) -> bool:
    """The design's answer to a request that did not prove itself: 401, nothing stored."""
    return (found.status, json.loads(found.body), found.stored) == (401, {"message": "Unauthorized"}, [])
