"""What Lambda hands the functions the local stack runs in this process: a stream event as the DynamoDB
event source mapping builds it, a context, and the message the mapping's on-failure destination gets."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from hookbridge_cli.local.names import PREFIX, REGION

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext


def lambda_stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event for DynamoDB stream records as GetRecords returns them: boto3 decoded binary values
    to bytes, Lambda delivers them base64-encoded."""

    def wire(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if hasattr(value, "timestamp"):
            return int(value.timestamp())
        raise TypeError(type(value))

    return {
        "Records": [
            {
                "eventID": r["eventID"],
                "eventName": r["eventName"],
                "eventVersion": r.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": json.loads(json.dumps(r["dynamodb"], default=wire)),
                "eventSourceARN": stream_arn,
            }
            for r in records
        ]
    }


@dataclass
class LambdaContext:
    function_name: str = "hookbridge-local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: float = 30.0  # the publisher's, in template.yaml
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def on_failure_message(
    stream_arn: str, shard_id: str, records: list[dict[str, Any]], invocations: int = 9
) -> str:
    """What Lambda's on-failure destination sends for a stream batch of ``records`` (as GetRecords
    returns them) that ran out of retries, in the shape of the AWS Lambda guide's example
    ("services-dynamodb-errors")."""

    def arrival(record: dict[str, Any]) -> str:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        when = created if isinstance(created, datetime) else datetime.now(UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return json.dumps(
        {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:{PREFIX}-PublisherFunction",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": None},
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(records[0]),
                "approximateArrivalOfLastRecord": arrival(records[-1]),
                "batchSize": len(records),
                "streamArn": stream_arn,
            },
        }
    )


def context(function_name: str) -> PowertoolsLambdaContext:
    """A Lambda context for a function run in this process."""
    return cast("PowertoolsLambdaContext", LambdaContext(function_name))
