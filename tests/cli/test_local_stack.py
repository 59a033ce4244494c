"""The local stack in this process, as `hookbridge dev` runs it: its DynamoDB keeps DynamoDB's guarantees,
and it stops promptly."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hookbridge_cli.local.atomic_writes import CONDITIONAL_WRITES
from hookbridge_cli.local.names import local_environment
from hookbridge_cli.local.stack import LocalStack
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_api._internal.models import moto_api_backend

from tests.cli.conftest import free_port

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


@pytest.fixture
def local_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """A running stack; what it changes in this process (its AWS settings, moto's writes and accounts)
    undone after. moto keeps its accounts in the process, as `hookbridge dev` keeps one stack per process."""
    aws_port = free_port()
    for name, value in {**local_environment(aws_port), "POWERTOOLS_METRICS_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in CONDITIONAL_WRITES:
        monkeypatch.setattr(DynamoDBBackend, name, getattr(DynamoDBBackend, name))
    stack = LocalStack(aws_port=aws_port, http_port=free_port(), providers=["zippex"])
    moto_api_backend.reset()
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        moto_api_backend.reset()


def test_two_deliveries_of_one_event_at_once_store_it_once(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writes read "no item" before either writes, as two invocations at once can: one must fail its
    condition, as in DynamoDB. moto checks and writes in two steps, and both were accepted."""
    both_read = threading.Barrier(2, timeout=1)  # broken (not waited out) when the other write is held back
    read = Table.get_item

    def get_item(table: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        found = read(table, hash_key, *args, **kwargs)
        if str(hash_key.value).startswith("race#"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()
        return found

    monkeypatch.setattr(Table, "get_item", get_item)
    answers: list[str] = []

    def put(delivery: str) -> None:
        try:
            boto3.client("dynamodb").put_item(
                TableName=local_stack.names.events_table,
                Item={"pk": {"S": "race#one-event"}, "id": {"S": delivery}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            answers.append("accepted")
        except ClientError as exc:
            answers.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=put, args=(d,)) for d in ("first", "retry")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(answers) == ["ConditionalCheckFailedException", "accepted"]


def test_stopping_does_not_wait_for_the_local_aws_to_stop_by_itself(local_stack: LocalStack) -> None:
    # stop() waited for moto's server thread (which serves until shut down) for its whole 5 s join timeout
    # before shutting it down: every Ctrl-C of `hookbridge dev` took 5 s more.
    began = time.monotonic()
    local_stack.stop()
    assert time.monotonic() - began < 5
