"""Names, ports and AWS settings of the local stack, light enough for every command to import (the stack
itself, with moto's server, is imported only by `hookbridge dev`)."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "hookbridge"
REGION = "eu-west-1"
AWS_PORT = 5005
HTTP_PORT = 3000
# The local functions list their sender's subscriptions more often than the deployed ones (moto's listing
# costs nothing): a subscription made by `hookbridge subscriptions create --local` is served within a second,
# a deleted one refused within five.
LOCAL_SUBSCRIPTIONS_MISS_INTERVAL_SECONDS = 1
LOCAL_SUBSCRIPTIONS_MAX_AGE_SECONDS = 5
# How long the local functions wait for each answer of the local AWS (1 s in AWS): an AWS call's two
# attempts stay inside `send`'s 15 s, and stopping waits for invocations in progress twice this long.
LOCAL_READ_TIMEOUT_SECONDS = 5


def local_function_environment() -> dict[str, str]:
    """What the local stack's ingest functions get on top of the template's environment."""
    return {
        "SUBSCRIPTIONS_MISS_INTERVAL_SECONDS": str(LOCAL_SUBSCRIPTIONS_MISS_INTERVAL_SECONDS),
        "SUBSCRIPTIONS_MAX_AGE_SECONDS": str(LOCAL_SUBSCRIPTIONS_MAX_AGE_SECONDS),
        # moto on a busy laptop or CI answers in seconds at times; a 503 for it is no finding of a load run.
        "LOCAL_READ_TIMEOUT_SECONDS": str(LOCAL_READ_TIMEOUT_SECONDS),
    }


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
