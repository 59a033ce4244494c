"""The publisher's handler: the events table's stream records, as a batch, onto the bus."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookbridge.errors import Unavailable
from hookbridge.metrics import Metric
from hookbridge.model import StoredEvent, is_publishable
from hookbridge.observability import LambdaHandler, observability, with_lambda_context
from hookbridge.ports import Payloads
from hookbridge.publishing.publisher import Envelope, Publisher, build_envelopes, with_elements
from hookbridge.settings import PublisherSettings

# Seconds of the publisher's timeout kept for recording a large batch's progress after it stops sending.
PUBLISH_TIME_RESERVE_SECONDS = 5.0


def build_publisher_handler(
    settings: PublisherSettings, publisher: Publisher, payloads: Payloads | None = None
) -> LambdaHandler:
    bus = settings.event_bus
    logger, metrics = observability(settings, "publisher")

    @with_lambda_context(logger, settings)
    @metrics.log_metrics(raise_on_empty_metrics=False)  # type: ignore[untyped-decorator]
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Powertools' batch utility hands records over one at a time; PutEvents takes ten a call and
        # reports failures per entry, so the batch is walked here.
        envelopes: list[Envelope] = []
        undecodable: list[str] = []
        unreadable: list[str] = []
        for record in DynamoDBStreamEvent(event).records:
            sequence = record.dynamodb.sequence_number if record.dynamodb else None
            image = record.raw_event.get("dynamodb", {}).get("NewImage")
            if sequence is None or not is_publishable(record.raw_event.get("eventName", ""), image):
                continue  # the event source mapping filters as is_publishable does: anything else is not ours
            try:
                stored = StoredEvent.from_stream_image(image)
            except (KeyError, TypeError, ValueError):
                logger.exception("stream record is not a stored event", extra={"record": sequence})
                undecodable.append(sequence)
                continue
            if stored.elements_s3_key is not None:
                try:  # a batch's elements too many for its item, beside its body in the payload bucket
                    if payloads is None:
                        raise Unavailable("no payload bucket to read a batch's elements from")
                    stored = with_elements(stored, payloads.get)
                except Unavailable:
                    logger.warning("could not read a batch's elements", extra={"record": sequence})
                    unreadable.append(sequence)
                    break  # Lambda retries from the first failed record: later ones are not attempted
            envelopes += build_envelopes(
                sequence,
                stored,
                prefix=settings.prefix,
                bus=bus,
                table=settings.events_table,
                payload_bucket=settings.payload_bucket,
            )
        # Stop sending with time left to record a large batch's progress (the rest is published from it).
        remaining = context.get_remaining_time_in_millis() / 1000
        deadline = time.monotonic() + remaining - PUBLISH_TIME_RESERVE_SECONDS
        failed = publisher.publish(envelopes, deadline) + undecodable + unreadable
        metrics.add_metric(name=Metric.EVENTS_NOT_PUBLISHED, unit=MetricUnit.Count, value=len(failed))
        # Accepted webhooks are counted here, per provider and once per batch, not per request on the
        # ingest functions' warm path.
        not_published = set(failed)
        published = Counter(e.provider for e in envelopes if e.record_id not in not_published)
        for provider_name, count in sorted(published.items()):
            # One EMF record per provider (a record has one set of dimension values). Not single_metric:
            # it prints even when POWERTOOLS_METRICS_DISABLED is set.
            per_provider = EphemeralMetrics(namespace=metrics.namespace, service=metrics.service)
            per_provider.add_dimension(name="provider", value=provider_name)
            per_provider.add_metric(name=Metric.EVENTS_PUBLISHED, unit=MetricUnit.Count, value=count)
            per_provider.flush_metrics()
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    return handler
