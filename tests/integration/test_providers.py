"""Every provider, every sample: stored once, published once to a consumer rule, in the envelope."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hookbridge import providers
from tests.integration.conftest import PREFIX, Handler, Stack
from tests.support.events import demo_secret, sample_names, signed

SAMPLES = [(p, n) for p in providers.names() for n in sample_names(p)]
# Zinc publishes its deprecated URL names under the current ones.
PUBLISHED_AS = {"order_placed": "request_succeeded", "order_failed": "request_failed"}


@pytest.mark.parametrize(("provider", "name"), SAMPLES)
def test_sample_is_stored_once_and_published_once(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    publisher_handler: Handler,
    invoke: Any,
    provider: str,
    name: str,
) -> None:
    stack.add_secret(provider, "demo", demo_secret(provider))
    handler = ingest_function(provider)
    event = signed(provider, name)

    first = invoke(handler, event)
    assert first["statusCode"] == 200, first
    assert json.loads(first["body"])["status"] == "accepted"
    again = invoke(handler, event)
    assert json.loads(again["body"]) == {"status": "duplicate", "id": json.loads(first["body"])["id"]}
    assert len(stack.items()) == 1

    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    [message] = stack.bus_messages()
    assert message["source"] == f"{PREFIX}.{provider}"
    assert message["detail-type"] == PUBLISHED_AS.get(name, name)
    assert message["detail"]["data"] == json.loads(event["body"])
    metadata = message["detail"]["metadata"]
    assert (metadata["provider"], metadata["subscription"]) == (provider, "demo")
    assert metadata["recognized"] is True
    assert metadata["id"] == json.loads(first["body"])["id"]
