"""The scheduled health check, assembled with its AWS clients and the providers' APIs."""

from __future__ import annotations

import os
from collections.abc import Mapping

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from hookbridge.aws.clients import PUBLISHER_CLIENT_CONFIG
from hookbridge.aws.registry import SubscriptionRegistry
from hookbridge.aws.secrets import SecretStore
from hookbridge.health.checker import HealthChecker, LastEventFinder, ProviderProbes
from hookbridge.health.handler import build_health_handler
from hookbridge.health.provider_api import JsonHttpClient
from hookbridge.observability import LambdaHandler, Lazy
from hookbridge.publishing.dead_letters import DeadLetterQueue, StreamRecords, find_culprits
from hookbridge.settings import HealthSettings

# Dead-letter messages a health check reads back to name their subscriptions; any beyond degrade everyone.
MAX_DEAD_LETTERS_READ = 100


def health_handler(environ: Mapping[str, str] = os.environ) -> LambdaHandler:
    """The Lambda handler of the scheduled health check."""

    def build() -> LambdaHandler:
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

    return Lazy(build)
