"""The local stack in this process, as `hookbridge dev` runs it: its DynamoDB keeps DynamoDB's guarantees,
it is patient with a busy machine, and it stops promptly without losing what it accepted."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hookbridge_cli.local.atomic_writes import LOCKED_OPERATIONS
from hookbridge_cli.local.index_queries import BACKEND_METHODS, TABLE_METHODS
from hookbridge_cli.local.names import local_environment
from hookbridge_cli.local.stack import LocalStack
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.moto_api._internal.models import moto_api_backend

from tests.cli.conftest import free_port
from tests.support.events import signed

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

StartStack = Callable[..., LocalStack]


@pytest.fixture
def start_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[StartStack]:
    """Starts a local stack (Zippex's routes only); what it changes in this process (its AWS settings,
    moto's locks, index queries and accounts, two loggers' levels) is undone after. moto keeps its accounts
    in the process: `hookbridge dev` runs one stack per process, these run one at a time."""
    for owner, names in ((DynamoDBBackend, LOCKED_OPERATIONS + BACKEND_METHODS), (Table, TABLE_METHODS)):
        for name in names:
            monkeypatch.setattr(owner, name, getattr(owner, name))
    levels = {name: logging.getLogger(name).level for name in ("hookbridge", "werkzeug")}
    started: list[LocalStack] = []

    def start(state_dir: Path | None = None) -> LocalStack:
        aws_port = free_port()
        for name, value in {**local_environment(aws_port), "POWERTOOLS_METRICS_DISABLED": "true"}.items():
            monkeypatch.setenv(name, value)
        moto_api_backend.reset()
        stack = LocalStack(
            aws_port=aws_port, http_port=free_port(), providers=["zippex"], state_dir=state_dir
        )
        started.append(stack)
        stack.start()
        return stack

    try:
        yield start
    finally:
        for stack in started:
            stack.stop()
        moto_api_backend.reset()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def post_genuine(stack: LocalStack) -> dict[str, Any]:
    """A signed Zippex delivery to the demo subscription: the answer's JSON."""
    event = signed("zippex", "delivery.created")
    request = urllib.request.Request(  # noqa: S310 - the local stack
        f"{stack.base_url}{event['rawPath']}",
        data=event["body"].encode(),
        method="POST",
        headers={k: v for k, v in event["headers"].items() if k != "host"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def slow_zippex_writes(monkeypatch: pytest.MonkeyPatch, seconds: float) -> threading.Event:
    """moto takes ``seconds`` before each write of a Zippex event (before taking the stack's lock, as a
    function's other work would); the event is set when one begins."""
    began = threading.Event()
    write = DynamoDBBackend.put_item  # the stack's locked write

    def slow_put(
        backend: DynamoDBBackend, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        if item_attrs.get("pk", {}).get("S", "").startswith("zippex#"):
            began.set()
            time.sleep(seconds)
        return write(backend, table_name, item_attrs, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", slow_put)
    return began


def test_two_writes_of_one_key_at_once_store_it_once(
    start_stack: StartStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writes read "no item" before either writes, as two deliveries of one event at once can: one must
    fail its condition, as in DynamoDB. moto checks and writes in two steps, and both were accepted. (The
    subscriptions table: no stream reader picks up this bare item.)"""
    stack = start_stack()
    both_read = threading.Barrier(2, timeout=1)  # broken (not waited out) when the other write is held back
    read = Table.get_item

    def get_item(table: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        found = read(table, hash_key, *args, **kwargs)
        if str(hash_key.value).startswith("race#"):
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()
        return found

    monkeypatch.setattr(Table, "get_item", get_item)
    dynamodb = boto3.client("dynamodb")  # one client: making clients is not thread-safe
    answers: list[str] = []

    def put(delivery: str) -> None:
        try:
            dynamodb.put_item(
                TableName=stack.names.subscriptions_table,
                Item={"provider": {"S": "race#one"}, "subscription": {"S": "one"}, "by": {"S": delivery}},
                ConditionExpression="attribute_not_exists(provider)",
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


def test_a_webhook_is_stored_while_the_local_aws_is_slower_than_aws_ever_is(
    start_stack: StartStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local AWS shares this machine's CPU with the functions and whatever load is sent: a busy laptop,
    or CI, makes moto answer in seconds where DynamoDB answers in milliseconds. Functions read in 1 s in
    AWS; here a 1.5 s write was answered 503 (twice timed out), and `hookbridge load` called that a bug."""
    stack = start_stack()
    slow_zippex_writes(monkeypatch, 1.5)
    assert post_genuine(stack)["status"] == "accepted"


def test_stopping_does_not_wait_for_the_local_aws_to_stop_by_itself(start_stack: StartStack) -> None:
    # stop() waited for moto's server thread (which serves until shut down) for its whole 5 s join timeout
    # before shutting it down: every Ctrl-C of `hookbridge dev` took 5 s more.
    stack = start_stack()
    began = time.monotonic()
    stack.stop()
    assert time.monotonic() - began < 5


def test_a_webhook_accepted_while_stopping_is_in_the_state_dir(
    start_stack: StartStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Stopping saves the state dir once the invocations in progress have ended (the HTTP server's threads
    do not say when): one stopped mid-write was answered accepted and was not there after a restart. A
    request that arrives while stopping is answered 503, which its sender retries."""
    stack = start_stack(tmp_path)
    writing = slow_zippex_writes(monkeypatch, 1)
    answers: list[dict[str, Any]] = []
    delivery = threading.Thread(target=lambda: answers.append(post_genuine(stack)))
    delivery.start()
    assert writing.wait(10)
    stack.stop()
    delivery.join(10)
    assert [a["status"] for a in answers] == ["accepted"]
    with pytest.raises(urllib.error.URLError):
        post_genuine(stack)  # stopped: nothing answers

    assert start_stack(tmp_path).restored["events"] == 1


def test_a_query_of_the_events_index_reads_its_partition_not_the_table(
    start_stack: StartStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto walks the whole table for every index Query (the console's event list makes eight a page); the
    local stack reads the partition (index_queries.py, whose own tests compare its answers with moto's)."""
    stack = start_stack()
    accepted = post_genuine(stack)
    dynamodb = boto3.client("dynamodb")
    stored = dynamodb.scan(TableName=stack.names.events_table)["Items"]
    by_day = next(i["by_day"] for i in stored if i["id"]["S"] == accepted["id"])
    walk = Table.all_items

    def all_items(table: Table) -> Any:
        assert table.name != stack.names.events_table, "an index Query walked the events table"
        return walk(table)

    monkeypatch.setattr(Table, "all_items", all_items)
    found = dynamodb.query(
        TableName=stack.names.events_table,
        IndexName="by_subscription",
        KeyConditionExpression="by_day = :d",
        ExpressionAttributeValues={":d": by_day},
    )["Items"]
    assert [i["id"]["S"] for i in found] == [accepted["id"]]


def test_a_write_waits_for_a_scan_walking_the_table(
    start_stack: StartStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's Scan and Query walk the table's dict: a write of a new key in the middle made moto answer 500
    ("dictionary changed size during iteration"), to the snapshot's scan or `hookbridge events` during a
    load run. The walk here takes half a second; the write must land after it, not during it."""
    stack = start_stack()
    walking, walked = threading.Event(), threading.Event()
    walk = Table.all_items

    def slow_walk(table: Table) -> Any:
        found = walk(table)
        if table.name == stack.names.subscriptions_table:
            walking.set()
            time.sleep(0.5)
            walked.set()
        return found

    monkeypatch.setattr(Table, "all_items", slow_walk)
    dynamodb = boto3.client("dynamodb")  # one client: making clients is not thread-safe
    scan = threading.Thread(target=lambda: dynamodb.scan(TableName=stack.names.subscriptions_table))
    scan.start()
    assert walking.wait(10)
    dynamodb.put_item(
        TableName=stack.names.subscriptions_table,
        Item={"provider": {"S": "scan#new"}, "subscription": {"S": "one"}},
    )
    written_after_the_walk = walked.is_set()
    scan.join(10)
    assert written_after_the_walk


def test_a_chunked_request_is_accepted_once_and_its_chunks_are_not_read_as_a_request(
    start_stack: StartStack,
) -> None:
    """Issue 29: a request with ``Transfer-Encoding: chunked`` (no Content-Length) was read with no body and
    refused, and its chunk bytes were parsed as the next request on the kept-alive connection. API Gateway
    takes chunked bodies: the function gets the whole body, and the connection's next request is its own."""
    stack = start_stack()
    first, second = signed("zippex", "delivery.created"), signed("zippex", "delivery.picked_up")
    body = first["body"].encode()
    chunks = [body[:10], body[10:40], body[40:]]
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    try:
        headers = {k: v for k, v in first["headers"].items() if k not in ("host", "content-length")}
        connection.request("POST", first["rawPath"], body=iter(chunks), headers=headers, encode_chunked=True)
        answer = connection.getresponse()
        assert (answer.status, json.loads(answer.read())["status"]) == (200, "accepted")
        # The same connection: the next answer is the next request's, not one to the chunks' bytes.
        headers = {k: v for k, v in second["headers"].items() if k != "host"}
        connection.request("POST", second["rawPath"], body=second["body"].encode(), headers=headers)
        answer = connection.getresponse()
        assert (answer.status, json.loads(answer.read())["status"]) == (200, "accepted")
    finally:
        connection.close()
    items = boto3.client("dynamodb").scan(TableName=stack.names.events_table)["Items"]
    assert sorted(item["event_type"]["S"] for item in items) == ["delivery.created", "delivery.picked_up"]
    [stored] = [item for item in items if item["event_type"]["S"] == "delivery.created"]
    assert stored["payload_sha256"]["B"] == hashlib.sha256(body).digest()  # the chunks joined, nothing else
    assert stack.errors == []


def test_a_malformed_chunked_body_is_refused_and_its_connection_closed(start_stack: StartStack) -> None:
    stack = start_stack()
    event = signed("zippex", "delivery.created")
    with socket.create_connection(("127.0.0.1", stack.http_port), timeout=30) as connection:
        connection.sendall(
            f"POST {event['rawPath']} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"zz\r\nnot a chunk\r\n0\r\n\r\n"
            + b"GET /webhooks/zippex/demo HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answered = b""
        while chunk := connection.recv(65536):
            answered += chunk
    assert answered.startswith(b"HTTP/1.1 400 ")
    assert answered.count(b"HTTP/1.1 ") == 1  # closed: the bytes after it are never read as a request
    assert boto3.client("dynamodb").scan(TableName=stack.names.events_table)["Items"] == []
