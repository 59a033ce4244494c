"""Sample events from events/ (found from the repository, never the working directory), signed for now."""

from __future__ import annotations

import json
from typing import Any

from hookbridge_cli.local import LambdaContext, lambda_stream_event
from hookbridge_cli.samples import DEMO_SECRET, demo_secret, distinct_payload, load_event, sample_names
from hookbridge_cli.template import EVENTS

from hookbridge import providers
from hookbridge.aws.secrets import SubscriptionSecret
from hookbridge.samples import fresh_event


def signed(
    provider: str,
    name: str,
    secret: dict[str, Any] | None = None,
    now: float | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A sample event authenticated for ``now`` (default: the real clock) with ``secret`` (default: the
    demo secret)."""
    return fresh_event(
        load_event(provider, name),
        providers.load(provider),
        SubscriptionSecret.model_validate(secret if secret is not None else demo_secret(provider)),
        now=now,
        body=body,
    )


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event for stream records as GetRecords returns them (the local stack's own conversion)."""
    return lambda_stream_event(records, stream_arn)


def on_failure_message(stream_arn: str, shard_id: str, records: list[dict[str, Any]]) -> str:
    """What Lambda's on-failure destination sends for a stream batch of ``records`` that ran out of retries
    (the example in the AWS Lambda guide, "services-dynamodb-errors")."""
    info = {
        "shardId": shard_id,
        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
        "approximateArrivalOfFirstRecord": "2026-11-25T00:38:04Z",
        "approximateArrivalOfLastRecord": "2026-11-25T00:38:04Z",
        "batchSize": len(records),
        "streamArn": stream_arn,
    }
    return json.dumps(
        {
            "requestContext": {
                "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
                "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:hookbridge-PublisherFunction",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 9,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": None},
            "version": "1.0",
            "timestamp": "2026-11-25T00:40:06.021Z",
            "DDBStreamBatchInfo": info,
        }
    )


__all__ = [
    "DEMO_SECRET",
    "EVENTS",
    "LambdaContext",
    "demo_secret",
    "distinct_payload",
    "load_event",
    "on_failure_message",
    "sample_names",
    "signed",
    "stream_event",
]
