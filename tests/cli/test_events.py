"""`send`, `events`, `dlq` and `health` run as a user would against `hookbridge dev`: every id shown can be
given back, the payload is shown wherever it is kept, and every command speaks --json."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hookbridge_cli.local.names import LOCAL

from hookbridge import providers
from tests.cli.conftest import Dev, wait_for
from tests.support.events import is_stored, load_event, on_failure_message, sample_names

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]


# Senders that want an answer of their own shape: the stored event's id is not in it.
# Senders whose signature is a one-time token in the body: each send is signed anew, so a new request.
SIGNED_ANEW = {"mailgun"}
# Senders that sign each delivery's transmission and its second (PayPal): a resend in another second is a new
# request, stored, and kept off the bus by its event id's claim; in the same second, a duplicate.
SIGNED_EACH_SECOND = {"paypal"}
OWN_ANSWERS = {"adyen": "200 [accepted]", "discord": "204 (no body)", "twilio": "200 <Response/>"}
# Senders whose identical content is a duplicate only within a short window (Dropbox's second: its identical
# notifications are genuine), so a resend a subprocess later may be stored again.
SHORT_WINDOW = 60


def stored_sample(provider: str) -> str:
    """The provider's first sample that is a webhook (not a handshake the stack answers)."""
    loaded = providers.load(provider)
    return next(s for s in sample_names(provider) if is_stored(loaded, load_event(provider, s)))


def test_send_one_event_per_provider_and_see_each_on_the_bus(hb: Any, dev: Dev) -> None:
    ids = {}
    resent: dict[str, str] = {}
    for provider in providers.names():
        sample = stored_sample(provider)
        result = hb("send", provider, sample, "--local")
        assert result.code == 0, result
        again = hb("send", provider, sample, "--local", "--json")
        assert again.code == 0, again
        if provider in OWN_ANSWERS:
            assert result.out.strip() == OWN_ANSWERS[provider]
            [row] = hb("events", "list", provider, "demo", "--local", "--json").lines  # stored once
            ids[provider] = row["id"]
            continue
        assert result.out.startswith("200 ")
        ids[provider] = json.loads(result.out.split(" ", 1)[1])["id"]
        anew = provider in SIGNED_EACH_SECOND and again.json["response"]["status"] == "accepted"
        if provider in SIGNED_ANEW or anew:
            assert again.json["response"]["status"] == "accepted"
            resent[provider] = again.json["response"]["id"]
            continue
        window = providers.load(provider).dedupe_window_seconds
        if window is not None and window < SHORT_WINDOW and again.json["response"]["status"] == "accepted":
            ids[f"{provider} again"] = again.json["response"]["id"]  # stored and published again
            continue
        assert again.json["response"] == {"status": "duplicate", "id": ids[provider]}

    def on_bus() -> set[str]:  # a batch's events carry the stored webhook's id as batch_id
        return {e["detail"]["metadata"].get("batch_id") or e["detail"]["metadata"]["id"] for e in dev.bus}

    wait_for(lambda: on_bus() >= set(ids.values()))
    # A retry signed anew is stored, and its event id's claim keeps it off the bus.
    time.sleep(1)
    assert not on_bus() & set(resent.values())


def test_a_handshake_sample_prints_the_answer_and_stores_nothing(hb: Any, dev: Dev) -> None:
    def stored() -> int:
        return int(dev.client("dynamodb").scan(TableName=LOCAL.events_table, Select="COUNT")["Count"])

    before = stored()
    for provider, sample, printed in [
        ("slack", "url_verification", "200 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
        ("twitch", "webhook_callback_verification", "200 pogchamp-kappa-360noscope-vohiyo"),
        ("discord", "ping", "204 (no body)"),
        ("meta", "subscribe", "200 1158201444"),
        ("dropbox", "challenge", "200 pI1UCqTiHMUhgkcx0e2fg8FUq7YdtNcxzJOs1Efl3ZI"),  # a GET, its echo
    ]:
        result = hb("send", provider, sample, "--local")
        assert (result.code, result.out.strip()) == (0, printed), result
    assert stored() == before


def test_zooms_url_validation_prints_the_token_zoom_checks(hb: Any, dev: Dev) -> None:
    result = hb("send", "zoom", "endpoint.url_validation", "--local", "--json")
    assert result.code == 0, result
    assert set(result.json["response"]) == {"plainToken", "encryptedToken"}


def test_every_id_shown_is_accepted_back(hb: Any, dev: Dev) -> None:
    sent = hb("send", "zencargo", "LOT_BOOKED", "--local")
    event_id = json.loads(sent.out.split(" ", 1)[1])["id"]
    assert f"hookbridge events show zencargo demo {event_id} --local" in sent.err  # the hint, as printed

    listed = hb("events", "list", "zencargo", "demo", "--local")  # a table, piped: nothing cut
    assert event_id in listed.out
    assert "…" not in listed.out
    [row] = [
        r for r in hb("events", "list", "zencargo", "demo", "--local", "--json").lines if r["id"] == event_id
    ]
    assert set(row) == {"received_at", "event_type", "event_id", "subject", "id", "key"}

    by_id = hb("events", "show", "zencargo", "demo", event_id, "--local", "--json")
    assert by_id.code == 0, by_id
    by_key = hb("events", "show", row["key"], "--local", "--json")
    assert by_id.json == by_key.json
    assert by_id.json["metadata"]["id"] == event_id
    assert by_id.json["data"]["data"]["topic"] == "LOT_BOOKED"

    wait_for(lambda: any(e["detail"]["metadata"]["id"] == event_id for e in dev.bus))
    [on_bus] = [e for e in dev.bus if e["detail"]["metadata"]["id"] == event_id]
    assert hb("events", "show", "zencargo", "demo", on_bus["detail"]["metadata"]["id"], "--local").code == 0


def test_show_prints_a_payload_kept_in_the_payload_bucket(hb: Any, dev: Dev) -> None:
    body = json.dumps({"id": "evt_cli_large", "type": "delivery.created", "pad": "z" * 500_000})
    event_id = dev.post_signed("zippex", "delivery.created", body)
    shown = hb("events", "show", "zippex", "demo", event_id, "--local", "--json")
    assert shown.code == 0, shown
    assert shown.json["metadata"]["payload_ref"]["store"] == "s3"
    assert shown.json["data"] == json.loads(body)


def test_replay_publishes_again(hb: Any, dev: Dev) -> None:
    assert hb("send", "zinc", "tracking_updated", "--local").code == 0
    wait_for(lambda: len(dev.on_bus("tracking_updated")) == 1)
    stored = len(hb("events", "list", "zinc", "demo", "--local", "--json").lines)
    replay = hb("events", "replay", "zinc", "demo", "--local", "--json")
    assert replay.code == 0, replay
    assert replay.json == {"provider": "zinc", "subscription": "demo", "replayed": stored, "failed": 0}
    wait_for(lambda: len(dev.on_bus("tracking_updated")) == 2)


def test_dlq_list_names_the_subscription_health_degrades_it_and_redrive_publishes(hb: Any, dev: Dev) -> None:
    assert hb("send", "zinc", "status_updated", "--local").code == 0
    assert hb("send", "zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", "--local").code == 0
    dynamodb, streams, sqs = dev.client("dynamodb"), dev.client("dynamodbstreams"), dev.client("sqs")
    arn = dynamodb.describe_table(TableName="hookbridge-events")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    # (a batch element's claim, an item of the same table, has no event_type)
    record = next(
        r for r in records if r["dynamodb"]["NewImage"].get("event_type", {}).get("S") == "status_updated"
    )
    queue = sqs.get_queue_url(QueueName="hookbridge-publisher-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(arn, shard, [record]))
    wait_for(lambda: len(dev.on_bus("status_updated")) == 1)

    listed = hb("dlq", "list", "--local", "--json")
    assert listed.code == 0, listed
    [row] = listed.lines
    assert (row["batch_size"], row["subscriptions"]) == (1, {"zinc/demo": 1})
    health = hb("health", "--local", "--json")
    statuses = {f"{r['provider']}/{r['subscription']}": r for r in health.lines}
    assert statuses["zinc/demo"]["status"] == "degraded"
    assert "dead-letter" in " ".join(statuses["zinc/demo"]["reasons"])
    assert "dead-letter" not in " ".join(statuses["zencargo/demo"]["reasons"] or [])

    result = hb("dlq", "redrive", "--local", "--json")
    assert result.code == 0, result
    assert result.json == {"redriven": 1, "left": 0}
    wait_for(lambda: len(dev.on_bus("status_updated")) == 2)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    health = hb("health", "--local", "--json")
    zinc = next(r for r in health.lines if (r["provider"], r["subscription"]) == ("zinc", "demo"))
    assert "dead-letter" not in " ".join(zinc["reasons"] or [])


def test_health_now(hb: Any) -> None:
    result = hb("health", "--local", "--json")
    assert result.code == 0, result
    rows = {f"{r['provider']}/{r['subscription']}": r["status"] for r in result.lines}
    assert rows["zippex/demo"] in {"healthy", "new"}  # made when the stack started: never silent yet
    assert set(rows) >= {f"{p}/demo" for p in providers.names()}


@pytest.mark.parametrize(
    "args",
    [
        ["send", "zippex", "delivery.picked_up"],
        ["subscriptions", "list"],
        ["subscriptions", "create", "zencargo", "json"],
        ["subscriptions", "rotate", "zencargo", "demo", "--dry-run"],
        ["subscriptions", "delete", "zencargo", "json"],
        ["events", "list", "zippex", "demo"],
        ["events", "replay", "zonos", "demo"],
        ["dlq", "redrive"],
        ["health"],
        ["load", "--duration", "0.5", "--provider", "zippex"],
    ],
)
def test_json_on_every_command(hb: Any, args: list[str]) -> None:
    result = hb(*args, "--local", "--json", stdin="new-secret\n")
    assert result.code == 0, result
    assert result.out.strip(), result
    for line in result.out.splitlines():
        assert isinstance(json.loads(line), dict)
