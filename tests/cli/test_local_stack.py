"""The local stack in this process, as `hookbridge dev` runs it: its DynamoDB keeps DynamoDB's guarantees,
and it stops promptly."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
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
from tests.support.events import signed

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


def test_a_webhook_is_stored_while_the_local_aws_is_slower_than_aws_ever_is(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local AWS shares this machine's CPU with the functions and whatever load is sent: a busy laptop,
    or CI, makes moto answer in seconds where DynamoDB answers in milliseconds. Functions read in 1 s in
    AWS; here a 1.5 s write was answered 503 (twice timed out), and `hookbridge load` called that a bug."""
    write = Table.put_item

    def slow_put(table: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if item_attrs["pk"]["S"].startswith("zippex#"):
            time.sleep(1.5)
        return write(table, item_attrs, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", slow_put)
    event = signed("zippex", "delivery.created")
    request = urllib.request.Request(  # noqa: S310 - the local stack
        f"{local_stack.base_url}{event['rawPath']}",
        data=event["body"].encode(),
        method="POST",
        headers={k: v for k, v in event["headers"].items() if k != "host"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert json.loads(response.read())["status"] == "accepted"
