"""Zinc: unsigned, authenticated by a token in the URL or HTTP basic auth; the event type is the URL."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.events import signed
from tests.support.stack import Handler, Stack

SECRET = {
    "tokens": ["zinc_token_new", "zinc_token_old"],
    "basic_auth": [{"username": "zinc", "password": "zinc_password"}],
}


@pytest.fixture
def zinc(stack: Stack, ingest_function: Callable[[str], Handler]) -> Handler:
    stack.add_secret("zinc", "demo", SECRET)
    return ingest_function("zinc")


def call(handler: Handler, event: dict[str, Any], invoke: Any) -> tuple[int, str | None]:
    response = invoke(handler, event)
    return response["statusCode"], json.loads(response["body"]).get("status")


def with_token(name: str, token: str) -> dict[str, Any]:
    return signed("zinc", name, {"tokens": [token]})


def with_query_token(name: str, token: str) -> dict[str, Any]:
    event = with_token(name, "placeholder")
    event["queryStringParameters"]["token"] = token
    return event


def with_basic(name: str, username: str, password: str) -> dict[str, Any]:
    event = signed("zinc", name, {"tokens": ["x"]})
    event.pop("queryStringParameters")
    event["rawQueryString"] = ""
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    event["headers"]["authorization"] = f"Basic {encoded}"
    return event


@pytest.mark.parametrize("token", ["zinc_token_new", "zinc_token_old"])
def test_any_listed_token_passes(stack: Stack, zinc: Handler, invoke: Any, token: str) -> None:
    assert call(zinc, with_token("tracking_updated", token), invoke) == (200, "accepted")
    [item] = stack.items()
    assert item["verified_by"]["S"] == "token"


def test_basic_auth_passes(stack: Stack, zinc: Handler, invoke: Any) -> None:
    assert call(zinc, with_basic("status_updated", "zinc", "zinc_password"), invoke) == (200, "accepted")
    assert stack.items()[0]["verified_by"]["S"] == "basic-auth"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda: with_token("status_updated", "zinc_token_wrong"), id="wrong-token"),
        pytest.param(lambda: with_query_token("status_updated", ""), id="empty-token"),
        pytest.param(
            lambda: with_query_token("status_updated", "zinc_token_new,zinc_token_old"), id="joined-tokens"
        ),
        pytest.param(lambda: with_basic("status_updated", "zinc", "wrong"), id="wrong-password"),
        pytest.param(lambda: with_basic("status_updated", "other", "zinc_password"), id="wrong-user"),
        pytest.param(lambda: with_basic("status_updated", "zinc", ""), id="empty-password"),
        pytest.param(
            lambda: {
                **with_basic("status_updated", "zinc", "zinc_password"),
                "headers": {"authorization": "Basic %%%"},
            },
            id="malformed-basic",
        ),
        pytest.param(
            lambda: {
                **with_basic("status_updated", "zinc", "zinc_password"),
                "headers": {"authorization": "Bearer x"},
            },
            id="not-basic",
        ),
        pytest.param(
            lambda: {**with_basic("status_updated", "zinc", "zinc_password"), "headers": {}},
            id="no-credentials",
        ),
    ],
)
def test_bad_credentials_get_401_and_store_nothing(
    stack: Stack, zinc: Handler, invoke: Any, event: Any
) -> None:
    assert call(zinc, event(), invoke) == (401, None)
    assert stack.items() == []


def test_subscription_with_nothing_configured_rejects_everything(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any
) -> None:
    stack.add_secret("zinc", "demo", {"tokens": [""], "basic_auth": [], "api_key": "k"})
    assert call(ingest_function("zinc"), with_query_token("status_updated", ""), invoke) == (401, None)
    assert call(ingest_function("zinc"), with_token("status_updated", "zinc_token_new"), invoke) == (
        401,
        None,
    )


def test_unknown_event_type_is_404_without_reading_a_secret(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any
) -> None:
    event = with_token("status_updated", "zinc_token_new")
    event["pathParameters"]["event_type"] = "order_shipped"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/webhooks/zinc/demo/order_shipped"
    # No secret exists at all: a 404 here cannot come from the secret lookup.
    assert call(ingest_function("zinc"), event, invoke) == (404, None)


def test_deprecated_name_is_published_under_the_current_one(stack: Stack, zinc: Handler, invoke: Any) -> None:
    assert call(zinc, with_token("order_placed", "zinc_token_new"), invoke) == (200, "accepted")
    [item] = stack.items()
    assert item["event_type"]["S"] == "request_succeeded"
    assert item["extra"]["M"] == {"event_type_received": {"S": "order_placed"}}
    assert item["subject"]["S"] == "3f1c939065cf58e7b9f0aea70640dffc"
    # The same body to the current name's URL is the same event.
    assert call(zinc, with_token("request_succeeded", "zinc_token_new"), invoke) == (200, "duplicate")


def test_same_body_under_two_event_types_is_two_events(stack: Stack, zinc: Handler, invoke: Any) -> None:
    obtained = with_token("tracking_obtained", "zinc_token_new")
    updated = with_token("tracking_updated", "zinc_token_new")
    assert obtained["body"] == updated["body"]
    assert call(zinc, obtained, invoke) == (200, "accepted")
    assert call(zinc, updated, invoke) == (200, "accepted")
    assert call(zinc, updated, invoke) == (200, "duplicate")
    assert len(stack.items()) == 2
