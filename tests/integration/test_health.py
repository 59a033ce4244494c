"""The health check against moto and fake provider APIs on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from hookbridge.aws.registry import SubscriptionExists, SubscriptionNotFound, SubscriptionRegistry
from hookbridge.aws.secrets import SecretStore
from hookbridge.health.checker import HEALTH_DETAIL_TYPE, HealthChecker, LastEventFinder, ProviderProbes
from hookbridge.health.provider_api import JsonHttpClient, ProviderApiError, ZippexApi
from hookbridge.publishing.dead_letters import DeadLetterQueue, StreamRecords, find_culprits
from hookbridge.subscription import Subscription
from tests.support.events import LambdaContext, demo_secret, on_failure_message, signed
from tests.support.fake_providers import ProviderState, fake_provider_server
from tests.support.functions import load_file, load_function
from tests.support.stack import BUS, EVENTS_TABLE, PREFIX, SUBSCRIPTIONS_TABLE, Handler, Stack
from tests.support.template import ROOT

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

ZIPPEX_SECRET = {**demo_secret("zippex"), "api_key": "zx_live_test"}
ZONOS_SECRET = {**demo_secret("zonos"), "api_key": "zonos_credential"}


@pytest.fixture
def api() -> Iterator[tuple[str, ProviderState]]:
    with fake_provider_server() as server:
        yield server


@pytest.fixture
def dead_letter_queue(stack: Stack) -> str:
    url: str = stack.sqs.create_queue(QueueName="hookbridge-publisher-dlq")["QueueUrl"]
    return url


@pytest.fixture
def registry(stack: Stack) -> SubscriptionRegistry:
    return SubscriptionRegistry(stack.dynamodb, SUBSCRIPTIONS_TABLE)


@pytest.fixture
def make_checker(
    stack: Stack, registry: SubscriptionRegistry, api: tuple[str, ProviderState], dead_letter_queue: str
) -> Callable[..., HealthChecker]:
    url, _ = api

    dead_letters = DeadLetterQueue(stack.sqs, dead_letter_queue)

    def make(now: datetime | None = None, reenable: bool = False, streams: Any = None) -> HealthChecker:
        records = StreamRecords(streams or stack.streams)
        return HealthChecker(
            registry=registry,
            last_events=LastEventFinder(stack.dynamodb, EVENTS_TABLE, shards=1),
            secrets=SecretStore(SecretsProvider(boto3_client=stack.secrets), PREFIX, 0, 0),
            probes=ProviderProbes(
                http=JsonHttpClient(timeout_seconds=0.5, backoff_seconds=0, sleep=lambda _: None),
                zippex_api_url=url,
                zonos_api_url=f"{url}/graphql",
                reenable_zonos=reenable,
            ),
            events=stack.events,
            bus=BUS,
            prefix=PREFIX,
            metrics_namespace=PREFIX,
            find_culprits=lambda: find_culprits(dead_letters, records, limit=100),
            clock=lambda: now or datetime.now(UTC),
        )

    return make


@pytest.fixture
def zippex_sub(stack: Stack, registry: SubscriptionRegistry, api: tuple[str, ProviderState]) -> Subscription:
    """A registered Zippex subscription, active at Zippex, with one event stored just now."""
    _, state = api
    stack.add_secret("zippex", "demo", ZIPPEX_SECRET)
    state.zippex_hooks.append({"id": "wh_1", "url": "https://x/webhooks/zippex/demo", "active": True})
    return registry.create(
        Subscription(provider="zippex", subscription="demo", webhook_id="wh_1", quiet_period_seconds=3600)
    )


def store_event(ingest_function: Callable[[str], Handler], provider: str, name: str) -> None:
    response = ingest_function(provider)(signed(provider, name), LambdaContext())
    assert response["statusCode"] == 200, response


def statuses(checker: HealthChecker) -> dict[str, str]:
    return {
        f"{r.subscription.provider}/{r.subscription.subscription}": r.health.status for r in checker.run()
    }


def health_events(stack: Stack) -> list[dict[str, Any]]:
    return [m["detail"] for m in stack.bus_messages() if m["detail-type"] == HEALTH_DETAIL_TYPE]


def test_healthy_then_disabled_is_published_once_per_change(
    stack: Stack, make_checker: Any, zippex_sub: Subscription, ingest_function: Any, api: Any, registry: Any
) -> None:
    store_event(ingest_function, "zippex", "delivery.created")
    stack.bus_messages()  # drop nothing: the publisher did not run, only health events reach the queue
    checker = make_checker()
    assert statuses(checker) == {"zippex/demo": "healthy"}
    assert statuses(checker) == {"zippex/demo": "healthy"}
    [first] = health_events(stack)
    assert (first["status"], first["previous_status"]) == ("healthy", None)

    api[1].zippex_hooks[0]["active"] = False  # Zippex disabled it after failures
    assert statuses(checker) == {"zippex/demo": "disabled"}
    assert statuses(checker) == {"zippex/demo": "disabled"}
    [change] = health_events(stack)
    assert (change["status"], change["previous_status"]) == ("disabled", "healthy")
    record = registry.get("zippex", "demo")
    assert record.health.status == "disabled"
    assert record.health.reasons[0].startswith("the provider reports")


def test_webhook_missing_at_provider_is_disabled(
    stack: Stack, make_checker: Any, zippex_sub: Any, api: Any
) -> None:
    api[1].zippex_hooks.clear()
    assert statuses(make_checker()) == {"zippex/demo": "disabled"}


def test_silent_when_quiet_for_longer_than_normal(
    stack: Stack, make_checker: Any, zippex_sub: Subscription, ingest_function: Any
) -> None:
    an_hour_and_a_minute_on = datetime.now(UTC) + timedelta(seconds=3660)
    assert statuses(make_checker(now=an_hour_and_a_minute_on)) == {"zippex/demo": "silent"}  # nothing stored
    store_event(ingest_function, "zippex", "delivery.created")
    assert statuses(make_checker()) == {"zippex/demo": "healthy"}
    two_hours_on = datetime.now(UTC) + timedelta(hours=2)
    assert statuses(make_checker(now=two_hours_on)) == {"zippex/demo": "silent"}


FORGED_WITH = {"signing_secrets": ["whsec_forger"]}


def set_rejected_total(stack: Stack, total: int) -> None:
    stack.dynamodb.update_item(
        TableName=SUBSCRIPTIONS_TABLE,
        Key={"provider": {"S": "zippex"}, "subscription": {"S": "demo"}},
        UpdateExpression="SET rejected_total = :n",
        ExpressionAttributeValues={":n": {"N": str(total)}},
    )


def test_degraded_by_rejections_when_no_event_was_accepted_with_forgeries_named(
    stack: Stack,
    make_checker: Any,
    zippex_sub: Subscription,
    ingest_function: Any,
    registry: Any,
) -> None:
    store_event(ingest_function, "zippex", "delivery.created")
    checker = make_checker()
    assert statuses(checker) == {"zippex/demo": "healthy"}
    set_rejected_total(stack, 7)  # as the ingest function adds them (below, through the real handler)
    assert statuses(checker) == {"zippex/demo": "degraded"}
    assert registry.get("zippex", "demo").health.reasons[0] == (
        "7 requests rejected since the last check (bad signature or stale timestamp) and no event accepted: "
        "a wrong or rotated secret at the sender, or forged requests from anyone who knows the URL"
    )
    assert statuses(checker) == {"zippex/demo": "healthy"}  # counted from the last check on


def test_forged_requests_beside_genuine_events_do_not_flip_the_status(
    stack: Stack, make_checker: Any, zippex_sub: Subscription, ingest_function: Any, registry: Any
) -> None:
    """Issue 29: five forged requests to a known URL turned any subscription degraded."""
    store_event(ingest_function, "zippex", "delivery.created")
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)  # checked_at is to the second
    assert statuses(make_checker(now=a_minute_ago)) == {"zippex/demo": "healthy"}
    checker = make_checker()
    health_events(stack)
    handler = ingest_function("zippex")
    for _ in range(5):
        assert (
            handler(signed("zippex", "delivery.created", FORGED_WITH), LambdaContext())["statusCode"] == 401
        )
    set_rejected_total(stack, 5)  # whatever the counter has written so far: five, exactly
    store_event(ingest_function, "zippex", "delivery.picked_up")  # the sender's events keep coming
    assert statuses(checker) == {"zippex/demo": "healthy"}
    assert health_events(stack) == []
    assert "forged requests from anyone who knows the URL" in registry.get("zippex", "demo").health.reasons[0]


class UpdateItemCalls:
    """Every UpdateItem on the subscriptions table, by any client in the process (the handlers build their
    own)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        make_api_call = BaseClient._make_api_call

        def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if operation == "UpdateItem" and params.get("TableName") == SUBSCRIPTIONS_TABLE:
                self.calls += 1
            return make_api_call(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", counting)


def test_twenty_forged_requests_are_counted_twenty_at_a_bounded_cost(
    stack: Stack,
    zippex_sub: Subscription,
    ingest_function: Any,
    registry: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 29: 20 forged requests were counted 2: a count was written only when another rejection came
    an interval later. Now every invocation that ends after the interval writes what is pending: the burst
    is counted by the next invocation of any kind, here a genuine webhook."""
    interval = 2
    monkeypatch.setenv("REJECTION_FLUSH_SECONDS", str(interval))
    writes = UpdateItemCalls(monkeypatch)
    handler = ingest_function("zippex")
    forged = signed("zippex", "delivery.created", FORGED_WITH)
    started = time.monotonic()
    for _ in range(20):
        assert handler(forged, LambdaContext())["statusCode"] == 401
    burst = time.monotonic() - started
    assert registry.get("zippex", "demo").rejected_total >= 1  # the first, at the end of its invocation
    assert writes.calls <= 1 + burst // interval  # one write an interval, however many were refused
    time.sleep(interval)
    # A genuine webhook to the same function instance: its invocation writes the burst's 19.
    assert handler(signed("zippex", "delivery.created"), LambdaContext())["statusCode"] == 200
    assert registry.get("zippex", "demo").rejected_total == 20
    time.sleep(interval)
    assert handler(signed("zippex", "delivery.picked_up"), LambdaContext())["statusCode"] == 200
    assert registry.get("zippex", "demo").rejected_total == 20  # nothing counted twice
    assert writes.calls <= 2 + burst // interval


def test_a_flood_of_forged_requests_costs_one_write_an_interval_and_is_counted_whole(
    stack: Stack,
    zippex_sub: Subscription,
    ingest_function: Any,
    registry: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes = UpdateItemCalls(monkeypatch)
    handler = ingest_function("zippex")  # the template's interval: 60 s
    forged = signed("zippex", "delivery.created", FORGED_WITH)
    for _ in range(300):
        assert handler(forged, LambdaContext())["statusCode"] == 401
    assert writes.calls == 1  # the first; the other 299 wait for the interval
    assert registry.get("zippex", "demo").rejected_total == 1


def test_rejections_of_an_unregistered_subscription_create_no_record(
    stack: Stack, ingest_function: Any, registry: SubscriptionRegistry
) -> None:
    stack.add_secret("zippex", "demo", ZIPPEX_SECRET)
    forged = signed("zippex", "delivery.created", {"signing_secrets": ["whsec_forger"]})
    assert ingest_function("zippex")(forged, LambdaContext())["statusCode"] == 401
    assert list(registry.list()) == []


def dead_letter(stack: Stack, queue: str, records: list[dict[str, Any]]) -> None:
    arn = stack.dynamodb.describe_table(TableName=EVENTS_TABLE)["Table"]["LatestStreamArn"]
    shard = stack.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    stack.sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(arn, shard, records))


@pytest.fixture
def two_subscriptions(stack: Stack, registry: SubscriptionRegistry, ingest_function: Any) -> None:
    """zinc/demo and zencargo/demo (no provider API to probe), each with events stored just now."""
    for provider in ("zinc", "zencargo"):
        stack.add_secret(provider, "demo", demo_secret(provider))
        registry.create(Subscription(provider=provider, subscription="demo", quiet_period_seconds=3600))
    store_event(ingest_function, "zinc", "status_updated")
    store_event(ingest_function, "zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED")
    store_event(ingest_function, "zinc", "tracking_updated")


def records_of(stack: Stack, provider: str) -> list[dict[str, Any]]:
    records = stack.stream_records()
    return [r for r in records if r["dynamodb"]["NewImage"]["by_day"]["S"].startswith(f"{provider}#")]


def test_only_the_subscription_whose_events_are_dead_lettered_turns_degraded(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str, registry: Any
) -> None:
    zinc = records_of(stack, "zinc")
    dead_letter(stack, dead_letter_queue, zinc[:1])
    dead_letter(stack, dead_letter_queue, zinc[1:])
    assert statuses(make_checker()) == {"zinc/demo": "degraded", "zencargo/demo": "healthy"}
    health = registry.get("zinc", "demo").health
    assert health.reasons == (
        "2 stored events not published, in 2 dead-letter batch(es): `hookbridge dlq redrive`",
    )
    assert len(health.dead_letters) == 2
    # Read, not consumed: both messages are still there, visible at once for the operator's redrive.
    attributes = stack.sqs.get_queue_attributes(QueueUrl=dead_letter_queue, AttributeNames=["All"])[
        "Attributes"
    ]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "2",
        "0",
    )


def test_a_batch_of_two_subscriptions_degrades_both(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str
) -> None:
    dead_letter(stack, dead_letter_queue, stack.stream_records())  # zinc, zencargo, zinc
    assert statuses(make_checker()) == {"zinc/demo": "degraded", "zencargo/demo": "degraded"}


class ExpiredStream:
    """The stream a day later: the named records are trimmed (what DynamoDB Streams answers then)."""

    def get_shard_iterator(self, **_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "TrimmedDataAccessException", "Message": "trimmed"}}, "GetShardIterator"
        )


def test_a_dead_letter_stays_with_its_subscription_after_its_records_expire(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str, registry: Any
) -> None:
    dead_letter(stack, dead_letter_queue, records_of(stack, "zencargo"))
    assert statuses(make_checker()) == {"zinc/demo": "healthy", "zencargo/demo": "degraded"}
    assert statuses(make_checker(streams=ExpiredStream())) == {
        "zinc/demo": "healthy",
        "zencargo/demo": "degraded",
    }
    assert registry.get("zencargo", "demo").health.reasons == (
        "stored events not published, in 1 dead-letter batch(es): `hookbridge dlq redrive`",
    )


def test_a_dead_letter_no_check_could_name_degrades_every_subscription(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str, registry: Any
) -> None:
    # Fail closed: its events could be anyone's.
    dead_letter(stack, dead_letter_queue, records_of(stack, "zinc"))
    assert statuses(make_checker(streams=ExpiredStream())) == {
        "zinc/demo": "degraded",
        "zencargo/demo": "degraded",
    }
    assert registry.get("zencargo", "demo").health.reasons == (
        "1 dead-letter batch(es) of stored events not published whose subscription cannot be named "
        "(stream records expired): `hookbridge dlq list`",
    )


def test_redriven_dead_letters_leave_the_subscription_healthy(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str
) -> None:
    dead_letter(stack, dead_letter_queue, records_of(stack, "zinc"))
    checker = make_checker()
    assert statuses(checker)["zinc/demo"] == "degraded"
    [message] = stack.sqs.receive_message(QueueUrl=dead_letter_queue)["Messages"]
    stack.sqs.delete_message(QueueUrl=dead_letter_queue, ReceiptHandle=message["ReceiptHandle"])
    assert statuses(checker) == {"zinc/demo": "healthy", "zencargo/demo": "healthy"}


@pytest.fixture
def zonos_sub(stack: Stack, registry: SubscriptionRegistry, api: tuple[str, ProviderState]) -> ProviderState:
    """A registered Zonos subscription whose ORDER_CREATED webhook Zonos lists as enabled."""
    _, state = api
    stack.add_secret("zonos", "demo", ZONOS_SECRET)
    registry.create(
        Subscription(provider="zonos", subscription="demo", webhook_id="whk_1", quiet_period_seconds=3600)
    )
    state.zonos_hooks.append(
        {
            "id": "whk_1",
            "url": "https://x/webhooks/zonos/demo?type=ORDER_CREATED",
            "type": "ORDER_CREATED",
            "status": "ENABLED",
        }
    )
    return state


def test_zonos_status_and_delivery_failures(
    make_checker: Any, registry: Any, zonos_sub: ProviderState, ingest_function: Any
) -> None:
    state = zonos_sub
    state.zonos_logs["ORDER_CREATED"] = [200] * 9 + [500]
    store_event(ingest_function, "zonos", "ORDER_CREATED")
    assert statuses(make_checker()) == {"zonos/demo": "healthy"}  # 10 % failed
    state.zonos_logs["ORDER_CREATED"] = [200, 500, 503, None]
    assert statuses(make_checker()) == {"zonos/demo": "degraded"}
    assert registry.get("zonos", "demo").health.reasons[0] == "75% of the provider's recent deliveries failed"
    state.zonos_hooks[0]["status"] = "DISABLED"
    assert statuses(make_checker()) == {"zonos/demo": "disabled"}
    assert state.zonos_hooks[0]["status"] == "DISABLED"  # not re-enabled unless asked


def test_zonos_reenable_option(
    make_checker: Any, registry: Any, zonos_sub: ProviderState, ingest_function: Any
) -> None:
    state = zonos_sub
    state.zonos_hooks[0]["status"] = "DISABLED"
    store_event(ingest_function, "zonos", "ORDER_CREATED")
    assert statuses(make_checker(reenable=True)) == {"zonos/demo": "healthy"}
    assert state.zonos_hooks[0]["status"] == "ENABLED"
    assert "re-enabled" in registry.get("zonos", "demo").health.reasons[0]


def test_retries_5xx_and_429_then_succeeds(
    stack: Stack, make_checker: Any, zippex_sub: Any, api: Any, ingest_function: Any
) -> None:
    store_event(ingest_function, "zippex", "delivery.created")
    api[1].failures = [503, 429]
    assert statuses(make_checker()) == {"zippex/demo": "healthy"}
    assert api[1].requests == ["GET /v1/webhooks"] * 3


def test_a_failing_or_timing_out_probe_is_unknown_and_others_are_still_checked(
    stack: Stack, make_checker: Any, zippex_sub: Any, api: Any, registry: Any, ingest_function: Any
) -> None:
    store_event(ingest_function, "zippex", "delivery.created")
    stack.add_secret("zencargo", "demo", demo_secret("zencargo"))
    registry.create(Subscription(provider="zencargo", subscription="demo", quiet_period_seconds=3600))
    store_event(ingest_function, "zencargo", "BOOKING_CREATED")

    api[1].failures = [500, 502, 503]
    assert statuses(make_checker()) == {"zippex/demo": "unknown", "zencargo/demo": "healthy"}
    assert "HTTP 503" in registry.get("zippex", "demo").health.reasons[0]

    api[1].delay_seconds = 1.0  # beyond the client's 0.5 s timeout, on every attempt
    assert statuses(make_checker()) == {"zippex/demo": "unknown", "zencargo/demo": "healthy"}
    assert "TimeoutError" in registry.get("zippex", "demo").health.reasons[0]


def test_an_expired_api_key_never_hides_silence(
    stack: Stack, make_checker: Any, registry: Any, api: Any, ingest_function: Any
) -> None:
    """Issue 22: a Zippex subscription whose API key expired and that stored nothing is silent, with the
    failed probe beside it (it showed only unknown before); with a recent event, the failed probe is all."""
    stack.add_secret("zippex", "demo", {**ZIPPEX_SECRET, "api_key": "zx_live_wrong"})
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    registry.create(
        Subscription(provider="zippex", subscription="demo", webhook_id="wh_1", created_at=three_days_ago)
    )
    assert statuses(make_checker()) == {"zippex/demo": "silent"}
    reasons = registry.get("zippex", "demo").health.reasons
    assert reasons[0].startswith("no event stored")
    assert any("HTTP 401" in reason for reason in reasons[1:])
    store_event(ingest_function, "zippex", "delivery.created")
    assert statuses(make_checker()) == {"zippex/demo": "unknown"}
    assert "HTTP 401" in registry.get("zippex", "demo").health.reasons[0]


def test_the_scheduled_function_end_to_end(
    stack: Stack, zippex_sub: Any, api: Any, ingest_function: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_event(ingest_function, "zippex", "delivery.created")
    queue_url = stack.sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    for name, value in {
        **stack.environ,
        "SUBSCRIPTIONS_TABLE": SUBSCRIPTIONS_TABLE,
        "DEAD_LETTER_QUEUE_URL": queue_url,
        "ZIPPEX_API_URL": api[0],
    }.items():
        monkeypatch.setenv(name, value)
    handler = load_function("HealthFunction").handler
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert handler(event, LambdaContext()) == {
        "checked": 1,
        "changed": 1,
        "unhealthy": 0,
        "statuses": {"zippex/demo": "healthy"},
    }
    stack.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"requestContext": {}}))
    assert handler(event, LambdaContext())["statuses"] == {"zippex/demo": "degraded"}


def test_registry_create_list_delete(registry: SubscriptionRegistry) -> None:
    registry.create(
        Subscription(
            provider="zippex",
            subscription="prod",
            webhook_id="wh_1",
            contact="ops@example.com",
            expected_events=("delivery.created",),
        )
    )
    registry.create(Subscription(provider="zinc", subscription="prod"))
    with pytest.raises(SubscriptionExists):
        registry.create(Subscription(provider="zinc", subscription="prod"))
    assert [s.subscription for s in registry.list(provider="zippex")] == ["prod"]
    record = registry.get("zippex", "prod")
    assert (record.webhook_id, record.contact, record.expected_events) == (
        "wh_1",
        "ops@example.com",
        ("delivery.created",),
    )
    registry.delete("zippex", "prod")
    with pytest.raises(SubscriptionNotFound):
        registry.delete("zippex", "prod")
    assert [s.provider for s in registry.list()] == ["zinc"]


def test_subscriptions_script(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    script = load_file("subscriptions_script", ROOT / "scripts" / "subscriptions.py")
    table = ["--table", SUBSCRIPTIONS_TABLE]
    assert (
        script.main(
            [*table, "create", "zippex", "prod", "--webhook-id", "wh_1", "--event", "delivery.created"]
        )
        == 0
    )
    assert script.main([*table, "create", "zippex", "prod"]) == 1
    capsys.readouterr()
    assert script.main([*table, "list"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["webhook_id"] == "wh_1"
    assert script.main([*table, "delete", "zippex", "prod"]) == 0
    assert script.main([*table, "delete", "zippex", "prod"]) == 1


def test_zippex_registration_returns_the_secret_once(api: tuple[str, ProviderState]) -> None:
    url, state = api
    client = ZippexApi(url, state.zippex_key, JsonHttpClient(timeout_seconds=1))
    created = client.create_webhook("https://x/webhooks/zippex/prod", ["*"], "hookbridge")
    assert created["secret"] == state.created_secret
    assert [h["id"] for h in client.list_webhooks()] == [created["id"]]
    assert "secret" not in client.list_webhooks()[0]
    with pytest.raises(ProviderApiError, match="HTTP 401"):
        ZippexApi(url, "wrong", JsonHttpClient(timeout_seconds=1)).list_webhooks()


def test_a_message_that_names_no_stream_batch_degrades_every_subscription(
    stack: Stack, make_checker: Any, two_subscriptions: None, dead_letter_queue: str
) -> None:
    stack.sqs.send_message(QueueUrl=dead_letter_queue, MessageBody='{"not": "an on-failure message"}')
    assert statuses(make_checker()) == {"zinc/demo": "degraded", "zencargo/demo": "degraded"}


# --- new subscriptions (issue 29)


def test_subscriptions_made_just_now_are_new_and_no_change_is_published(
    stack: Stack, make_checker: Any, registry: SubscriptionRegistry, ingest_function: Any
) -> None:
    """Issue 29: seconds after subscriptions were made, `hookbridge health` called all of them silent and
    published a "Subscription Health Changed" for each."""
    names = ("zinc", "zencargo", "zippex")
    for provider in names:
        stack.add_secret(provider, "demo", demo_secret(provider))
        registry.create(Subscription(provider=provider, subscription="demo", quiet_period_seconds=3600))
    checker = make_checker()
    assert statuses(checker) == {f"{p}/demo": "new" for p in names}
    assert health_events(stack) == []
    assert registry.get("zinc", "demo").health.reasons[0].startswith("made ")
    assert statuses(checker) == {f"{p}/demo": "new" for p in names}
    assert health_events(stack) == []

    store_event(ingest_function, "zinc", "status_updated")  # its first event: leaving new is published
    assert statuses(checker)["zinc/demo"] == "healthy"
    [change] = health_events(stack)
    assert (change["subscription"], change["status"], change["previous_status"]) == ("demo", "healthy", "new")

    an_hour_and_a_minute_on = datetime.now(UTC) + timedelta(seconds=3660)  # none came for the others
    later = make_checker(now=an_hour_and_a_minute_on)
    assert statuses(later) == {"zinc/demo": "silent", "zencargo/demo": "silent", "zippex/demo": "silent"}
    assert sorted((e["provider"], e["previous_status"]) for e in health_events(stack)) == [
        ("zencargo", "new"),
        ("zinc", "healthy"),
        ("zippex", "new"),
    ]
    assert registry.get("zippex", "demo").health.reasons[0].startswith("no event stored since it was made ")


def test_new_subscriptions_raise_no_alarm(
    stack: Stack, zippex_sub: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduled function: a new subscription is not unhealthy (UnhealthySubscriptionsAlarm)."""
    queue_url = stack.sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    for name, value in {
        **stack.environ,
        "SUBSCRIPTIONS_TABLE": SUBSCRIPTIONS_TABLE,
        "DEAD_LETTER_QUEUE_URL": queue_url,
        "ZIPPEX_API_URL": api[0],
    }.items():
        monkeypatch.setenv(name, value)
    handler = load_function("HealthFunction").handler
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert handler(event, LambdaContext()) == {
        "checked": 1,
        "changed": 1,
        "unhealthy": 0,
        "statuses": {"zippex/demo": "new"},
    }


def test_a_record_without_created_at_is_handled_as_of_unknown_age(
    stack: Stack, make_checker: Any, registry: SubscriptionRegistry
) -> None:
    """A record written without created_at (by hand, or a tool of before) is read with none, not as made
    now: it would otherwise be new on every check and its silence never said."""
    stack.add_secret("zinc", "demo", demo_secret("zinc"))
    stack.dynamodb.put_item(
        TableName=SUBSCRIPTIONS_TABLE,
        Item={
            "provider": {"S": "zinc"},
            "subscription": {"S": "demo"},
            "quiet_period_seconds": {"N": "3600"},
        },
    )
    record = registry.get("zinc", "demo")
    assert (record.created_at, record.made_at()) == (None, None)
    assert statuses(make_checker()) == {"zinc/demo": "silent"}
    assert registry.get("zinc", "demo").health.reasons == ("no event stored; normal quiet period is 3600 s",)
    assert (
        "created_at"
        not in stack.dynamodb.get_item(
            TableName=SUBSCRIPTIONS_TABLE, Key={"provider": {"S": "zinc"}, "subscription": {"S": "demo"}}
        )["Item"]
    )


def test_a_created_record_has_created_at(registry: SubscriptionRegistry, stack: Stack) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    registry.create(Subscription(provider="zinc", subscription="prod"))
    item = stack.dynamodb.get_item(
        TableName=SUBSCRIPTIONS_TABLE, Key={"provider": {"S": "zinc"}, "subscription": {"S": "prod"}}
    )["Item"]
    made = registry.get("zinc", "prod").made_at()
    assert made is not None
    assert before <= made <= datetime.now(UTC)
    assert item["created_at"]["S"] == made.isoformat()
