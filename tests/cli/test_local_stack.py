"""The hookbridge command end to end against the local stack (moto server, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from hookbridge_cli.local import LOCAL, local_environment
from hookbridge_cli.main import app
from hookbridge_cli.stack import LocalStack
from typer.testing import CliRunner

from hookbridge import providers
from tests.support.events import sample_names, signed
from tests.support.fake_providers import fake_provider_server

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    saved = dict(os.environ)
    local = LocalStack(aws_port=free_port(), http_port=free_port())
    local.start()
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        # CliRunner closes the streams it lent; loggers created during a command must not keep them.
        for handler in logging.getLogger("hookbridge").handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "closed", False):
                handler.stream = sys.stdout  # not setStream: it would flush the closed one


@pytest.fixture(autouse=True)
def _local_aws(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite-wide fixture strips AWS_ENDPOINT_URL before every test; `hookbridge dev` keeps it for the
    whole process, and the functions build some AWS clients only when first needed (the S3 client for a
    large body), so each test here runs in the environment the local stack set."""
    for name, value in local_environment(stack.aws_port).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def cli(stack: LocalStack) -> Callable[..., Any]:
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Any:
        return runner.invoke(app, [*args, "--local", "--aws-port", str(stack.aws_port)], input=stdin)

    return invoke


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def first_sample(provider: str) -> str:
    return sample_names(provider)[0]


def test_send_one_event_per_provider_and_see_each_on_the_bus(stack: LocalStack, cli: Any) -> None:
    url = f"{stack.base_url}/webhooks"
    ids = {}
    for provider in providers.names():
        result = cli("send", provider, first_sample(provider), "--url", url)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("200 ")
        ids[provider] = json.loads(result.output.split(" ", 1)[1])["id"]
        again = cli("send", provider, first_sample(provider), "--url", url)
        assert '"status":"duplicate"' in again.output

    def on_bus() -> dict[str, str]:
        return {
            e["detail"]["metadata"]["provider"]: e["detail"]["metadata"]["id"]
            for e in stack.bus_events
            if e["source"] != "hookbridge.health"
        }

    wait_for(lambda: len(on_bus()) == len(ids))
    assert on_bus() == ids
    assert stack.errors == []


def test_send_refuses_unknown_input_with_exit_code_1(stack: LocalStack, cli: Any) -> None:
    result = cli("send", "zippex", "delivery.teleported", "--url", f"{stack.base_url}/webhooks")
    assert result.exit_code == 1
    assert "no sample" in result.output
    assert cli("send", "nosuch", "x").exit_code == 1


def test_send_with_a_wrong_secret_is_rejected(stack: LocalStack, cli: Any, tmp_path: Any) -> None:
    wrong = tmp_path / "secret.json"
    wrong.write_text(json.dumps({"signing_secrets": ["whsec_wrong"]}))
    result = cli(
        "send",
        "zippex",
        "delivery.created",
        "--url",
        f"{stack.base_url}/webhooks",
        "--secret-file",
        str(wrong),
    )
    assert result.exit_code == 1
    assert result.output.startswith("401 ")


def test_subscriptions_create_list_rotate_delete(stack: LocalStack, cli: Any, tmp_path: Any) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"signing_secrets": ["whsec_one"]}))
    created = cli(
        "subscriptions",
        "create",
        "zippex",
        "prod",
        "--webhook-id",
        "wh_9",
        "--secret-file",
        str(secret),
        "--json",
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["secret_stored"] is True
    assert cli("subscriptions", "create", "zippex", "prod").exit_code == 1  # exists

    listed = [json.loads(line) for line in cli("subscriptions", "list", "--json").output.splitlines()]
    assert {"zippex/prod", "zinc/demo"} <= {f"{r['provider']}/{r['subscription']}" for r in listed}

    assert cli("subscriptions", "rotate", "zippex", "prod", stdin="whsec_two\n").exit_code == 0
    value = boto3.client("secretsmanager").get_secret_value(SecretId="hookbridge/zippex/prod")["SecretString"]
    assert json.loads(value)["signing_secrets"] == ["whsec_two", "whsec_one"]
    assert cli("subscriptions", "rotate", "zippex", "prod", "--drop-old").exit_code == 0
    value = boto3.client("secretsmanager").get_secret_value(SecretId="hookbridge/zippex/prod")["SecretString"]
    assert json.loads(value)["signing_secrets"] == ["whsec_two"]

    assert cli("subscriptions", "delete", "zippex", "prod").exit_code == 0
    assert cli("subscriptions", "delete", "zippex", "prod").exit_code == 1


def test_events_list_show_replay(stack: LocalStack, cli: Any) -> None:
    assert cli("send", "zencargo", "LOT_BOOKED", "--url", f"{stack.base_url}/webhooks").exit_code == 0
    listed = [
        json.loads(line) for line in cli("events", "list", "zencargo", "demo", "--json").output.splitlines()
    ]
    mine = [e for e in listed if e["event_type"] == "LOT_BOOKED"]
    assert len(mine) == 1
    shown = cli("events", "show", mine[0]["key"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["data"]["data"]["topic"] == "LOT_BOOKED"
    assert cli("events", "show", "no-such-key").exit_code == 1

    before = sum(1 for e in stack.bus_events if e["detail-type"] == "LOT_BOOKED")
    wait_for(lambda: sum(1 for e in stack.bus_events if e["detail-type"] == "LOT_BOOKED") == 1)
    replay = cli("events", "replay", "zencargo", "demo")
    assert replay.exit_code == 0, replay.output
    assert f"replayed {len(listed)} of {len(listed)}" in replay.output
    wait_for(
        lambda: sum(1 for e in stack.bus_events if e["detail-type"] == "LOT_BOOKED") == max(before, 1) + 1
    )


def test_dlq_redrive_publishes_the_named_records(stack: LocalStack, cli: Any) -> None:
    assert cli("send", "zinc", "case_updated", "--url", f"{stack.base_url}/webhooks").exit_code == 0
    dynamodb, streams, sqs = boto3.client("dynamodb"), boto3.client("dynamodbstreams"), boto3.client("sqs")
    arn = dynamodb.describe_table(TableName=LOCAL.events_table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    record = next(r for r in records if r["dynamodb"]["NewImage"]["event_type"]["S"] == "case_updated")
    sequence = record["dynamodb"]["SequenceNumber"]
    queue = sqs.get_queue_url(QueueName=LOCAL.dead_letter_queue)["QueueUrl"]
    # What Lambda's on-failure destination sends for a stream batch that ran out of retries.
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {
                "DDBStreamBatchInfo": {
                    "shardId": shard,
                    "startSequenceNumber": sequence,
                    "endSequenceNumber": sequence,
                    "streamArn": arn,
                    "batchSize": 1,
                }
            }
        ),
    )
    wait_for(lambda: any(e["detail-type"] == "case_updated" for e in stack.bus_events))
    before = sum(1 for e in stack.bus_events if e["detail-type"] == "case_updated")

    result = cli("dlq", "redrive")
    assert result.exit_code == 0, result.output
    assert "redrove 1 batch(es); 0 left" in result.output
    wait_for(lambda: sum(1 for e in stack.bus_events if e["detail-type"] == "case_updated") == before + 1)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_health_now(stack: LocalStack, cli: Any) -> None:
    result = cli("health", "--json")
    assert result.exit_code == 0, result.output
    rows = {
        f"{r['provider']}/{r['subscription']}": r["status"]
        for r in map(json.loads, result.output.splitlines())
    }
    assert rows["zippex/demo"] in {"healthy", "silent"}
    assert set(rows) >= {f"{p}/demo" for p in providers.names()}


def test_dev_starts_and_stops_cleanly_on_ctrl_c(tmp_path: Any) -> None:
    http_port, aws_port = free_port(), free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "hookbridge_cli",
            "dev",
            "--http-port",
            str(http_port),
            "--aws-port",
            str(aws_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        assert any("hookbridge is running" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "stopping" in output
    finally:
        process.kill()


def test_zippex_register_stores_the_secret_without_showing_it(
    stack: LocalStack, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_provider_server() as (api_url, state):
        monkeypatch.setenv("ZIPPEX_API_KEY", state.zippex_key)
        result = cli(
            "subscriptions",
            "create",
            "zippex",
            "registered",
            "--register",
            "--zippex-api-url",
            api_url,
            "--json",
        )
        assert result.exit_code == 0, result.output
    assert state.created_secret not in result.output
    created = json.loads(result.output)
    assert created["webhook_id"] == "wh_1"
    assert state.zippex_hooks[0]["url"].endswith("/webhooks/zippex/registered")
    stored = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId="hookbridge/zippex/registered")[
            "SecretString"
        ]
    )
    assert stored == {"signing_secrets": [state.created_secret], "api_key": state.zippex_key}
    # And the subscription now receives webhooks signed with that secret (send reads it from Secrets Manager).
    sent = cli(
        "send",
        "zippex",
        "delivery.created",
        "--subscription",
        "registered",
        "--url",
        f"{stack.base_url}/webhooks",
    )
    assert sent.output.startswith("200 "), sent.output


def test_events_show_and_replay_a_large_event_stored_in_s3(stack: LocalStack, cli: Any) -> None:
    body = json.dumps({"id": "evt_cli_large", "type": "delivery.created", "pad": "z" * 500_000})
    event = signed("zippex", "delivery.created", body=body)
    request = urllib.request.Request(  # noqa: S310 - the local stack
        f"{stack.base_url}/webhooks/zippex/demo",
        data=body.encode(),
        method="POST",
        headers={k: v for k, v in event["headers"].items() if k != "host"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        assert response.status == 200
    listed = [
        json.loads(line) for line in cli("events", "list", "zippex", "demo", "--json").output.splitlines()
    ]
    [large] = [e for e in listed if e["event_id"] == "evt_cli_large"]
    shown = cli("events", "show", large["key"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["metadata"]["payload_ref"]["store"] == "s3"
    assert cli("events", "replay", "zippex", "demo").exit_code == 0
