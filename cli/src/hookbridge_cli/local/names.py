"""Names, ports and AWS settings of the local stack, light enough for every command to import (the stack
itself, with moto's server, is imported only by `hookbridge dev`)."""

from __future__ import annotations

from dataclasses import dataclass

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
