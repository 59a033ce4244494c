"""Sample events for ``sam local invoke -e``, the tests and the command line, made fresh, and secrets in the
layout a sender's definition reads, for signing them.

A stored signature goes stale after the provider's tolerance, so a sample is re-signed for "now" with the
subscription's secret, the way its provider would (headers and query parameters).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hookbridge.model import Provider
from hookbridge.providers.definition import (
    BodyHmac,
    BodyToken,
    Hmac,
    Jwt,
    ProviderDefinition,
    PublicKey,
    Token,
)
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
    proven = any(h.verified for h in provider.handshakes if h.method == method)
    if method != "POST" and not proven:  # a handshake a verify token proves, as its sender sends it
        return _with_verify_token(fresh, provider, secret, method)
    if method == "POST" and not raw and any(h.empty_body for h in provider.handshakes):
        return fresh  # a bodiless handshake the sender proves nothing in (Graph's ?validationToken=), as sent
    if provider.id_header is not None and method == "POST":
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


def _with_verify_token(
    fresh: dict[str, Any], provider: Provider, secret: SubscriptionSecret, method: str
) -> dict[str, Any]:
    """A handshake a verify token proves (Meta's GET), carrying the secret's verify token."""
    tokens = {h.token_parameter for h in provider.handshakes if h.method == method and h.token_parameter}
    if tokens and secret.verify_token is not None:
        query = dict(fresh.get("queryStringParameters") or {})
        query.update(dict.fromkeys(tokens, secret.verify_token.get_secret_value()))
        fresh["queryStringParameters"], fresh["rawQueryString"] = query, urlencode(query)
    return fresh


def received_url(event: dict[str, Any]) -> str:
    """The URL an API Gateway event was received on, as a sender that signs it called it."""
    headers = event.get("headers") or {}
    scheme = headers.get("x-forwarded-proto", "https")
    url = f"{scheme}://{headers.get('host', '')}{event.get('rawPath', '')}"
    return f"{url}?{event['rawQueryString']}" if event.get("rawQueryString") else url


# The subscription the samples in events/ are requests to (`hookbridge dev` seeds it for every sender).
DEMO_SUBSCRIPTION = "demo"


def example_secret(definition: ProviderDefinition, key: str) -> dict[str, Any]:
    """A secret in the layout a definition's schemes read, each value derived from ``key`` and written as
    the sender shows it (a key shown as hex or ``whsec_<base64>``; a public key, with the private half our
    signer needs; the verify token a handshake checks)."""
    if definition.code is not None:  # a sender in code whose layout is its own (AWS SNS's certificates)
        module = importlib.import_module(f"hookbridge.providers.{definition.code}")
        if hasattr(module, "example_secret"):
            made: dict[str, Any] = module.example_secret(key)
            return made
    layout: dict[str, Any] = {}
    for scheme in definition.auth.schemes if definition.auth else ():
        if isinstance(scheme, Hmac | BodyHmac | Jwt):
            shown = {
                "utf8": key,
                "base64": base64.b64encode(key.encode()).decode(),
                "hex": key.encode().hex(),
            }[scheme.key_encoding]
            layout["signing_secrets"] = [getattr(scheme, "key_prefix", "") + shown]
        elif isinstance(scheme, PublicKey):
            layout["public_keys"], layout["private_keys"] = key_pair(scheme.kind, key, scheme.key_format)
        elif isinstance(scheme, BodyToken):
            layout["signing_secrets"] = [key + "-state"]
        elif isinstance(scheme, Token):
            layout["tokens"] = [key + "-token"]
        else:
            layout["basic_auth"] = [{"username": "u-" + key, "password": key}]
    if any(h.check == "verify_token" for h in definition.handshakes):
        layout["verify_token"] = key + "-verify"
    return layout


def key_pair(kind: str, key: str, key_format: str = "hex") -> tuple[list[str], list[str]]:
    """A key pair derived from ``key``: the public half as the sender shows it (Discord: hex of the
    Ed25519 key; Telnyx: base64 of it; SendGrid: base64 DER), the private half as our signer reads it
    (``private_keys``)."""
    from ecdsa import Ed25519, NIST256p, SigningKey  # type: ignore[import-untyped]

    seed = hashlib.sha256(key.encode()).digest()
    if kind == "ed25519":
        public = SigningKey.from_string(seed, curve=Ed25519).verifying_key.to_string()
        shown = base64.b64encode(public).decode() if key_format == "base64" else public.hex()
        return [shown], [seed.hex()]
    private = SigningKey.from_secret_exponent(int.from_bytes(seed) % (NIST256p.order - 1) + 1, curve=NIST256p)
    return [base64.b64encode(private.verifying_key.to_der()).decode()], [
        base64.b64encode(private.to_der()).decode()
    ]
