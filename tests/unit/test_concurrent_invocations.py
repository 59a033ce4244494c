"""Many functions' invocations at once in one process, as `hookbridge dev`, `load` and the integration tests
run them (Lambda runs one per process): each must answer its own request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from hookbridge import providers
from hookbridge.aws.secrets import SecretStore
from hookbridge.ingest.handler import build_ingest_handler
from tests.support.events import LambdaContext, signed
from tests.support.fakes import MemorySecrets, MemoryStore
from tests.support.settings import ingest_settings

SECRET = {"signing_secrets": ["k" * 16]}  # MemorySecrets' secret for the demo subscription
FORGERS = {"signing_secrets": ["f" * 16]}


def zencargo_instance() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A function instance of its own: its own resolver, pipeline and secrets cache."""
    secrets = SecretStore(MemorySecrets(), "hookbridge", 300, 30)
    return build_ingest_handler(
        providers.load("zencargo"), ingest_settings("zencargo"), secrets, MemoryStore()
    )


def test_a_request_is_answered_for_itself_while_another_instance_resolves_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Powertools keeps the request being resolved on a class all its resolvers share. Here a forged request
    arrives at a second instance while the first still routes a genuine one: the genuine one was answered
    with the forged one's 401."""
    genuine_waits, forged_arrived, genuine_done = threading.Event(), threading.Event(), threading.Event()
    route = ApiGatewayResolver._resolve

    def interleaved(resolver: ApiGatewayResolver) -> Any:
        if threading.current_thread().name == "genuine":
            genuine_waits.set()
            assert forged_arrived.wait(5)  # the forged request is being resolved now, by the other instance
            try:
                return route(resolver)
            finally:
                genuine_done.set()
        forged_arrived.set()
        assert genuine_done.wait(5)
        return route(resolver)

    monkeypatch.setattr(ApiGatewayResolver, "_resolve", interleaved)
    answers: dict[str, int] = {}

    def deliver(name: str, event: dict[str, Any]) -> None:
        answers[name] = zencargo_instance()(event, LambdaContext())["statusCode"]

    genuine = threading.Thread(
        target=deliver, args=("genuine", signed("zencargo", "BOOKING_CREATED", SECRET)), name="genuine"
    )
    forged = threading.Thread(
        target=deliver, args=("forged", signed("zencargo", "BOOKING_CREATED", FORGERS)), name="forged"
    )
    genuine.start()
    assert genuine_waits.wait(5)
    forged.start()
    genuine.join(10)
    forged.join(10)

    assert answers == {"genuine": 200, "forged": 401}
