"""Sample events for ``sam local invoke -e``, the tests and the command line, made fresh.

A stored signature goes stale after the provider's tolerance, so a sample is re-signed for "now" with the
subscription's secret, the way its provider would (headers and query parameters).
"""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hookbridge.model import Provider
from hookbridge.providers.schemes import delivery_id
from hookbridge.subscription import SubscriptionSecret


def fresh_event(
    event: dict[str, Any],
    provider: Provider,
    secret: SubscriptionSecret,
    now: float | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A copy of an API Gateway HTTP API (2.0) event, received and authenticated at ``now``.

    The credentials ``secret`` produces replace those of the same name in the event; others the event
    carries stay (a sample made with a secret of another layout keeps its own headers)."""
    now = time.time() if now is None else now
    fresh = copy.deepcopy(event)
    if body is not None:
        fresh["body"] = body
        fresh["isBase64Encoded"] = False
    raw = (fresh.get("body") or "").encode()
    context = fresh.setdefault("requestContext", {})
    context["timeEpoch"] = int(now * 1000)
    context["time"] = datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    if provider.id_header is not None:
        # Each distinct body is a delivery of its own, as the sender would number it.
        fresh.setdefault("headers", {})[provider.id_header.lower()] = delivery_id(raw)
    credentials = provider.sign(secret, raw, int(now))
    fresh.setdefault("headers", {}).update({k.lower(): v for k, v in credentials.headers.items()})
    if credentials.query:
        query = {**(fresh.get("queryStringParameters") or {}), **credentials.query}
        fresh["queryStringParameters"] = query
        fresh["rawQueryString"] = urlencode(query)
    return fresh
