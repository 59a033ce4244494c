"""`hookbridge load` against a running `hookbridge dev`, run as a user runs it: it must reconcile exactly
when the stack works, and say in one line what did not reconcile (exit 1) when it does not."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hookbridge_cli.template import deployment

from tests.cli.conftest import HOOKBRIDGE, Dev, one_line_error, run, start_dev, user_environment, wait_for

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]

# Beside the first four: a batch signed with a public key (SendGrid), a 5-second window (Paddle).
PROVIDERS = ["zippex", "zinc", "zencargo", "github", "sendgrid", "paddle"]


def _run_subscriptions(dev: Dev) -> list[str]:
    """The load run's subscriptions, while it runs: the secrets it created."""
    names = [s["Name"] for s in dev.client("secretsmanager").list_secrets()["SecretList"]]
    return [n for n in names if "/load-" in n]


def assert_each_webhook_once_on_the_bus(dev: Dev, subscriptions: set[str], events: int) -> None:
    """dev's own view of the bus, independent of the run's: the ``events`` webhooks of these
    subscriptions reach it, and every bus event (a batch's element) exactly once."""

    def metadata() -> list[dict[str, Any]]:
        found = (e["detail"]["metadata"] for e in list(dev.bus))
        return [m for m in found if m.get("subscription") in subscriptions]

    def webhooks() -> set[str]:  # a batch's elements carry the stored webhook's id as batch_id
        return {m.get("batch_id") or m["id"] for m in metadata()}

    wait_for(lambda: len(webhooks()) >= events)
    assert len(webhooks()) == events
    assert set(Counter(m["id"] for m in metadata()).values()) == {1}


def test_a_load_run_reconciles_answers_table_and_bus(hb: Any, dev: Dev) -> None:
    args = ["load", "--duration", "4", "--concurrency", "8", "--duplicates", "0.3", "--subscriptions", "2"]
    result = hb(*args, *(a for p in PROVIDERS for a in ("--provider", p)), "--json")
    assert result.code == 0, result
    summary = result.json
    assert summary["reconciled"] is True
    assert summary["mismatches"] == []
    assert summary["other"] == {}
    events = summary["events"]
    assert events > 0
    assert summary["accepted"] == summary["stored"] == summary["published"] == events
    assert summary["redeliveries"] > 0
    assert summary["duplicate"] == summary["redeliveries"] == summary["deliveries"] - events
    assert summary["throughput_per_s"] > 0
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "max"}
    assert summary["latency_ms"]["p50"] <= summary["latency_ms"]["p99"] <= summary["latency_ms"]["max"]
    rows = {row["provider"]: row for row in summary["by_provider"]}
    assert sorted(rows) == sorted(PROVIDERS)
    assert sum(row["events"] for row in rows.values()) == events
    assert all(len(row["subscriptions"]) == 2 and row["deliveries"] > 0 for row in rows.values())

    # dev's own view of the bus, independent of the run's: each event it accepted, exactly once.
    subscriptions = {s for row in rows.values() for s in row["subscriptions"]}

    assert_each_webhook_once_on_the_bus(dev, subscriptions, events)

    # What the run set up for itself is gone: its secrets, its rule and its queue.
    assert _run_subscriptions(dev) == []
    rules = dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]
    assert [r["Name"] for r in rules] == ["dev-tap"]
    queues = dev.client("sqs").list_queues().get("QueueUrls", [])
    assert not [q for q in queues if "load" in q]


def test_the_table_prints_counts_and_says_reconciled(hb: Any) -> None:
    result = hb(
        "load", "--duration", "1.5", "--concurrency", "4", "--provider", "stripe", "--provider", "zonos"
    )
    assert result.code == 0, result
    assert "reconciled: every distinct event stored once and published once" in result.out
    assert "latency   p50 " in result.out
    assert result.err == ""


def _write_limit(dev: Dev, scope: str) -> int:
    """The status the local stack answers for the write limit of ``scope`` (404: there is none)."""
    connection = http.client.HTTPConnection("127.0.0.1", dev.aws_port, timeout=10)
    try:
        connection.request("GET", f"/_hookbridge/write-limits/{scope}")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_past_a_write_limit_webhooks_are_answered_503_and_each_is_accepted_once_on_retry(
    hb: Any, dev: Dev
) -> None:
    """The first-day path (bench/scale.py): DynamoDB throttles the run's writes past 2 a second; the real
    ingest function retries inside, then answers 503 with Retry-After; the run sends each again as its
    provider would, and every event is still accepted, stored and published exactly once."""
    result = hb(
        "load", "--duration", "3", "--concurrency", "8", "--duplicates", "0.2", "--write-limit", "2",
        "--retry-delay", "0.5", "--provider", "zippex", "--provider", "stripe", "--subscriptions", "1",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result
    summary = result.json
    assert (summary["reconciled"], summary["mismatches"], summary["other"]) == (True, [], {})
    assert (summary["write_limit"], summary["retry_delay_s"]) == (2, 0.5)
    assert summary["throttled"] > 0
    # Each 503 comes after the function's own attempts were throttled: never more 503s than throttled writes.
    assert summary["throttled_writes"] >= summary["throttled_answers"] >= summary["throttled"]
    assert set(summary["throttled_then"]) <= {"accepted", "duplicate"}
    assert sum(summary["throttled_then"].values()) == summary["throttled"]
    assert sum(row["throttled"] for row in summary["by_provider"]) == summary["throttled"]
    events = summary["events"]
    assert summary["accepted"] == summary["stored"] == summary["published"] == events
    assert summary["duplicate"] == summary["deliveries"] - events

    subscriptions = {s for row in summary["by_provider"] for s in row["subscriptions"]}

    assert_each_webhook_once_on_the_bus(dev, subscriptions, events)
    # The run removed its limit with the rest of what it set up.
    scope = next(iter(subscriptions)).rsplit("-", 1)[0] + "-"
    assert _write_limit(dev, scope) == 404


def test_the_table_says_how_many_were_throttled_and_that_nothing_was_lost(hb: Any) -> None:
    result = hb("load", "--duration", "2", "--concurrency", "8", "--write-limit", "1", "--provider", "zinc")
    assert result.code == 0, result
    assert "throttled" in result.out.splitlines()[1]  # the table's own column
    throttled = next(line for line in result.out.splitlines() if line.startswith("throttled "))
    assert " writes past 1/s; " in throttled
    assert "deliveries answered 503" in throttled
    assert (
        "every throttled delivery answered on retry and its event accepted once: nothing lost" in result.out
    )
    assert result.err == ""


def test_the_local_http_api_keeps_a_connection_alive(dev: Dev) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", dev.http_port, timeout=10)
    try:
        connection.connect()
        first = connection.sock
        for _ in range(3):
            connection.request("POST", "/webhooks/zippex/demo", body=b"{}", headers={})
            response = connection.getresponse()
            response.read()
            assert response.status == 401
            assert response.version == 11
            assert not response.will_close
            assert connection.sock is first
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--duplicates", "1"], "--duplicates 1.0 is out of range"),
        (["--duration", "0"], "--duration 0.0 is out of range"),
        (["--concurrency", "0"], "--concurrency 0 is out of range"),
        (["--provider", "acme"], "unknown provider 'acme'"),
        (["--provider", "adyen"], "adyen answers without the stored event's id"),
        (["--write-limit", "0"], "--write-limit 0.0 is out of range"),
        (["--write-limit", "5", "--retry-delay", "61"], "--retry-delay 61.0 is out of range"),
        (["--retry-delay", "2"], "--retry-delay applies only with --write-limit"),
    ],
)
def test_bad_arguments_exit_2_before_anything_is_sent(hb: Any, args: list[str], says: str) -> None:
    result = hb("load", *args)
    assert result.code == 2, result
    assert says in one_line_error(result)


def test_no_dev_running_exits_3(tmp_path: Path) -> None:
    result = run(tmp_path, "load", "--duration", "1", "--aws-port", "1")
    assert result.code == 3, result
    assert "no local stack answers on 127.0.0.1:1: is `hookbridge dev` running?" in one_line_error(result)


@pytest.fixture(scope="module")
def broken_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("broken")


@pytest.fixture(scope="module")
def broken_dev(broken_home: Path) -> Any:
    """A dev of its own: these tests break it."""
    running = start_dev(broken_home)
    try:
        yield running
    finally:
        running.stop()


def test_an_event_published_twice_does_not_reconcile(broken_home: Path, broken_dev: Dev) -> None:
    """One of the run's events put on the bus a second time, while the run is sending: load must notice."""
    load = subprocess.Popen(  # noqa: S603 - our own command
        [
            HOOKBRIDGE,
            "load",
            "--duration",
            "4",
            "--concurrency",
            "2",
            "--provider",
            "zippex",
            "--subscriptions",
            "1",
            "--duplicates",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(broken_home),
    )
    try:
        wait_for(lambda: bool(_run_subscriptions(broken_dev)))
        subscription = _run_subscriptions(broken_dev)[0].split("/")[-1]

        def first() -> list[dict[str, Any]]:
            return [
                e for e in list(broken_dev.bus) if e["detail"]["metadata"]["subscription"] == subscription
            ][:1]

        wait_for(lambda: bool(first()))
        again = first()[0]
        broken_dev.client("events").put_events(
            Entries=[
                {
                    "EventBusName": "hookbridge",
                    "Source": again["source"],
                    "DetailType": again["detail-type"],
                    "Detail": json.dumps(again["detail"]),
                }
            ]
        )
        out, err = load.communicate(timeout=120)
    finally:
        load.kill()
    assert load.returncode == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hookbridge: did not reconcile: 1 accepted events published more than once: ")


def test_a_stack_that_cannot_store_does_not_reconcile(broken_home: Path, broken_dev: Dev) -> None:
    """The events table refuses every write (its key now a number): every delivery is answered 503 (the
    provider would retry), nothing is stored."""
    dynamodb = broken_dev.client("dynamodb")
    dynamodb.delete_table(TableName="hookbridge-events")
    props = deployment().resource("EventsTable")["Properties"]
    dynamodb.create_table(
        TableName="hookbridge-events",
        KeySchema=props["KeySchema"],
        AttributeDefinitions=[
            {**a, "AttributeType": "N"} if a["AttributeName"] == "pk" else a
            for a in props["AttributeDefinitions"]
        ],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        BillingMode=props["BillingMode"],
    )
    result = run(broken_home, "load", "--duration", "1", "--concurrency", "2", "--provider", "zinc", "--json")
    assert result.code == 1, result
    summary = result.json
    assert summary["accepted"] == summary["stored"] == summary["published"] == 0
    assert summary["other"] == {"503": summary["deliveries"]}
    line = one_line_error(result)
    n = summary["deliveries"]
    assert line.startswith(
        f"hookbridge: did not reconcile: {n} of {n} deliveries answered neither accepted nor duplicate "
        f"({n}x 503)"
    )
    assert "the stack refused the deliveries" in line
