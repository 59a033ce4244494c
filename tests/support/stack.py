"""A moto account with the stack's resources, built from template.yaml: the fixtures of the tests that run the
functions against AWS (integration/, senders/), a pytest plugin tests/conftest.py loads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hookbridge_cli.local.atomic_writes import make_conditional_writes_atomic
from moto import mock_aws

from tests.support import template
from tests.support.events import LambdaContext, stream_event
from tests.support.functions import load_function

PREFIX = "hookbridge"
EVENTS_TABLE = "hookbridge-events"
SUBSCRIPTIONS_TABLE = "hookbridge-subscriptions"
BUS = "hookbridge"
PAYLOAD_BUCKET = "hookbridge-payloads"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Stack:
    dynamodb: Any
    streams: Any
    secrets: Any
    events: Any
    sqs: Any
    queue_url: str
    environ: dict[str, str]

    def add_secret(self, provider: str, subscription: str, value: dict[str, Any]) -> None:
        self.secrets.create_secret(Name=f"{PREFIX}/{provider}/{subscription}", SecretString=json.dumps(value))

    def items(self) -> list[dict[str, Any]]:
        # Every page: one Scan answers at most 1 MB (some 1,100 sample events).
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=EVENTS_TABLE)
        return [item for page in pages for item in page["Items"]]

    def stream_records(self) -> list[dict[str, Any]]:
        arn = self.dynamodb.describe_table(TableName=EVENTS_TABLE)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:  # GetRecords answers at most 1,000 records a call
            page = self.streams.get_records(ShardIterator=iterator)
            records += page["Records"]
            if not page["Records"] or "NextShardIterator" not in page:
                return records
            iterator = page["NextShardIterator"]

    def stream_event(self) -> dict[str, Any]:
        arn = self.dynamodb.describe_table(TableName=EVENTS_TABLE)["Table"]["LatestStreamArn"]
        return stream_event(self.stream_records(), arn)

    def bus_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for m in batch:
                messages.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return messages


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        template.create_table(dynamodb, "EventsTable", EVENTS_TABLE)
        template.create_table(dynamodb, "SubscriptionsTable", SUBSCRIPTIONS_TABLE)
        boto3.client("s3").create_bucket(
            Bucket=PAYLOAD_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        events = boto3.client("events")
        events.create_event_bus(Name=BUS)
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="consumer")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        # A consumer's rule, as docs/consuming.md tells one to write it.
        events.put_rule(
            Name="everything",
            EventBusName=BUS,
            EventPattern=json.dumps({"source": [{"prefix": f"{PREFIX}."}]}),
        )
        events.put_targets(Rule="everything", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
        environ = {
            "HOOKBRIDGE_PREFIX": PREFIX,
            "EVENTS_TABLE": EVENTS_TABLE,
            "SUBSCRIPTIONS_TABLE": SUBSCRIPTIONS_TABLE,
            "PAYLOAD_BUCKET": PAYLOAD_BUCKET,
            "EVENT_BUS": BUS,
            "RETENTION_DAYS": "30",
            "LOG_LEVEL": "DEBUG",
            "POWERTOOLS_METRICS_NAMESPACE": PREFIX,
        }
        yield Stack(
            dynamodb=dynamodb,
            streams=boto3.client("dynamodbstreams"),
            secrets=boto3.client("secretsmanager"),
            events=events,
            sqs=sqs,
            queue_url=queue_url,
            environ=environ,
        )


@pytest.fixture
def invoke() -> Callable[[Handler, dict[str, Any]], dict[str, Any]]:
    def call(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
        return handler(event, LambdaContext())

    return call


@pytest.fixture
def ingest_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Handler]:
    """The real entry point, a sender's ingest function's app.py, configured as the template configures
    that function (a fresh import per sender: Lambda gives each function its own process)."""

    for name, value in stack.environ.items():
        monkeypatch.setenv(name, value)

    def for_provider(provider: str) -> Handler:
        handler: Handler = load_function(template.ingest_function(provider)).handler
        environ = template.function_environment(provider)

        def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
            # Settings are read at the first call; each function has its own variables.
            for name, value in environ.items():
                monkeypatch.setenv(name, value)
            return handler(event, context)

        return call

    return for_provider


@pytest.fixture
def zippex_handler(ingest_function: Callable[[str], Handler]) -> Handler:
    return ingest_function("zippex")


@pytest.fixture
def publisher_handler(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Handler:
    for name, value in stack.environ.items():
        monkeypatch.setenv(name, value)
    handler: Handler = load_function("PublisherFunction").handler
    return handler


@pytest.fixture
def atomic_moto_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Conditional writes as atomic as DynamoDB's (moto checks and writes in two steps), as the local stack
    has them: concurrency tests exercise our code, not moto's race."""
    make_conditional_writes_atomic(monkeypatch.setattr)
