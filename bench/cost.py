"""Write units for each provider's typical payloads (the samples in events/, stored by the real handler) and
a cost per million accepted webhooks at AWS list prices, from figures measured in this run.

What is measured here: item and index sizes, our warm-path time (bench.warm) and botocore's own CPU for one
PutItem. What is not, and is stated as an assumption: network latency, Lambda's CPU share, log line sizes.
"""

from __future__ import annotations

import contextlib
import io
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hookbridge_cli.local.lambda_events import LambdaContext
from hookbridge_cli.samples import demo_secret, forged_secret, load_event, sample_names
from hookbridge_cli.template import deployment, source

from bench import warm
from bench.fakes import (
    Calls,
    FakeDynamoDB,
    FakeSecrets,
    FakeSecretsManagerList,
    in_process_dynamodb,
    item_size,
)
from hookbridge import providers
from hookbridge.aws.known_subscriptions import KnownSubscriptions, KnownSubscriptionSecrets
from hookbridge.aws.rejections import RejectionCounter
from hookbridge.aws.secrets import SecretStore
from hookbridge.aws.storage import DynamoEventStore
from hookbridge.ingest.handler import build_ingest_handler
from hookbridge.model import StoredEvent
from hookbridge.publishing.publisher import build_envelope, build_envelopes
from hookbridge.samples import fresh_event
from hookbridge.settings import IngestSettings
from hookbridge.subscription import SubscriptionSecret

# ---------------------------------------------------------------- AWS list prices, us-east-1, USD
API_GATEWAY_HTTP_PER_MILLION = 1.00  # first 300 M requests a month; metered per 512 KB
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.625  # on-demand
DYNAMODB_STORAGE_PER_GB_MONTH = 0.25
DYNAMODB_PITR_PER_GB_MONTH = 0.20
# Pre-warming (WarmThroughput, the PrewarmWriteUnits parameter) is billed once, for the write units/s set
# above what the table or index already takes. Its own list price was not in the sources this model was built
# from, so it is priced as the developer guide's way to pre-warm an on-demand table without it ("Pre-warming a
# table for on-demand capacity mode"): provisioned mode at the peak, billed for its first hour, at the
# provisioned price of a write capacity unit. Check the pricing page's warm throughput figure before relying
# on it.
DYNAMODB_PROVISIONED_PER_WCU_HOUR = 0.00065
EVENTBRIDGE_PER_MILLION_EVENTS = 1.00  # custom events, per 64 KB chunk
EVENTBRIDGE_ARCHIVE_PER_GB = 0.10  # events archived (processed)
EVENTBRIDGE_ARCHIVE_PER_GB_MONTH = 0.023  # archive storage
CLOUDWATCH_LOGS_PER_GB = 0.50  # ingestion
SECRETS_MANAGER_PER_10K_CALLS = 0.05  # API calls, GetSecretValue and ListSecrets alike
PRICES_READ = "2026-11"

# What no implementation of the design avoids, per webhook: the API request, the ingest invocation, one write
# unit for the item and one for its index entry, the event on the bus.
FLOOR_PER_MILLION = (
    API_GATEWAY_HTTP_PER_MILLION
    + LAMBDA_PER_MILLION_REQUESTS
    + 2 * DYNAMODB_PER_MILLION_WRITE_UNITS
    + EVENTBRIDGE_PER_MILLION_EVENTS
)

# ---------------------------------------------------------------- assumptions (not measurable here)
DYNAMODB_ROUND_TRIP_MS = 5.0  # PutItem from Lambda in the same region, typical
EVENTBRIDGE_ROUND_TRIP_MS = 15.0  # PutEvents, typical
MB_PER_VCPU = 1769  # Lambda gives one vCPU's worth of CPU at 1,769 MB, proportionally below
# Typical values of the access log's $context variables, to size one line in the template's format.
ACCESS_LOG_CONTEXT = {
    "requestId": "JxYZ1gMmjoEEJcw=",
    "path": "/webhooks/zippex/prod",
    "status": "200",
    "responseLatency": "23",
    "integrationErrorMessage": "-",
    "identity.sourceIp": "203.0.113.10",
    "requestTime": "25/Nov/2026:07:10:00 +0000",
    "routeKey": "POST /webhooks/zippex/{subscription}",
}
CLOUDWATCH_LOGS_EVENT_OVERHEAD_BYTES = 26  # billed per log event besides its message
PLATFORM_LOG_BYTES = 550  # Lambda's JSON platform.start + platform.report records, when not filtered out
# The publisher's two extremes: traffic so quiet that every stream batch holds one record, and a busy
# stream (BUSY_PER_SECOND webhooks/s) whose batches fill for the template's batching window, spread over
# its parallelization factor.
BUSY_PER_SECOND = 100
STREAM_POLL_SECONDS = 0.25  # Lambda's base polling rate for a DynamoDB stream shard: 4 a second
DYNAMODB_ITEM_OVERHEAD_BYTES = 100  # storage, per item in the table and in each index
EVENTBRIDGE_EVENT_OVERHEAD_BYTES = 300  # id, account, region, time, resources around source/type/detail


@dataclass
class ProviderWrites:
    provider: str
    samples: int
    body_bytes: int  # median sample
    item_bytes: int  # median stored item
    index_bytes: int
    event_bytes: int  # median event on the bus, as the archive keeps it
    write_units: list[int]  # per sample: table + index

    @property
    def median_write_units(self) -> float:
        return statistics.median(self.write_units)


def _index_projection() -> tuple[str, ...]:
    [index] = deployment().resource("EventsTable")["Properties"]["GlobalSecondaryIndexes"]
    keys = tuple(k["AttributeName"] for k in index["KeySchema"])
    return ("pk", *keys, *index["Projection"].get("NonKeyAttributes", []))


def stored_sample_names(provider_name: str) -> list[str]:
    """The samples that are webhooks to store: not a handshake (answered, never stored)."""
    handshakes = [h.name for h in providers.load(provider_name).handshakes]
    return [
        name
        for name in sample_names(provider_name)
        if not any(name == h or name.endswith(h) for h in handshakes)
    ]


def provider_writes(provider_name: str) -> ProviderWrites:
    """Every sample of the provider through its real handler (re-signed for now), each stored item sized
    as DynamoDB sizes it."""
    provider = providers.load(provider_name)
    secret = SubscriptionSecret.model_validate(demo_secret(provider_name))
    projected = _index_projection()
    bodies, items, indexes, events, units = [], [], [], [], []
    with contextlib.redirect_stdout(io.StringIO()):  # the function's own output, as in warm.measure
        for name in stored_sample_names(provider_name):
            # A table of its own per sample: two samples can be one event (Zinc's order_placed is
            # request_succeeded), and each is sized as a first delivery.
            handler, dynamodb = warm.our_handler(provider_name, Calls())
            event = fresh_event(load_event(provider_name, name), provider, secret)
            status = handler(event, LambdaContext())["statusCode"]
            if not 200 <= status < 300 or len(dynamodb.items) != 1:  # Discord's own answer is 204
                raise AssertionError(f"{provider_name} sample {name} was not stored")
            [item] = dynamodb.items.values()
            index_item = {k: v for k, v in item.items() if k in projected}
            bodies.append(len((event.get("body") or "").encode()))
            items.append(item_size(item))
            indexes.append(item_size(index_item))
            envelope = build_envelope(
                item["pk"]["S"], StoredEvent.from_stream_image(item), prefix="hookbridge", bus="b", table="t"
            )
            events.append(envelope.size + EVENTBRIDGE_EVENT_OVERHEAD_BYTES)
            # The publisher's claims (an item signed on its own, a token-signed event's id): a write unit
            # each, with no index (hookbridge.aws.storage.DynamoElementClaims).
            stored = StoredEvent.from_stream_image(item)
            claims = sum(
                1
                for e in build_envelopes(item["pk"]["S"], stored, prefix="hookbridge", bus="b", table="t")
                if e.claim_key
            )
            # Content remembered for a window (Zencargo, Dropbox) is one transaction: its put billed twice,
            # and its condition on the previous slot's item twice that item's units (a thin pointer: one).
            transactional = "#t" in item["pk"]["S"]
            put_units = math.ceil(items[-1] / 1024)
            table_units = 2 * put_units + 2 if transactional else put_units
            units.append(table_units + math.ceil(indexes[-1] / 1024) + claims)
    return ProviderWrites(
        provider=provider_name,
        samples=len(bodies),
        body_bytes=int(statistics.median(bodies)),
        item_bytes=int(statistics.median(items)),
        index_bytes=int(statistics.median(indexes)),
        event_bytes=int(statistics.median(events)),
        write_units=units,
    )


def botocore_put_item_us(iterations: int = 300) -> float:
    """botocore's own CPU for one PutItem (serialise, sign, parse), its HTTP answered in-process."""
    client = in_process_dynamodb()
    item: dict[str, Any] = {
        "pk": {"S": "zippex#prod#id#evt_1"},
        "payload": {"B": b"x" * 1024},
        "n": {"N": "1"},
    }
    timings = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        client.put_item(
            TableName="events",
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        timings.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(timings[iterations // 10 :])


def prewarm_cost(write_units: float, warm_now: float, indexes: int = 1) -> float:
    """One-time price of pre-warming the table and its ``indexes`` to ``write_units``/s each, from
    ``warm_now`` (a new on-demand table's start, or what they reached)."""
    return (1 + indexes) * max(0.0, write_units - warm_now) * DYNAMODB_PROVISIONED_PER_WCU_HOUR


@dataclass
class CostLine:
    what: str
    per_million: float
    basis: str


def publisher_records_per_batch(per_second: float) -> float:
    """Records in one publisher invocation at a steady rate, from the template's event source mapping: the
    batching window fills a batch up to its size, and the shard's records are spread over the
    parallelization factor's concurrent batches."""
    stream = deployment().resource("PublisherFunction")["Properties"]["Events"]["Stream"]["Properties"]
    # Without a batching window a batch still gathers what arrived since the last poll: Lambda polls a
    # stream's shards at a base rate of four times a second.
    window = max(float(stream.get("MaximumBatchingWindowInSeconds", 0)), STREAM_POLL_SECONDS)
    per_batch = per_second * window / int(stream.get("ParallelizationFactor", 1))
    return max(1.0, min(float(stream["BatchSize"]), per_batch))


def access_log_bytes(**context: str) -> int:
    """One access-log line in the template's format, as CloudWatch Logs bills it (``context``: values other
    than the typical ones, e.g. a refusal's status and path)."""
    line = deployment().resource("HttpApi")["Properties"]["AccessLogSettings"]["Format"]
    values = {**ACCESS_LOG_CONTEXT, **context}
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        line = line.replace(f"$context.{name}", value)
    if "$context." in line:
        raise AssertionError(f"no typical value for a variable of the access log format: {line}")
    return len(line.encode()) + CLOUDWATCH_LOGS_EVENT_OVERHEAD_BYTES


def publisher_memory_mb() -> int:
    own = deployment().resource("PublisherFunction")["Properties"].get("MemorySize")
    return int(own or source()["Globals"]["Function"]["MemorySize"])


def platform_logs_filtered() -> bool:
    """Lambda's own START/REPORT records are INFO; a system log level of WARN keeps them out."""
    logging_config = source()["Globals"]["Function"].get("LoggingConfig", {})
    return bool(logging_config.get("SystemLogLevel") == "WARN")


def archive_on_by_default() -> bool:
    return bool(source()["Parameters"]["ArchiveEvents"]["Default"] == "true")


def cost_per_million(
    writes: ProviderWrites, ours_us: float, botocore_us: float, records_per_batch: float = 1.0
) -> list[CostLine]:
    globals_ = source()["Globals"]["Function"]
    memory_mb = int(globals_["MemorySize"])
    retention_days = int(source()["Parameters"]["RetentionDays"]["Default"])
    gb = memory_mb / 1024
    cpu_scale = MB_PER_VCPU / memory_mb  # one core here is this many times Lambda's share at memory_mb
    ingest_ms = math.ceil((ours_us + botocore_us) * cpu_scale / 1000 + DYNAMODB_ROUND_TRIP_MS)
    publisher_gb = publisher_memory_mb() / 1024
    publisher_ms = math.ceil(
        botocore_us * MB_PER_VCPU / publisher_memory_mb() / 1000 + EVENTBRIDGE_ROUND_TRIP_MS
    )
    units = writes.median_write_units
    table_gb = (writes.item_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) * 1e6 / 1e9
    index_gb = (writes.index_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) * 1e6 / 1e9
    archived_gb = writes.event_bytes * 1e6 / 1e9
    months_kept = retention_days / 30
    per_invocation = LAMBDA_PER_MILLION_REQUESTS
    platform_logs = not platform_logs_filtered()
    archive = archived_gb * (EVENTBRIDGE_ARCHIVE_PER_GB + months_kept * EVENTBRIDGE_ARCHIVE_PER_GB_MONTH)
    archived = archive_on_by_default()
    log_bytes = access_log_bytes() + (PLATFORM_LOG_BYTES if platform_logs else 0)
    return [
        CostLine("API Gateway HTTP API", API_GATEWAY_HTTP_PER_MILLION, "1 request (under 512 KB)"),
        CostLine(
            "Lambda, ingest",
            per_invocation + ingest_ms / 1000 * gb * LAMBDA_ARM64_PER_GB_SECOND * 1e6,
            f"1 invocation, {ingest_ms} ms billed at {memory_mb} MB arm64",
        ),
        CostLine(
            "DynamoDB writes",
            units * DYNAMODB_PER_MILLION_WRITE_UNITS,
            f"{units:g} write units (item {writes.item_bytes} B + index {writes.index_bytes} B)",
        ),
        CostLine(
            "DynamoDB storage and PITR",
            months_kept
            * (
                (table_gb + index_gb) * DYNAMODB_STORAGE_PER_GB_MONTH
                + table_gb * DYNAMODB_PITR_PER_GB_MONTH  # PITR backs up the table, not its global indexes
            ),
            f"{table_gb + index_gb:.2f} GB kept {retention_days} days, PITR on the table's {table_gb:.2f}",
        ),
        CostLine(
            "Lambda, publisher",
            (per_invocation + publisher_ms / 1000 * publisher_gb * LAMBDA_ARM64_PER_GB_SECOND * 1e6)
            / records_per_batch,
            f"{records_per_batch:g} record(s) a batch, {publisher_ms} ms billed at "
            f"{publisher_memory_mb()} MB",
        ),
        CostLine("EventBridge", EVENTBRIDGE_PER_MILLION_EVENTS, "1 custom event (under 64 KB)"),
        CostLine(
            "EventBridge archive",
            archive if archived else 0.0,
            f"{archived_gb:.2f} GB archived, kept {retention_days} days"
            if archived
            else f"off by default (ArchiveEvents); ${archive:.2f} when on",
        ),
        CostLine(
            "CloudWatch Logs",
            log_bytes * 1e6 / 1e9 * CLOUDWATCH_LOGS_PER_GB,
            f"~{log_bytes} B: the access log"
            + (" + Lambda platform records" if platform_logs else "")
            + "; none of ours",
        ),
    ]


# ---------------------------------------------------------------- the price of an attack
# A flood of forged requests, as bench.cost.attack simulates it: this many a second in all, spread by Lambda
# over this many function instances. What an instance spends at most once an interval (a listing of the
# subscriptions, a metrics line, a rejection count, a secret read again) is paid per instance, so the fewer
# requests an instance gets, the more of it each request carries: 100 a second per instance is stated, not
# measured.
ATTACK_PER_SECOND = 1000
ATTACK_INSTANCES = 10
ATTACK_TARGET_PER_MILLION = 1.30
# The two kinds the issue priced: invented subscription names (404) and bad signatures on a real one (401).
ATTACKS = {"invented names": 404, "bad signatures": 401}
ATTACK_REQUESTS = 20_000  # simulated at one instance's share of the flood: 200 s of it
# Every sender's bad signatures: fewer each (a minute of one instance's share), as the public-key senders
# take milliseconds a request.
SENDER_ATTACK_REQUESTS = 6_000


@dataclass
class AttackRun:
    kind: str
    requests: int
    status: int
    ours_p50_us: float  # our handler's time per forged request, warm
    printed_bytes: int  # our log and metric lines over the run, as CloudWatch Logs bills them
    calls: Calls  # every AWS call over the run
    seconds: float  # simulated


def attack(kind: str, provider: str = "zippex", requests: int = ATTACK_REQUESTS) -> AttackRun:
    """One ingest instance's share of a flood of forged requests, through the real handler: its AWS calls
    counted over the simulated time (the intervals that bound them run on a simulated clock), its output
    measured in bytes, its time per request measured for real."""
    status = ATTACKS[kind]
    calls = Calls()
    now = [0.0]

    def clock() -> float:
        return now[0]

    settings = IngestSettings.model_validate(
        {
            "EVENTS_TABLE": "events",
            "SUBSCRIPTIONS_TABLE": "subscriptions",
            "PAYLOAD_BUCKET": "payloads",
            "PROVIDER": provider,
            "LOG_LEVEL": "INFO",
        }
    )
    known = f"{settings.prefix}/{provider}/demo"
    secrets = KnownSubscriptionSecrets(
        KnownSubscriptions(
            FakeSecretsManagerList(calls, [known]),  # type: ignore[arg-type]
            settings.prefix,
            provider,
            settings.subscriptions_max_age_seconds,
            settings.subscriptions_miss_interval_seconds,
            clock,
        ),
        SecretStore(
            FakeSecrets(calls, {known: demo_secret(provider)}),
            settings.prefix,
            settings.secret_max_age_seconds,
            settings.secret_not_found_max_age_seconds,
            clock,
        ),
    )
    dynamodb = FakeDynamoDB(calls)
    handler: Callable[..., dict[str, Any]] = build_ingest_handler(
        providers.load(provider),
        settings,
        secrets,
        DynamoEventStore(dynamodb, "events"),  # type: ignore[arg-type]
        RejectionCounter(dynamodb, "subscriptions", settings.rejection_flush_seconds, clock),  # type: ignore[arg-type]
        clock=clock,
    )
    # Signed as the sender signs, with keys that are not the subscription's (a forger's, in its layout).
    forged_with = forged_secret(provider)
    base = load_event(provider, stored_sample_names(provider)[0])
    template = fresh_event(base, providers.load(provider), SubscriptionSecret.model_validate(forged_with))
    per_instance = ATTACK_PER_SECOND / ATTACK_INSTANCES
    timings: list[float] = []
    context = LambdaContext()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        for n in range(requests):
            now[0] = n / per_instance
            name = f"tenant-{n:06d}" if status == 404 else "demo"
            event = {  # the sample's path with this subscription (Zinc's type segment kept)
                **template,
                "pathParameters": {**template.get("pathParameters", {}), "subscription": name},
                "rawPath": template["rawPath"].replace(f"/{provider}/demo", f"/{provider}/{name}", 1),
            }
            start = time.perf_counter_ns()
            answer = handler(event, context)["statusCode"]
            timings.append((time.perf_counter_ns() - start) / 1000)
            if answer != status:
                raise AssertionError(f"{kind}: answered {answer}, not {status}")
        now[0] = requests / per_instance
    lines = printed.getvalue().splitlines()
    return AttackRun(
        kind=kind,
        requests=requests,
        status=status,
        ours_p50_us=statistics.median(timings[len(timings) // 10 :]),
        printed_bytes=sum(len(line.encode()) + CLOUDWATCH_LOGS_EVENT_OVERHEAD_BYTES for line in lines),
        calls=calls,
        seconds=requests / per_instance,
    )


def attack_cost_per_million(run: AttackRun, provider: str = "zippex") -> list[CostLine]:
    """The bill of a million forged requests of the run's kind, item by item."""
    memory_mb = int(source()["Globals"]["Function"]["MemorySize"])
    cpu_scale = MB_PER_VCPU / memory_mb
    billed_ms = max(1, math.ceil(run.ours_p50_us * cpu_scale / 1000))  # Lambda bills each 1 ms begun
    per_million = 1e6 / run.requests
    secrets_calls = run.calls["secretsmanager.ListSecrets"] + run.calls["secretsmanager.GetSecretValue"]
    writes = run.calls["dynamodb.PutItem"] + run.calls["dynamodb.UpdateItem"]
    path = f"/webhooks/{provider}/" + ("tenant-000000" if run.status == 404 else "demo")
    access = access_log_bytes(status=str(run.status), path=path, responseLatency="3")
    listed, read = run.calls["secretsmanager.ListSecrets"], run.calls["secretsmanager.GetSecretValue"]
    return [
        CostLine("API Gateway HTTP API", API_GATEWAY_HTTP_PER_MILLION, "1 request"),
        CostLine("Lambda, ingest: invocation", LAMBDA_PER_MILLION_REQUESTS, "1 invocation"),
        CostLine(
            "Lambda, ingest: duration",
            billed_ms / 1000 * memory_mb / 1024 * LAMBDA_ARM64_PER_GB_SECOND * 1e6,
            f"{billed_ms} ms billed at {memory_mb} MB arm64 (ours {run.ours_p50_us:.0f} µs, no AWS call)",
        ),
        CostLine(
            "CloudWatch Logs: access log",
            access * 1e6 / 1e9 * CLOUDWATCH_LOGS_PER_GB,
            f"~{access} B: the API's line for the {run.status}",
        ),
        CostLine(
            "CloudWatch Logs: ours",
            run.printed_bytes * per_million / 1e9 * CLOUDWATCH_LOGS_PER_GB,
            f"{run.printed_bytes / run.requests:.1f} B a request: a metrics line a minute an instance, "
            "no log line",
        ),
        CostLine(
            "Secrets Manager",
            secrets_calls * per_million / 10_000 * SECRETS_MANAGER_PER_10K_CALLS,
            f"{listed * per_million:,.0f} ListSecrets + {read * per_million:,.0f} GetSecretValue a million "
            f"({ATTACK_INSTANCES} instances sharing {ATTACK_PER_SECOND:,}/s)",
        ),
        CostLine(
            "DynamoDB writes",
            writes * per_million * DYNAMODB_PER_MILLION_WRITE_UNITS / 1e6,
            f"{writes * per_million:,.0f} a million: the rejections' count, once a minute an instance",
        ),
    ]
