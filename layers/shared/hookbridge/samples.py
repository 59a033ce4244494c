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
from hookbridge.providers.scheme_parts import delivery_id
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
    carries stay (a sample made with a secret of another layout keeps its own headers). A sender that
    signs the URL signs the one the event was received on (``https://{host}{rawPath}?{rawQueryString}``);
    one that signs inside the body gets the body signed. A GET (a handshake a token proves) is re-dated
    and carries the secret's verify token."""
    now = time.time() if now is None else now
    fresh = copy.deepcopy(event)
    if body is not None:
        fresh["body"] = body
        fresh["isBase64Encoded"] = False
    raw = (fresh.get("body") or "").encode()
    context = fresh.setdefault("requestContext", {})
    context["timeEpoch"] = int(now * 1000)
    context["time"] = datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    headers = fresh.setdefault("headers", {})
    method = context.get("http", {}).get("method", "POST")
    if method != "POST":  # a handshake a token proves: the subscription's token, as its sender sends it
        tokens = {h.token_parameter for h in provider.handshakes if h.method == method and h.token_parameter}
        if tokens and secret.verify_token is not None:
            query = dict(fresh.get("queryStringParameters") or {})
            query.update(dict.fromkeys(tokens, secret.verify_token.get_secret_value()))
            fresh["queryStringParameters"], fresh["rawQueryString"] = query, urlencode(query)
        return fresh
    if provider.id_header is not None:
        # Each distinct body is a delivery of its own, as the sender would number it.
        headers[provider.id_header.lower()] = delivery_id(raw)
    credentials = provider.sign(secret, raw, int(now), received_url(fresh), headers)
    headers.update({k.lower(): v for k, v in credentials.headers.items()})
    if credentials.body is not None:
        fresh["body"] = credentials.body.decode()
    if credentials.query:
        query = {**(fresh.get("queryStringParameters") or {}), **credentials.query}
        fresh["queryStringParameters"] = query
        fresh["rawQueryString"] = urlencode(query)
    return fresh


def received_url(event: dict[str, Any]) -> str:
    """The URL an API Gateway event was received on, as a sender that signs it called it."""
    headers = event.get("headers") or {}
    scheme = headers.get("x-forwarded-proto", "https")
    url = f"{scheme}://{headers.get('host', '')}{event.get('rawPath', '')}"
    return f"{url}?{event['rawQueryString']}" if event.get("rawQueryString") else url
