"""The publisher (the events table's stream to the bus), assembled with its AWS clients."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import boto3

from hookbridge.aws.clients import PUBLISHER_CLIENT_CONFIG
from hookbridge.aws.payloads import PayloadStore
from hookbridge.aws.storage import DynamoElementClaims, DynamoPublishProgress
from hookbridge.observability import LambdaHandler, Lazy
from hookbridge.publishing.publisher import Publisher
from hookbridge.publishing.stream import build_publisher_handler
from hookbridge.settings import PublisherSettings


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

    return Lazy(build)
