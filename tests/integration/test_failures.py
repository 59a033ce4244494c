"""When AWS fails, the provider gets a retryable answer and nothing is acknowledged."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from hookbridge import providers
from hookbridge.aws.secrets import SecretStore
from hookbridge.aws.storage import DynamoEventStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.settings import IngestSettings
from tests.support.events import LambdaContext, demo_secret, sample_names, signed
from tests.support.stack import EVENTS_TABLE, PREFIX, Handler, Stack


def _handler(stack: Stack, dynamodb: Any, secretsmanager: Any | None = None) -> Handler:
    settings = IngestSettings.from_environ({**stack.environ, "PROVIDER": "zippex"})
    secrets = SecretStore(
        SecretsProvider(boto3_client=secretsmanager or boto3.client("secretsmanager")),
        prefix=PREFIX,
        max_age_seconds=300,
        not_found_max_age_seconds=30,
    )
    return build_ingest_handler(
        providers.load("zippex"), settings, secrets, DynamoEventStore(dynamodb, EVENTS_TABLE)
    )


def _event() -> dict[str, Any]:
    return signed("zippex", "delivery.delivered")


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "InternalServerError", "ThrottlingException"]
)
def test_dynamodb_errors_give_503_and_store_nothing(stack: Stack, code: str) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    dynamodb = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "put_item", code, http_status_code=500 if code == "InternalServerError" else 400
        )
        response = _handler(stack, dynamodb)(_event(), LambdaContext())
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "30"
    assert json.loads(response["body"]) == {"message": "Service unavailable, retry later"}
    assert stack.items() == []


def test_dynamodb_timeout_gives_503(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    dynamodb = boto3.client("dynamodb", config=Config(retries={"total_max_attempts": 2}))

    def timeout(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

    dynamodb.meta.events.register("before-send.dynamodb.PutItem", timeout)
    assert _handler(stack, dynamodb)(_event(), LambdaContext())["statusCode"] == 503
    assert stack.items() == []


def test_secrets_manager_failure_gives_503_not_404(stack: Stack) -> None:
    secretsmanager = boto3.client("secretsmanager", config=Config(retries={"total_max_attempts": 1}))
    with Stubber(secretsmanager) as stub:
        stub.add_client_error("get_secret_value", "InternalServiceError", http_status_code=500)
        response = _handler(stack, boto3.client("dynamodb"), secretsmanager)(_event(), LambdaContext())
    assert response["statusCode"] == 503
    assert stack.items() == []


def all_logs(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Every log line, as printed and as records (with their extra fields)."""
    captured = capsys.readouterr()
    records = "\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    return captured.out + captured.err + records


def test_malformed_secret_gives_503_and_does_not_log_it(
    stack: Stack, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stack.secrets.create_secret(
        Name=f"{PREFIX}/zippex/demo", SecretString='{"signing_secrets": "whsec_leak"}'
    )
    response = _handler(stack, boto3.client("dynamodb"))(_event(), LambdaContext())
    assert response["statusCode"] == 503
    logged = all_logs(capsys, caplog)
    assert "subscription secret is malformed" in logged
    assert "whsec_leak" not in logged


def test_no_secret_signature_or_payload_in_any_log_line(
    stack: Stack,
    zippex_handler: Handler,
    publisher_handler: Handler,
    invoke: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything every library logs, at every level
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    events = [signed("zippex", n) for n in sample_names("zippex")]
    forged = signed("zippex", "delivery.created", {"signing_secrets": ["whsec_forger"]})
    for event in [*events, events[0], forged]:
        invoke(zippex_handler, event)
    invoke(publisher_handler, stack.stream_event())

    logged = all_logs(capsys, caplog)
    assert "webhook accepted" in logged  # we did capture the functions' logs
    forbidden = [
        demo_secret("zippex")["signing_secrets"][0],
        "whsec_forger",
        "Coastal Bites",
        "Jane Smith",
        "2085 Main St",
    ]
    forbidden += [e["headers"]["zippex-signature"].split("v1=")[1] for e in [*events, forged]]
    for text in forbidden:
        assert text not in logged


class SecretsManagerSwitch:
    """Counts GetSecretValue calls and can make Secrets Manager unreachable, on a real (moto) client."""

    def __init__(self) -> None:
        self.client = boto3.client("secretsmanager", config=Config(retries={"total_max_attempts": 1}))
        self.calls = 0
        self.down = False
        self.client.meta.events.register("before-send.secrets-manager.GetSecretValue", self._before_send)

    def _before_send(self, **_: Any) -> None:
        self.calls += 1
        if self.down:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.eu-west-1.amazonaws.com")


def test_a_rotated_secret_is_picked_up_without_a_cold_start(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", {"signing_secrets": ["whsec_old"]})
    switch = SecretsManagerSwitch()
    handler = _handler(stack, boto3.client("dynamodb"), switch.client)
    old = signed("zippex", "delivery.created", {"signing_secrets": ["whsec_old"]})
    assert handler(old, LambdaContext())["statusCode"] == 200  # caches ["whsec_old"]

    stack.secrets.put_secret_value(
        SecretId=f"{PREFIX}/zippex/demo", SecretString='{"signing_secrets": ["whsec_new"]}'
    )
    new = signed("zippex", "delivery.picked_up", {"signing_secrets": ["whsec_new"]})
    assert handler(new, LambdaContext())["statusCode"] == 200
    assert switch.calls == 2  # the first fetch, and one refresh when the cached secret failed


def test_forged_requests_cost_at_most_one_secrets_manager_call_per_interval(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    switch = SecretsManagerSwitch()
    handler = _handler(stack, boto3.client("dynamodb"), switch.client)
    forged = signed("zippex", "delivery.created", {"signing_secrets": ["whsec_forger"]})
    for _ in range(50):
        assert handler(forged, LambdaContext())["statusCode"] == 401
    assert switch.calls == 2  # the first fetch and a single refresh
    assert stack.items() == []


def test_secrets_manager_down_with_a_warm_cache_still_accepts(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    switch = SecretsManagerSwitch()
    handler = _handler(stack, boto3.client("dynamodb"), switch.client)
    assert handler(signed("zippex", "delivery.created"), LambdaContext())["statusCode"] == 200
    switch.down = True
    assert handler(signed("zippex", "delivery.delivered"), LambdaContext())["statusCode"] == 200
    assert len(stack.items()) == 2


def test_secrets_manager_down_with_a_cold_cache_is_503_and_stores_nothing(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    switch = SecretsManagerSwitch()
    switch.down = True
    response = _handler(stack, boto3.client("dynamodb"), switch.client)(
        signed("zippex", "delivery.created"), LambdaContext()
    )
    assert response["statusCode"] == 503  # the provider retries: nothing is lost
    assert stack.items() == []
