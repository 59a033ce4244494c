"""An ingest function's handler, from its parts: the pipeline behind the HTTP edge, its metrics and its
rejection counts written as each invocation ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hookbridge.ingest.http import create_app
from hookbridge.ingest.pipeline import IngestPipeline
from hookbridge.ingest.tally import MetricTally
from hookbridge.model import Provider
from hookbridge.observability import LambdaHandler, observability, with_lambda_context
from hookbridge.ports import (
    EventStore,
    NoRejectionRecorder,
    Payloads,
    RejectionRecorder,
    SecretLearner,
    Secrets,
    SubscriptionConfirmer,
)
from hookbridge.settings import IngestSettings


def build_ingest_handler(
    provider: Provider,
    settings: IngestSettings,
    secrets: Secrets,
    store: EventStore,
    rejections: RejectionRecorder | None = None,
    payloads: Payloads | None = None,
    clock: Callable[[], float] = time.monotonic,  # the metrics' interval (the bench simulates a flood's)
    wall_clock: Callable[[], float] = time.time,  # what signed timestamps are checked against
    learner: SecretLearner | None = None,  # senders whose handshake hands their secret over (Asana)
    confirmer: SubscriptionConfirmer | None = None,  # senders whose subscriptions are confirmed (AWS SNS)
) -> LambdaHandler:
    logger, metrics = observability(settings, f"ingest-{provider.name}")  # service dimension
    counted: RejectionRecorder = rejections or NoRejectionRecorder()
    pipeline = IngestPipeline(
        provider,
        settings,
        secrets,
        store,
        clock=wall_clock,
        rejections=counted,
        payloads=payloads,
        learner=learner,
        confirmer=confirmer,
    )
    tally = MetricTally(metrics, settings.metrics_interval_seconds, clock)
    app = create_app(pipeline, tally)

    @with_lambda_context(logger, settings)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return app.resolve(event, context)
        finally:
            # Not log_metrics: an accepted webhook adds no metric (the publisher counts them in batches),
            # and the others are printed together, at most once an interval (MetricTally).
            tally.print_if_due()
            # Every invocation, accepted or refused, writes the rejections counted once their interval is
            # due: a burst is counted when it ends, not when the next rejection comes (RejectionCounter).
            counted.flush_if_due()

    return handler
