"""Zonos: a shared token and/or a body HMAC, as the subscription's secret configures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest

from hookbridge.model import StoredEvent
from tests.support.events import load_event, signed
from tests.support.stack import Handler, Stack

TOKEN_IN_HEADER = {"tokens": ["tok_new", "tok_old"], "token_header": "X-Hookbridge-Token"}
TOKEN_IN_QUERY = {"tokens": ["tok_new"]}
HMAC_HEX = {
    "signing_secrets": ["key_new", "key_old"],
    "hmac_header": "X-Zonos-Signature",
    "hmac_encoding": "hex",
}
HMAC_B64 = {"signing_secrets": ["key_new"], "hmac_header": "X-Zonos-Signature", "hmac_encoding": "base64"}
BOTH = {**TOKEN_IN_HEADER, **HMAC_HEX}


@pytest.fixture
def zonos(stack: Stack, ingest_function: Callable[[str], Handler]) -> Callable[[dict[str, Any]], Handler]:
    def with_secret(secret: dict[str, Any]) -> Handler:
        stack.add_secret("zonos", "demo", secret)
        return ingest_function("zonos")

    return with_secret


def call(handler: Handler, event: dict[str, Any], invoke: Any) -> tuple[int, str | None]:
    response = invoke(handler, event)
    return response["statusCode"], json.loads(response["body"]).get("status")


def bare(name: str = "ORDER_CREATED") -> dict[str, Any]:
    """The sample without any credentials."""
    event = load_event("zonos", name)
    event["headers"] = {k: v for k, v in event["headers"].items() if not k.startswith("x-")}
    return event


@pytest.mark.parametrize(
    ("secret", "verified_by"),
    [
        (TOKEN_IN_HEADER, "token"),
        (TOKEN_IN_QUERY, "token"),
        (HMAC_HEX, "hmac-sha256"),
        (HMAC_B64, "hmac-sha256"),
        (BOTH, "token+hmac-sha256"),
    ],
    ids=["token-header", "token-query", "hmac-hex", "hmac-base64", "both"],
)
def test_each_configuration_accepts_genuine_requests(
    stack: Stack, zonos: Any, invoke: Any, secret: dict[str, Any], verified_by: str
) -> None:
    assert call(zonos(secret), signed("zonos", "ORDER_CREATED", secret), invoke) == (200, "accepted")
    assert stack.items()[0]["verified_by"]["S"] == verified_by


def test_hmac_is_over_the_raw_body(stack: Stack, zonos: Any, invoke: Any) -> None:
    event = signed("zonos", "ORDER_CREATED", HMAC_B64)
    expected = base64.b64encode(
        hmac.new(b"key_new", event["body"].encode(), hashlib.sha256).digest()
    ).decode()
    assert event["headers"]["x-zonos-signature"] == expected


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        (TOKEN_IN_HEADER, {"tokens": ["tok_wrong"], "token_header": "X-Hookbridge-Token"}),
        (TOKEN_IN_HEADER, TOKEN_IN_QUERY),  # right token, wrong place
        (TOKEN_IN_QUERY, {"tokens": ["tok_wrong"]}),
        (HMAC_HEX, {**HMAC_HEX, "signing_secrets": ["key_wrong"]}),
        (HMAC_HEX, {**HMAC_HEX, "hmac_encoding": "base64"}),
        (BOTH, TOKEN_IN_HEADER),  # token right, HMAC missing
        (BOTH, {**HMAC_HEX, "tokens": ["tok_wrong"], "token_header": "X-Hookbridge-Token"}),
    ],
    ids=[
        "wrong-token",
        "token-in-query",
        "wrong-query-token",
        "wrong-key",
        "wrong-encoding",
        "no-hmac",
        "bad-token",
    ],
)
def test_forgeries_get_401_and_store_nothing(
    stack: Stack, zonos: Any, invoke: Any, configured: dict[str, Any], sent: dict[str, Any]
) -> None:
    assert call(zonos(configured), signed("zonos", "ORDER_CREATED", sent), invoke) == (401, None)
    assert stack.items() == []


def test_tampered_body_fails_the_hmac(stack: Stack, zonos: Any, invoke: Any) -> None:
    event = signed("zonos", "ORDER_CREATED", BOTH)
    event["body"] = event["body"].replace("OPEN", "PAID")
    assert call(zonos(BOTH), event, invoke) == (401, None)


@pytest.mark.parametrize(
    "secret",
    [{}, {"signing_secrets": ["key_new"]}, {"hmac_header": "X-Zonos-Signature"}, {"tokens": [""]}],
    ids=["empty", "key-without-header", "header-without-key", "empty-token"],
)
def test_nothing_configured_rejects_everything(
    stack: Stack, zonos: Any, invoke: Any, secret: dict[str, Any]
) -> None:
    assert call(zonos(secret), bare(), invoke) == (401, None)


def test_rotation_previous_token_and_key_pass(stack: Stack, zonos: Any, invoke: Any) -> None:
    handler = zonos(BOTH)
    old = {**BOTH, "tokens": ["tok_old"], "signing_secrets": ["key_old"]}
    assert call(handler, signed("zonos", "ORDER_CREATED", old), invoke) == (200, "accepted")


def test_type_comes_from_the_query_when_the_body_has_none(stack: Stack, zonos: Any, invoke: Any) -> None:
    body = json.dumps({"orderId": "order_7c2a3f0e", "status": "CANCELED"})  # no type, no event id
    event = signed("zonos", "ORDER_CANCELED", TOKEN_IN_QUERY, body=body)
    assert event["queryStringParameters"]["type"] == "ORDER_CANCELED"
    handler = zonos(TOKEN_IN_QUERY)
    assert call(handler, event, invoke) == (200, "accepted")
    assert call(handler, event, invoke) == (200, "duplicate")
    [item] = stack.items()
    assert item["event_type"]["S"] == "ORDER_CANCELED"
    assert item["subject"]["S"] == "order_7c2a3f0e"
    assert (
        "#sha256#" in StoredEvent.from_stream_image(item).dedupe_key
    )  # no event id: content hash within the window


def test_event_id_dedupes_even_when_the_body_is_resent_differently(
    stack: Stack, zonos: Any, invoke: Any
) -> None:
    handler = zonos(TOKEN_IN_QUERY)
    first = signed("zonos", "ORDER_CREATED", TOKEN_IN_QUERY)
    resent = signed("zonos", "ORDER_CREATED", TOKEN_IN_QUERY, body=json.dumps(json.loads(first["body"])))
    assert first["body"] != resent["body"]  # same event, other whitespace
    assert call(handler, first, invoke) == (200, "accepted")
    assert call(handler, resent, invoke) == (200, "duplicate")
    assert StoredEvent.from_stream_image(stack.items()[0]).dedupe_key == "zonos#demo#id#whe_0a8f3c2d1"
