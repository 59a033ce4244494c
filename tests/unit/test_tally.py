"""Issue 22: a flood of forged requests costs no log line and no metric line per request. The ingest
functions' counts are printed together at most once an interval per instance (the first after a quiet
interval at once, our 5xx at once), with the latest reason of each refused status; nothing counted is lost
while the instance lives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.metrics import EphemeralMetrics

from hookbridge.ingest.tally import MetricTally
from hookbridge.metrics import Metric


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_flood_prints_one_line_an_interval_and_loses_no_count(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    tally = MetricTally(EphemeralMetrics(namespace="hookbridge", service="ingest-zippex"), 60, clock)
    for i in range(10_000):  # 10,000 forged requests over 100 s
        clock.now = i * 0.01
        tally.add(Metric.WEBHOOK_NOT_FOUND if i % 2 else Metric.WEBHOOK_REJECTED, 404 if i % 2 else 401, "x")
        tally.print_if_due()
    clock.now = 120.0
    tally.print_if_due()
    printed = lines(capsys)
    assert len(printed) == 3  # at 0 s (the first, at once), at 60 s, at 120 s
    assert sum(sum(line.get("Webhook404", [0])) for line in printed) == 5_000
    assert sum(sum(line.get("WebhookRejected", [0])) for line in printed) == 5_000
    assert printed[1]["reasons"] == {"401": "x", "404": "x"}
    assert printed[1]["service"] == "ingest-zippex"


def test_a_failure_of_ours_is_printed_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    tally = MetricTally(EphemeralMetrics(namespace="hookbridge", service="ingest-zippex"), 60, clock)
    tally.add(Metric.WEBHOOK_REJECTED, 401, "signature")
    tally.print_if_due()
    clock.now = 1.0
    tally.add(Metric.WEBHOOK_REJECTED, 401, "signature")
    tally.print_if_due()  # within the interval: kept
    tally.add(Metric.WEBHOOK_UNAVAILABLE, 503, "secrets manager failed: ThrottlingException")
    tally.print_if_due()
    first, second = lines(capsys)
    assert first["WebhookRejected"] == [1.0]
    assert second["Webhook503"] == [1.0]
    assert second["WebhookRejected"] == [1.0]  # what waited goes with it


def test_nothing_is_printed_without_a_count(capsys: pytest.CaptureFixture[str]) -> None:
    tally = MetricTally(EphemeralMetrics(namespace="hookbridge", service="ingest-zippex"), 60, Clock())
    tally.print_if_due()
    assert capsys.readouterr().out == ""


def _zippex_handler(log_level: str, exists: bool) -> Any:
    from hookbridge import providers
    from hookbridge.aws.secrets import SecretStore
    from hookbridge.ingest.handler import build_ingest_handler
    from tests.support.fakes import MemorySecrets, MemoryStore
    from tests.support.settings import ingest_settings

    class Known:
        def exists(self, subscription: str) -> bool:
            return exists

    from hookbridge.aws.known_subscriptions import KnownSubscriptionSecrets

    secrets = KnownSubscriptionSecrets(Known(), SecretStore(MemorySecrets(), "hookbridge", 300, 30))  # type: ignore[arg-type]
    return build_ingest_handler(
        providers.load("zippex"), ingest_settings("zippex", LOG_LEVEL=log_level), secrets, MemoryStore()
    )


@pytest.mark.parametrize(("exists", "status"), [(False, 404), (True, 401)])
def test_forged_requests_write_no_line_each_at_info(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, exists: bool, status: int
) -> None:
    """Invented names (404) and bad signatures on a real subscription (401): a hundred of them print one
    metric line (the first, at once) and no log line; DEBUG still logs each with its reason."""
    from tests.support.events import LambdaContext, signed

    handler = _zippex_handler("INFO", exists)
    capsys.readouterr()
    for n in range(100):
        event = signed("zippex", "delivery.created", {"signing_secrets": ["not-the-secret"]})
        event["pathParameters"] = {"subscription": "demo" if exists else f"tenant-{n:04d}"}
        event["rawPath"] = event["requestContext"]["http"]["path"] = (
            f"/webhooks/zippex/{event['pathParameters']['subscription']}"
        )
        assert handler(event, LambdaContext())["statusCode"] == status
    printed = lines(capsys)
    assert [line for line in printed if "_aws" not in line] == []
    assert len(printed) == 1
    assert not [r for r in caplog.records if r.levelno >= 20]  # no log line at INFO or above

    handler = _zippex_handler("DEBUG", exists)
    capsys.readouterr()
    event = signed("zippex", "delivery.created", {"signing_secrets": ["not-the-secret"]})
    event["pathParameters"] = {"subscription": "demo" if exists else "tenant-x"}
    assert handler(event, LambdaContext())["statusCode"] == status
    [logged] = [r for r in caplog.records if r.getMessage() == "webhook refused"]
    assert logged.__dict__["status"] == status
