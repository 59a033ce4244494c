"""Issue 22, through the real entry point against moto, counting every Secrets Manager call botocore makes:
invented subscription names cost no GetSecretValue and a bounded number of ListSecrets; a subscription
created during a flood is served within the miss interval; a deleted one is refused within the list's age."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from hookbridge.settings import SUBSCRIPTIONS_MISS_INTERVAL_SECONDS
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.stack import Handler, Stack


@pytest.fixture
def secrets_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every Secrets Manager operation the functions' clients send, by name."""
    calls: Counter[str] = Counter()
    original = boto3.session.Session.client

    def counting_client(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, name, *args, **kwargs)
        if name == "secretsmanager":
            client.meta.events.register(
                "before-call.secrets-manager.*",
                lambda model, **_: calls.update([model.name]),
            )
        return client

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    return calls


def to(subscription: str, secret: dict[str, Any] | None = None) -> dict[str, Any]:
    """A well-formed Zippex request (signed with the demo secret unless told) for a subscription name."""
    event = signed("zippex", "delivery.created", secret)
    event["pathParameters"] = {"subscription": subscription}
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/webhooks/zippex/{subscription}"
    return event


def status(handler: Handler, event: dict[str, Any]) -> int:
    code: int = handler(event, LambdaContext())["statusCode"]
    return code


def zippex(
    ingest_function: Callable[[str], Handler], monkeypatch: pytest.MonkeyPatch, **settings: float
) -> Handler:
    for name, value in settings.items():
        monkeypatch.setenv(name.upper(), str(value))
    return ingest_function("zippex")


def test_three_hundred_invented_names_cost_no_secret_read(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    monkeypatch: pytest.MonkeyPatch,
    secrets_calls: Counter[str],
) -> None:
    """The issue's measurement: /webhooks/zippex/tenant-0000 ... tenant-0299 cost 300 GetSecretValue calls."""
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    handler = zippex(ingest_function, monkeypatch)
    started = time.monotonic()
    for n in range(300):
        assert status(handler, to(f"tenant-{n:04d}")) == 404
    elapsed = time.monotonic() - started
    assert secrets_calls["GetSecretValue"] == 0
    # One listing when the instance first needs the names, then at most one per miss interval.
    assert 1 <= secrets_calls["ListSecrets"] <= 1 + elapsed / SUBSCRIPTIONS_MISS_INTERVAL_SECONDS
    assert status(handler, to("demo")) == 200  # the genuine one still gets through
    assert secrets_calls["GetSecretValue"] == 1
    assert stack.items()
    assert all("tenant" not in item["pk"]["S"] for item in stack.items())


def test_a_subscription_created_during_a_flood_is_served_within_the_miss_interval(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    monkeypatch: pytest.MonkeyPatch,
    secrets_calls: Counter[str],
) -> None:
    interval = 0.5  # the deployed default is 10 s: the same rule, a shorter wait for the test
    handler = zippex(ingest_function, monkeypatch, subscriptions_miss_interval_seconds=interval)
    flood = iter(range(1_000_000))
    assert status(handler, to("new")) == 404  # the instance has listed: "new" does not exist yet
    stack.add_secret("zippex", "new", demo_secret("zippex"))
    created = time.monotonic()
    while True:
        assert status(handler, to(f"invented-{next(flood)}")) == 404
        if status(handler, to("new")) == 200:
            break
        assert time.monotonic() - created < interval + 1.0, "not served within the miss interval"
    elapsed = time.monotonic() - created
    assert secrets_calls["ListSecrets"] <= 2 + elapsed / interval
    assert secrets_calls["GetSecretValue"] == 1  # the new subscription's secret, once


def test_a_deleted_subscription_is_refused_within_the_lists_age(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    monkeypatch: pytest.MonkeyPatch,
    secrets_calls: Counter[str],
) -> None:
    max_age = 1.0  # the deployed default is 60 s
    stack.add_secret("zippex", "old", demo_secret("zippex"))
    handler = zippex(ingest_function, monkeypatch, subscriptions_max_age_seconds=max_age)
    assert status(handler, to("old")) == 200
    # `hookbridge subscriptions delete zippex old --delete-secret`: a 7-day recovery window.
    stack.secrets.delete_secret(SecretId="hookbridge/zippex/old", RecoveryWindowInDays=7)
    deleted = time.monotonic()
    while status(handler, to("old")) != 404:
        assert time.monotonic() - deleted < max_age + 1.0, "still accepted after the list's age"
        time.sleep(0.05)
    reads = secrets_calls["GetSecretValue"]
    for _ in range(50):
        assert status(handler, to("old")) == 404
    assert secrets_calls["GetSecretValue"] == reads  # refused without reading its secret
