"""Sample events from events/ (by path relative to this file, never the working directory)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
DEMO_ZIPPEX_SECRET = "whsec_hookbridge_demo_secret"


def load_event(provider: str, name: str) -> dict[str, Any]:
    return json.loads((EVENTS / provider / f"{name}.json").read_text())


def sample_names(provider: str) -> list[str]:
    return sorted(p.stem for p in (EVENTS / provider).glob("*.json"))


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event for DynamoDB stream records as GetRecords returns them (boto3 decoded binary
    values to bytes; Lambda sends them base64-encoded, as here)."""
    return {
        "Records": [
            {
                "eventID": r["eventID"],
                "eventName": r["eventName"],
                "eventVersion": r.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1",
                "dynamodb": json.loads(json.dumps(r["dynamodb"], default=_wire)),
                "eventSourceARN": stream_arn,
            }
            for r in records
        ]
    }


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "timestamp"):
        return int(value.timestamp())
    raise TypeError(type(value))
