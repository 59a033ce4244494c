"""The ingest function behind the local stack's write limit (hookbridge_cli.local.throttle): DynamoDB's real
throttle reaches the real client, botocore retries it inside the function (the warm path's 2 attempts), then
the provider is answered 503 with Retry-After, nothing is stored, and the delivery sent again once the table
takes writes is accepted once. `hookbridge load --write-limit` runs the same through `hookbridge dev`
(tests/cli/test_load.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.retries import standard
from hookbridge_cli.local.throttle import CONTROL_PATH, WriteLimits
from moto.core.models import botocore_stubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app

from hookbridge import providers
from hookbridge.aws.clients import WARM_PATH_DYNAMODB_CONFIG
from hookbridge.aws.secrets import SecretStore
from hookbridge.aws.storage import DynamoEventStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.settings import IngestSettings
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.stack import EVENTS_TABLE, PREFIX, Stack


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> WriteLimits:
    """moto's server application behind the write limit, as `hookbridge dev` serves it (in-process here)."""
    # botocore's backoff between attempts (up to 1 s, then 2 s) changes nothing here but the test's time.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    return WriteLimits(DomainDispatcherApplication(create_backend_app), EVENTS_TABLE, clock)


def _dynamodb_through(limits: WriteLimits) -> Any:
    """The warm path's own client configuration, its requests sent to ``limits`` (and moto's server behind
    it, which shares the mock's state) instead of moto's in-process mock."""
    dynamodb = boto3.client("dynamodb", config=WARM_PATH_DYNAMODB_CONFIG)

    def through_limit(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        parts = urlsplit(request.url)
        environ = EnvironBuilder(
            method=request.method, path=parts.path or "/", headers=headers, data=request.body
        ).get_environ()
        environ["HTTP_HOST"] = parts.netloc
        body, status, answered = run_wsgi_app(limits, environ)
        return AWSResponse(request.url, int(status.split()[0]), dict(answered), _Raw(b"".join(body)))

    # Every handler of before-send runs: the mock's must not answer (and store) these requests too.
    dynamodb.meta.events.unregister("before-send", botocore_stubber)
    dynamodb.meta.events.register("before-send.dynamodb", through_limit)
    return dynamodb


def _handler(stack: Stack, dynamodb: Any) -> Any:
    settings = IngestSettings.from_environ({**stack.environ, "PROVIDER": "zippex"})
    secrets = SecretStore(
        SecretsProvider(boto3_client=boto3.client("secretsmanager")),
        prefix=PREFIX,
        max_age_seconds=300,
        not_found_max_age_seconds=30,
    )
    return build_ingest_handler(
        providers.load("zippex"), settings, secrets, DynamoEventStore(dynamodb, EVENTS_TABLE)
    )


def test_past_the_limit_the_function_retries_answers_503_and_the_delivery_sent_again_is_accepted_once(
    stack: Stack, limits: WriteLimits, clock: Clock
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    control = Client(limits)
    assert control.put(CONTROL_PATH + "demo", json={"writes_per_second": 1}).status_code == 200
    handler = _handler(stack, _dynamodb_through(limits))

    def deliver(number: int) -> dict[str, Any]:
        body = json.loads(signed("zippex", "delivery.delivered")["body"])
        body["id"] = f"evt_throttle_{number}"
        return handler(signed("zippex", "delivery.delivered", body=json.dumps(body)), LambdaContext())

    first = deliver(1)
    assert (first["statusCode"], json.loads(first["body"])["status"]) == (
        200,
        "accepted",
    )  # the one write's worth
    throttled = deliver(2)
    assert throttled["statusCode"] == 503
    assert throttled["headers"]["Retry-After"] == "30"
    # The function tried twice (WARM_PATH_CLIENT_CONFIG), each throttled; nothing of it was stored.
    assert control.get(CONTROL_PATH + "demo").get_json() == {
        "writes_per_second": 1.0,
        "writes": 3,
        "throttled": 2,
    }
    assert [item["pk"]["S"] for item in stack.items()] == ["zippex#demo#id#evt_throttle_1"]

    clock.now += 1  # the table takes a write again: the provider's retry
    again = deliver(2)
    assert (again["statusCode"], json.loads(again["body"])["status"]) == (200, "accepted")
    clock.now += 1  # a conditional write that fails is a write too: a further delivery waits its turn
    duplicate = deliver(2)
    assert (duplicate["statusCode"], json.loads(duplicate["body"])) == (
        200,
        json.loads(again["body"]) | {"status": "duplicate"},
    )
    assert sorted(item["pk"]["S"] for item in stack.items()) == [
        "zippex#demo#id#evt_throttle_1",
        "zippex#demo#id#evt_throttle_2",
    ]
