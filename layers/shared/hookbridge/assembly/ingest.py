"""An ingest function (PROVIDER names its sender's definition), assembled with its AWS clients."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from typing import Any, cast

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hookbridge import providers
from hookbridge.aws.clients import WARM_PATH_CLIENT_CONFIG, WARM_PATH_DYNAMODB_CONFIG
from hookbridge.aws.confirmations import SnsSubscriptions
from hookbridge.aws.known_subscriptions import KnownSubscriptions, KnownSubscriptionSecrets
from hookbridge.aws.payloads import PayloadStore
from hookbridge.aws.rejections import RejectionCounter
from hookbridge.aws.secrets import LearnedSecrets, SecretStore
from hookbridge.aws.storage import DynamoEventStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.observability import LambdaHandler, Lazy
from hookbridge.settings import IngestSettings


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
        # Only a sender whose handshake hands its secret over writes one (its role alone may).
        learner = LearnedSecrets(secretsmanager, settings.prefix) if provider.learning else None
        # Only a sender whose subscriptions are confirmed by a request (AWS SNS) asks its API.
        confirmer = (
            SnsSubscriptions(lambda region, config: session.client("sns", region_name=region, config=config))
            if provider.confirmation is not None
            else None
        )
        return build_ingest_handler(
            provider, settings, secrets, store, rejections, payloads, learner=learner, confirmer=confirmer
        )

    handler = Lazy(build)
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
