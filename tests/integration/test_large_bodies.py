"""Bodies larger than a DynamoDB item: stored in the payload bucket, published as an S3 payload_ref."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.exceptions import EndpointConnectionError

from hookbridge.aws.payloads import PayloadStore
from hookbridge.aws.secrets import SecretStore
from hookbridge.aws.storage import DynamoEventStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.model import StoredEvent
from hookbridge.providers import load
from hookbridge.settings import IngestSettings
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.stack import EVENTS_TABLE, PAYLOAD_BUCKET, PREFIX, Handler, Stack

ONE_MB = json.dumps({"id": "evt_large", "type": "delivery.created", "data": {"proof": "p" * 1_000_000}})


def objects(stack: Stack) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=PAYLOAD_BUCKET).get("Contents", [])]
    return {k: s3.get_object(Bucket=PAYLOAD_BUCKET, Key=k)["Body"].read() for k in keys}


def test_a_large_body_is_stored_apart_and_published_as_a_reference(
    stack: Stack, zippex_handler: Handler, publisher_handler: Handler, invoke: Any
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    event = signed("zippex", "delivery.created", body=ONE_MB)
    first = json.loads(invoke(zippex_handler, event)["body"])
    assert first["status"] == "accepted"
    assert json.loads(invoke(zippex_handler, event)["body"]) == {"status": "duplicate", "id": first["id"]}

    [item] = stack.items()
    assert "payload" not in item
    assert "payload_deflate" not in item
    key = item["payload_s3_key"]["S"]
    assert key.startswith("zippex/demo/")
    assert objects(stack) == {key: ONE_MB.encode()}  # whole, and the duplicate's copy is gone

    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    [message] = stack.bus_messages()
    assert message["detail"]["data"] is None
    assert message["detail"]["metadata"]["payload_ref"] == {
        "store": "s3",
        "bucket": PAYLOAD_BUCKET,
        "key": key,
    }
    assert (
        message["detail"]["metadata"]["payload_sha256"] == StoredEvent.from_stream_image(item).payload_sha256
    )


def _handler(stack: Stack, s3: Any | None) -> Handler:
    settings = IngestSettings.from_environ({**stack.environ, "PROVIDER": "zippex"})
    secrets = SecretStore(SecretsProvider(boto3_client=boto3.client("secretsmanager")), PREFIX, 300, 30)
    payloads = PayloadStore(lambda: s3, PAYLOAD_BUCKET) if s3 is not None else None
    return build_ingest_handler(
        load("zippex"),
        settings,
        secrets,
        DynamoEventStore(boto3.client("dynamodb"), EVENTS_TABLE),
        None,
        payloads,
    )


def test_without_a_payload_bucket_a_large_body_is_413_not_lost_silently(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    response = _handler(stack, None)(signed("zippex", "delivery.created", body=ONE_MB), LambdaContext())
    assert response["statusCode"] == 413
    assert stack.items() == []


def test_payload_bucket_down_is_503_and_nothing_points_at_nothing(stack: Stack) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    s3 = boto3.client("s3")

    def down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3")

    s3.meta.events.register("before-send.s3.PutObject", down)
    response = _handler(stack, s3)(signed("zippex", "delivery.created", body=ONE_MB), LambdaContext())
    assert response["statusCode"] == 503
    assert stack.items() == []


@pytest.mark.parametrize("size", [349_000, 351_000])
def test_the_inline_limit(stack: Stack, zippex_handler: Handler, invoke: Any, size: int) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    body = json.dumps({"id": f"evt_{size}", "type": "delivery.created", "pad": "x" * (size - 60)})
    assert invoke(zippex_handler, signed("zippex", "delivery.created", body=body))["statusCode"] == 200
    [item] = stack.items()
    assert ("payload_s3_key" in item) == (len(body) > 350_000)


def test_a_body_at_the_limit_is_stored_whole(
    stack: Stack, zippex_handler: Handler, publisher_handler: Handler, invoke: Any
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    body = json.dumps({"id": "evt_limit", "type": "delivery.created", "pad": "y" * (4_000_000 - 80)})
    assert len(body) <= 4_000_000
    response = invoke(zippex_handler, signed("zippex", "delivery.created", body=body))
    assert response["statusCode"] == 200
    [stored] = objects(stack).values()
    assert stored == body.encode()
    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    assert len(stack.bus_messages()) == 1


def test_the_s3_client_is_built_only_when_a_body_needs_the_bucket(stack: Stack) -> None:
    """An S3 client is ~100 ms of cold start that almost no container needs."""
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    built: list[Any] = []

    def s3() -> Any:
        built.append(boto3.client("s3"))
        return built[-1]

    settings = IngestSettings.from_environ({**stack.environ, "PROVIDER": "zippex"})
    secrets = SecretStore(SecretsProvider(boto3_client=boto3.client("secretsmanager")), PREFIX, 300, 30)
    store = DynamoEventStore(boto3.client("dynamodb"), EVENTS_TABLE)
    handler = build_ingest_handler(
        load("zippex"), settings, secrets, store, None, PayloadStore(s3, PAYLOAD_BUCKET)
    )
    assert handler(signed("zippex", "delivery.created"), LambdaContext())["statusCode"] == 200
    assert built == []
    large = signed("zippex", "delivery.created", body=ONE_MB)
    for _ in range(2):
        assert handler(large, LambdaContext())["statusCode"] == 200
    assert len(built) == 1
