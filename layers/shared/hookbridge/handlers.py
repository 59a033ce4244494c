"""Lambda entry points, assembled from the pieces: the only module that reads the environment and builds
AWS clients. It does so on the first invocation, not at import, so importing a function is free of AWS
and tests can import every entry point."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hookbridge import providers
from hookbridge.aws.known_subscriptions import KnownSubscriptions, KnownSubscriptionSecrets
from hookbridge.aws.payloads import PayloadStore
from hookbridge.aws.rejections import RejectionCounter
from hookbridge.aws.secrets import SecretStore
from hookbridge.aws.storage import DynamoElementClaims, DynamoEventStore, DynamoPublishProgress
from hookbridge.errors import Unavailable
from hookbridge.ingest.http import create_app
from hookbridge.ingest.pipeline import IngestPipeline
from hookbridge.ingest.tally import MetricTally
from hookbridge.metrics import Metric
from hookbridge.model import Provider, StoredEvent, is_publishable
from hookbridge.ports import EventStore, NoRejectionRecorder, Payloads, RejectionRecorder, Secrets
from hookbridge.publishing.publisher import Envelope, Publisher, build_envelopes, with_elements
from hookbridge.settings import FunctionSettings, HealthSettings, IngestSettings, PublisherSettings

if TYPE_CHECKING:
    from hookbridge.health.checker import HealthChecker

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

# A provider waits 5-10 s for an answer (Zencargo 5 s), and the ingest function's timeout is 3 s: fail fast
# and answer 503 rather than be cut off. DynamoDB and Secrets Manager answer in milliseconds, so a second
# without an answer is a hang: two hung attempts, and the backoff between them, end inside the 3 s
# (tests/template/test_schedules.py), and a throttled call is retried once after at most a second.
WARM_PATH_CLIENT_CONFIG = Config(
    connect_timeout=0.4, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}
)
# botocore's standard mode waits a random share of this before a retry: 1 s after throttling, 50 ms after
# anything else (a timeout), 25 ms for DynamoDB (botocore.retries.standard.ExponentialBackoff).
RETRY_BACKOFF_MAX_SECONDS = {"throttled": 1.0, "timed out": 0.05}
# The one PutItem of every webhook: botocore's checking of the request against the API model costs
# ~50 us of a ~400 us call, and the item is built by StoredEvent.to_item, whose types tests pin
# (tests/unit/test_stored_item.py); DynamoDB still rejects a malformed request.
WARM_PATH_DYNAMODB_CONFIG = WARM_PATH_CLIENT_CONFIG.merge(Config(parameter_validation=False))
PUBLISHER_CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
)


# At DEBUG these log whole requests and responses: secret values, webhook payloads and request
# signatures. Our own LOG_LEVEL, or the Lambda application log level, must never turn that on.
SDK_LOGGERS = ("botocore", "boto3", "urllib3")
# Dead-letter messages a health check reads back to name their subscriptions; any beyond degrade everyone.
MAX_DEAD_LETTERS_READ = 100


def _observability(settings: FunctionSettings, service: str) -> tuple[Logger, EphemeralMetrics]:
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    # service "hookbridge": module loggers ("hookbridge.ingest", ...) propagate to this one's handler.
    logger = Logger(service="hookbridge", level=settings.log_level)
    # Powertools applies the level only when it first configures the logger in a process; the local stack
    # and the tests build several functions in one process, each with its own level.
    logger.setLevel(settings.log_level)
    # Which function wrote a line is its function_name, from the Lambda context on every line. (A key
    # appended here would be wiped by the first invocation's clear_state, and in the local stack, where
    # functions share this logger, would name whichever function was built last.)
    # Ephemeral: Powertools' Metrics share one set across every instance in a process, so where several
    # functions run in one process (the local stack, the tests) one would flush another's metrics under
    # its own service, or find the set emptied between its check and its flush.
    metrics = EphemeralMetrics(namespace=settings.metrics_namespace, service=service)
    return logger, metrics


class _InvocationKeys(logging.Filter):
    """Powertools' Lambda context keys (function name, request id, cold start, ...) on every line an
    invocation writes, put on each line as it is written rather than into the logger at each start.

    Powertools' inject_lambda_context does its work at the start of every invocation: ~6 us alone and
    ~12 us in the warm path (bench/warm.py), for lines an accepted webhook never writes. Here an invocation
    costs one context-variable set, and a line the keys Powertools would have given it (its own
    ``build_lambda_context_model``). Per thread: the local stack runs several functions in one process, and
    a line names the invocation of the thread that wrote it, never another's.
    """

    def __init__(self, provisioned: bool) -> None:
        super().__init__()
        self._invocation: ContextVar[tuple[LambdaContext, bool] | None] = ContextVar(
            "invocation", default=None
        )
        # As Powertools: under provisioned concurrency no invocation is a cold start.
        self._cold = not provisioned

    @classmethod
    def of(cls, logger: Logger, settings: FunctionSettings) -> _InvocationKeys:
        """The one filter on the logger's handler (functions built in one process share the handler)."""
        handler = logger.registered_handler
        for existing in handler.filters:
            if isinstance(existing, cls):
                return existing
        keys = cls(provisioned=settings.initialization_type == "provisioned-concurrency")
        handler.addFilter(keys)
        return keys

    def invoked(self, context: LambdaContext) -> None:
        cold_start, self._cold = self._cold, False
        self._invocation.set((context, cold_start))

    def filter(self, record: logging.LogRecord) -> bool:
        invocation = self._invocation.get()
        if invocation is not None:
            context, cold_start = invocation
            # Attributes of the record are keys of the line in Powertools' formatter.
            record.__dict__.update(build_lambda_context_model(context).__dict__, cold_start=cold_start)
        return True


def _with_lambda_context(
    logger: Logger, settings: FunctionSettings
) -> Callable[[LambdaHandler], LambdaHandler]:
    """The Lambda context on every log line of an invocation (``_InvocationKeys``). Never the whole event:
    that holds signatures and payloads."""
    keys = _InvocationKeys.of(logger, settings)

    def decorate(handler: LambdaHandler) -> LambdaHandler:
        @functools.wraps(handler)
        def with_keys(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            keys.invoked(context)
            return handler(event, context)

        return with_keys

    return decorate


def build_ingest_handler(
    provider: Provider,
    settings: IngestSettings,
    secrets: Secrets,
    store: EventStore,
    rejections: RejectionRecorder | None = None,
    payloads: Payloads | None = None,
    clock: Callable[[], float] = time.monotonic,  # the metrics' interval (the bench simulates a flood's)
    wall_clock: Callable[[], float] = time.time,  # what signed timestamps are checked against
) -> LambdaHandler:
    logger, metrics = _observability(settings, f"ingest-{provider.name}")  # service dimension
    counted: RejectionRecorder = rejections or NoRejectionRecorder()
    pipeline = IngestPipeline(
        provider, settings, secrets, store, clock=wall_clock, rejections=counted, payloads=payloads
    )
    tally = MetricTally(metrics, settings.metrics_interval_seconds, clock)
    app = create_app(pipeline, tally)

    @_with_lambda_context(logger, settings)
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


def ingest_handler(
    environ: Mapping[str, str] = os.environ,
    register_before_snapshot: Callable[[Callable[[], None]], object] | None = None,
) -> LambdaHandler:
    """The Lambda handler of an ingest function; PROVIDER names its provider definition.

    Under SnapStart (the IngestSnapStart parameter) everything is built and each AWS client makes one
    round trip before the snapshot, so a restored function serves its first webhook warm.
    """
    warm_ups: list[Callable[[], None]] = []

    def build() -> LambdaHandler:
        settings = IngestSettings.from_environ(environ)
        provider = providers.load(settings.provider)
        session = boto3.session.Session()
        client_config, dynamodb_config = WARM_PATH_CLIENT_CONFIG, WARM_PATH_DYNAMODB_CONFIG
        if settings.local_read_timeout_seconds is not None:  # the local stack's moto, on a busy machine
            patience = Config(read_timeout=settings.local_read_timeout_seconds)
            client_config, dynamodb_config = client_config.merge(patience), dynamodb_config.merge(patience)
        secretsmanager = session.client("secretsmanager", config=client_config)
        # Only names the sender's secrets list reach GetSecretValue: invented ones cost no AWS call.
        secrets = KnownSubscriptionSecrets(
            KnownSubscriptions(
                secretsmanager,
                settings.prefix,
                provider.name,
                max_age_seconds=settings.subscriptions_max_age_seconds,
                miss_interval_seconds=settings.subscriptions_miss_interval_seconds,
            ),
            SecretStore(
                SecretsProvider(boto3_client=secretsmanager),
                prefix=settings.prefix,
                max_age_seconds=settings.secret_max_age_seconds,
                not_found_max_age_seconds=settings.secret_not_found_max_age_seconds,
            ),
        )
        dynamodb = session.client("dynamodb", config=dynamodb_config)
        warm_ups.append(lambda: _round_trips(secretsmanager, dynamodb, settings, provider.name))
        store = DynamoEventStore(dynamodb, settings.events_table)
        rejections = RejectionCounter(
            dynamodb, settings.subscriptions_table, settings.rejection_flush_seconds
        )
        payloads = PayloadStore(lambda: session.client("s3", config=client_config), settings.payload_bucket)
        return build_ingest_handler(provider, settings, secrets, store, rejections, payloads)

    handler = _Lazy(build)
    if environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":

        def before_snapshot() -> None:
            handler.ready()
            for warm_up in warm_ups:
                warm_up()

        (register_before_snapshot or _snapshot_hook_registrar())(before_snapshot)
    return handler


# Not a subscription's secret (subscription names start with a letter or digit), inside the function's own
# secrets prefix so that the IAM policy allows the call: Secrets Manager answers "not found".
SNAPSHOT_WARM_UP_NAME = ".snapstart-warm-up"


def _round_trips(secretsmanager: Any, dynamodb: Any, settings: IngestSettings, provider: str) -> None:
    """One request through each warm-path client before the snapshot: the first call of a botocore client
    loads its service model, credentials, endpoint, signer and parser (~100 ms a restored function would
    pay on its first webhook). Neither call reads a secret nor writes: secret values are kept out of the
    snapshot (it may be restored days later, long after they would have expired from the cache), and the
    item sent is empty, which DynamoDB refuses without writing or charging. Failure only costs warmth."""
    name = f"{settings.prefix}/{provider}/{SNAPSHOT_WARM_UP_NAME}"
    with contextlib.suppress(ClientError, BotoCoreError):
        secretsmanager.get_secret_value(SecretId=name)
    with contextlib.suppress(ClientError, BotoCoreError):
        dynamodb.put_item(TableName=settings.events_table, Item={})


def _snapshot_hook_registrar() -> Callable[[Callable[[], None]], object]:
    # Part of Lambda's Python runtimes (3.12 and later); imported only under SnapStart.
    from snapshot_restore_py import register_before_snapshot  # type: ignore[import-not-found]

    return cast(Callable[[Callable[[], None]], object], register_before_snapshot)


# Seconds of the publisher's timeout kept for recording a large batch's progress after it stops sending.
PUBLISH_TIME_RESERVE_SECONDS = 5.0


def build_publisher_handler(
    settings: PublisherSettings, publisher: Publisher, payloads: Payloads | None = None
) -> LambdaHandler:
    bus = settings.event_bus
    logger, metrics = _observability(settings, "publisher")

    @_with_lambda_context(logger, settings)
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


def publisher_handler(environ: Mapping[str, str] = os.environ) -> LambdaHandler:
    """The Lambda handler of the publisher (the events table's stream)."""

    def build() -> LambdaHandler:
        settings = PublisherSettings.from_environ(environ)
        session = boto3.session.Session()
        client = session.client("events", config=PUBLISHER_CLIENT_CONFIG)
        dynamodb = functools.partial(session.client, "dynamodb")
        progress = DynamoPublishProgress(dynamodb, settings.events_table)
        claims = DynamoElementClaims(dynamodb, settings.events_table)
        payloads = PayloadStore(functools.partial(session.client, "s3"), settings.payload_bucket)
        publisher = Publisher(client, progress=progress, claims=claims)
        return build_publisher_handler(settings, publisher, payloads)

    return _Lazy(build)


def build_health_handler(settings: HealthSettings, checker: HealthChecker) -> LambdaHandler:
    from hookbridge.health.checker import summary

    logger, metrics = _observability(settings, "health")

    @_with_lambda_context(logger, settings)
    @metrics.log_metrics(raise_on_empty_metrics=False)  # type: ignore[untyped-decorator]
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        result = summary(checker.run())
        metrics.add_metric(
            name=Metric.UNHEALTHY_SUBSCRIPTIONS, unit=MetricUnit.Count, value=result["unhealthy"]
        )
        return result

    return handler


def health_handler(environ: Mapping[str, str] = os.environ) -> LambdaHandler:
    """The Lambda handler of the scheduled health check."""

    def build() -> LambdaHandler:
        # Imported here, not at the top: the ingest functions load this module and never need these.
        from hookbridge.aws.registry import SubscriptionRegistry
        from hookbridge.health.checker import HealthChecker, LastEventFinder, ProviderProbes
        from hookbridge.health.provider_api import JsonHttpClient
        from hookbridge.publishing.dead_letters import DeadLetterQueue, StreamRecords, find_culprits

        settings = HealthSettings.from_environ(environ)
        queue_url = settings.dead_letter_queue_url
        session = boto3.session.Session()
        dynamodb = session.client("dynamodb", config=PUBLISHER_CLIENT_CONFIG)
        dead_letters = DeadLetterQueue(session.client("sqs", config=PUBLISHER_CLIENT_CONFIG), queue_url)
        streams = StreamRecords(session.client("dynamodbstreams", config=PUBLISHER_CLIENT_CONFIG))

        checker = HealthChecker(
            registry=SubscriptionRegistry(dynamodb, settings.subscriptions_table),
            last_events=LastEventFinder(dynamodb, settings.events_table, settings.index_shards),
            secrets=SecretStore(
                SecretsProvider(
                    boto3_client=session.client("secretsmanager", config=PUBLISHER_CLIENT_CONFIG)
                ),
                prefix=settings.prefix,
                max_age_seconds=settings.secret_max_age_seconds,
                not_found_max_age_seconds=settings.secret_not_found_max_age_seconds,
            ),
            probes=ProviderProbes(
                http=JsonHttpClient(timeout_seconds=settings.provider_api_timeout_seconds),
                zippex_api_url=settings.zippex_api_url,
                zonos_api_url=settings.zonos_api_url,
                reenable_zonos=settings.reenable_disabled_zonos_webhooks,
            ),
            events=session.client("events", config=PUBLISHER_CLIENT_CONFIG),
            bus=settings.event_bus,
            prefix=settings.prefix,
            metrics_namespace=settings.metrics_namespace,
            find_culprits=lambda: find_culprits(dead_letters, streams, limit=MAX_DEAD_LETTERS_READ),
        )
        return build_health_handler(settings, checker)

    return _Lazy(build)


class _Lazy:
    """A handler built on its first invocation, or by ``ready()`` before a SnapStart snapshot."""

    def __init__(self, build: Callable[[], LambdaHandler]) -> None:
        self._build = build
        self._built: LambdaHandler | None = None

    def ready(self) -> LambdaHandler:
        if self._built is None:
            self._built = self._build()
        return self._built

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return self.ready()(event, context)
