"""Names and settings of the local stack, light enough for every command to import (the stack itself,
with moto's server, is imported only by `hookbridge dev`)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsLambdaContext

PREFIX = "hookbridge"
REGION = "eu-west-1"
DEMO_SUBSCRIPTION = "demo"
AWS_PORT = 5005
HTTP_PORT = 3000


@dataclass(frozen=True)
class LocalNames:
    events_table: str = f"{PREFIX}-events"
    subscriptions_table: str = f"{PREFIX}-subscriptions"
    bus: str = PREFIX
    dead_letter_queue: str = f"{PREFIX}-publisher-dlq"
    tap_queue: str = f"{PREFIX}-dev-tap"
    payload_bucket: str = f"{PREFIX}-payloads"


LOCAL = LocalNames()


def local_environment(aws_port: int) -> dict[str, str]:
    """What a process needs to talk to the local stack with boto3."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # botocore >= 1.40 sends DynamoDB Streams calls to an account endpoint moto does not serve.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }


@dataclass(frozen=True)
class Running:
    """Where a running `hookbridge dev` listens, so that `--local` commands find it whatever ports it took."""

    pid: int
    aws_port: int
    http_port: int
    state_dir: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def home() -> Path:
    """Where `hookbridge dev` says it is running: $HOOKBRIDGE_HOME, else $XDG_STATE_HOME/hookbridge."""
    if explicit := os.environ.get("HOOKBRIDGE_HOME"):
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "hookbridge"


def announce(running: Running) -> None:
    home().mkdir(parents=True, exist_ok=True)
    temporary = home() / f"dev.json.{running.pid}"
    temporary.write_text(json.dumps(asdict(running)))
    temporary.replace(home() / "dev.json")


def withdraw(pid: int) -> None:
    """Removes the announcement if it is this process's (a second `dev` that failed must not remove it)."""
    found = running_dev()
    if found is not None and found.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            (home() / "dev.json").unlink()


def running_dev() -> Running | None:
    """The running `hookbridge dev`, or None (none announced, or its process is gone)."""
    try:
        running = Running(**json.loads((home() / "dev.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(running.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return running


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
