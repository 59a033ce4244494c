"""The health check's handler: one run of the checker, and the count of unhealthy subscriptions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookbridge.health.checker import HealthChecker, summary
from hookbridge.metrics import Metric
from hookbridge.observability import LambdaHandler, observability, with_lambda_context
from hookbridge.settings import HealthSettings


def build_health_handler(settings: HealthSettings, checker: HealthChecker) -> LambdaHandler:
    logger, metrics = observability(settings, "health")

    @with_lambda_context(logger, settings)
    @metrics.log_metrics(raise_on_empty_metrics=False)  # type: ignore[untyped-decorator]
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        result = summary(checker.run())
        metrics.add_metric(
            name=Metric.UNHEALTHY_SUBSCRIPTIONS, unit=MetricUnit.Count, value=result["unhealthy"]
        )
        return result

    return handler
