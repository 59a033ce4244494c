"""The real functions, run through every outcome that emits a metric, print only metrics of the catalogue
(hookbridge/metrics.py) with its dimensions, and each metric of the catalogue is really printed by one of
them. tests/template/test_dashboard.py holds the catalogue equal to what the dashboard and alarms chart."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.exceptions import BadRequestError

from hookbridge.aws.registry import SubscriptionRegistry
from hookbridge.ingest.pipeline import IngestPipeline
from hookbridge.metrics import DIMENSIONS, FROM_ACCESS_LOG, Metric
from hookbridge.subscription import Subscription
from tests.support.events import LambdaContext, demo_secret, signed
from tests.support.functions import load_function
from tests.support.stack import EVENTS_TABLE, PREFIX, SUBSCRIPTIONS_TABLE, Handler, Stack

Emitted = set[tuple[str, str, frozenset[str]]]


def emitted(printed: str) -> Emitted:
    """(namespace, metric, dimension names) of every EMF record printed."""
    found: Emitted = set()
    for line in printed.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], frozenset(dimensions)))
    return found


def status(handler: Handler, event: dict[str, Any]) -> int:
    code: int = handler(event, LambdaContext())["statusCode"]
    return code


def test_every_outcome_emits_catalogue_metrics_only_and_every_catalogue_metric_is_emitted(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    publisher_handler: Handler,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack.add_secret("zippex", "demo", demo_secret("zippex"))
    # Every invocation prints what it counted (the deployed interval, 60 s, gathers a flood's counts into one
    # line: tests/unit/test_tally.py): each outcome's metric shows here.
    monkeypatch.setenv("METRICS_INTERVAL_SECONDS", "0")
    zippex = ingest_function("zippex")
    capsys.readouterr()

    # Ingest: accepted, duplicate, forged, unknown path, too large.
    event = signed("zippex", "delivery.delivered")
    assert status(zippex, event) == 200
    assert status(zippex, event) == 200  # the duplicate
    forged = signed("zippex", "delivery.created")
    assert not forged.get("isBase64Encoded")
    forged["body"] += " "
    assert status(zippex, forged) == 401
    assert status(zippex, {**signed("zippex", "delivery.created"), "rawPath": "/webhooks/nowhere"}) == 404
    assert status(zippex, {**signed("zippex", "delivery.created"), "body": "x" * 4_000_001}) == 413

    # The publisher, over what was stored.
    assert publisher_handler(stack.stream_event(), LambdaContext()) == {"batchItemFailures": []}

    # The scheduled health check.
    SubscriptionRegistry(stack.dynamodb, SUBSCRIPTIONS_TABLE).create(
        Subscription(provider="zippex", subscription="demo")
    )
    queue_url = stack.sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue_url)
    monkeypatch.setenv("SUBSCRIPTIONS_TABLE", SUBSCRIPTIONS_TABLE)
    health = load_function("HealthFunction").handler
    assert health({"source": "aws.events", "detail": {}}, LambdaContext())["checked"] == 1

    # Ingest failures: the table gone (503), a bug (500), a Powertools refusal of another status.
    stack.dynamodb.delete_table(TableName=EVENTS_TABLE)
    assert status(zippex, signed("zippex", "delivery.failed")) == 503

    def bug(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(IngestPipeline, "handle", bug)
    assert status(zippex, signed("zippex", "delivery.failed")) == 500

    def bad_request(*_: Any) -> None:
        raise BadRequestError("refused by Powertools")

    monkeypatch.setattr(IngestPipeline, "handle", bad_request)
    assert status(zippex, signed("zippex", "delivery.failed")) == 400

    printed = emitted(capsys.readouterr().out)
    # What a metric filter of the template counts from the access log is printed by no function (see
    # tests/template/test_dashboard.py for that filter).
    catalogue = {(PREFIX, m.value, DIMENSIONS[m]) for m in Metric if m not in FROM_ACCESS_LOG}
    assert sorted(printed - catalogue) == [], "emitted, not in hookbridge/metrics.py"
    assert sorted(catalogue - printed) == [], "in the catalogue, never emitted by these runs"
