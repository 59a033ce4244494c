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
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.config import Config
from hookbridge_cli.local import LambdaContext
from hookbridge_cli.samples import demo_secret, load_event, sample_names
from hookbridge_cli.template import resource, template

from bench import warm
from bench.fakes import Calls, item_size
from hookbridge import providers
from hookbridge.aws.secrets import SubscriptionSecret
from hookbridge.samples import fresh_event

# ---------------------------------------------------------------- AWS list prices, us-east-1, USD
API_GATEWAY_HTTP_PER_MILLION = 1.00  # first 300 M requests a month; metered per 512 KB
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.625  # on-demand
DYNAMODB_STORAGE_PER_GB_MONTH = 0.25
DYNAMODB_PITR_PER_GB_MONTH = 0.20
EVENTBRIDGE_PER_MILLION_EVENTS = 1.00  # custom events, per 64 KB chunk
CLOUDWATCH_LOGS_PER_GB = 0.50  # ingestion
PRICES_READ = "2026-11"

# ---------------------------------------------------------------- assumptions (not measurable here)
DYNAMODB_ROUND_TRIP_MS = 5.0  # PutItem from Lambda in the same region, typical
EVENTBRIDGE_ROUND_TRIP_MS = 15.0  # PutEvents, typical
MB_PER_VCPU = 1769  # Lambda gives one vCPU's worth of CPU at 1,769 MB, proportionally below
# One API Gateway access-log line (our format) and Lambda's JSON platform.start + platform.report records.
LOG_BYTES_PER_WEBHOOK = 260 + 550
# The publisher at its worst: traffic so quiet that every stream batch holds one record.
PUBLISHER_RECORDS_PER_INVOCATION = 1
DYNAMODB_ITEM_OVERHEAD_BYTES = 100  # storage, per item in the table and in each index


@dataclass
class ProviderWrites:
    provider: str
    samples: int
    body_bytes: int  # median sample
    item_bytes: int  # median stored item
    index_bytes: int
    write_units: list[int]  # per sample: table + index

    @property
    def median_write_units(self) -> float:
        return statistics.median(self.write_units)


def _index_projection() -> tuple[str, ...]:
    [index] = resource("EventsTable")["Properties"]["GlobalSecondaryIndexes"]
    keys = tuple(k["AttributeName"] for k in index["KeySchema"])
    return ("pk", *keys, *index["Projection"].get("NonKeyAttributes", []))


def provider_writes(provider_name: str) -> ProviderWrites:
    """Every sample of the provider through its real handler (re-signed for now), each stored item sized
    as DynamoDB sizes it."""
    provider = providers.load(provider_name)
    secret = SubscriptionSecret.model_validate(demo_secret(provider_name))
    projected = _index_projection()
    bodies, items, indexes, units = [], [], [], []
    with contextlib.redirect_stdout(io.StringIO()):  # the function's own output, as in warm.measure
        for name in sample_names(provider_name):
            # A table of its own per sample: two samples can be one event (Zinc's order_placed is
            # request_succeeded), and each is sized as a first delivery.
            handler, dynamodb = warm.our_handler(provider_name, Calls())
            event = fresh_event(load_event(provider_name, name), provider, secret)
            if handler(event, LambdaContext())["statusCode"] != 200 or len(dynamodb.items) != 1:
                raise AssertionError(f"{provider_name} sample {name} was not stored")
            [item] = dynamodb.items.values()
            index_item = {k: v for k, v in item.items() if k in projected}
            bodies.append(len((event.get("body") or "").encode()))
            items.append(item_size(item))
            indexes.append(item_size(index_item))
            units.append(math.ceil(items[-1] / 1024) + math.ceil(indexes[-1] / 1024))
    return ProviderWrites(
        provider=provider_name,
        samples=len(bodies),
        body_bytes=int(statistics.median(bodies)),
        item_bytes=int(statistics.median(items)),
        index_bytes=int(statistics.median(indexes)),
        write_units=units,
    )


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


def botocore_put_item_us(iterations: int = 300) -> float:
    """botocore's own CPU for one PutItem (serialise, sign, parse), its HTTP answered in-process."""
    dummy = "bench-not-a-credential"  # signing needs some; nothing leaves the process
    client = boto3.session.Session(
        aws_access_key_id=dummy, aws_secret_access_key=dummy, region_name="us-east-1"
    ).client("dynamodb", config=Config(retries={"total_max_attempts": 1}))

    def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, HTTPHeaders(), _Raw())

    client.meta.events.register("before-send.dynamodb.PutItem", answer)  # type: ignore[arg-type]
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


@dataclass
class CostLine:
    what: str
    per_million: float
    basis: str


def cost_per_million(writes: ProviderWrites, ours_us: float, botocore_us: float) -> list[CostLine]:
    globals_ = template()["Globals"]["Function"]
    memory_mb = int(globals_["MemorySize"])
    retention_days = int(template()["Parameters"]["RetentionDays"]["Default"])
    gb = memory_mb / 1024
    cpu_scale = MB_PER_VCPU / memory_mb  # one core here is this many times Lambda's share at memory_mb
    ingest_ms = math.ceil((ours_us + botocore_us) * cpu_scale / 1000 + DYNAMODB_ROUND_TRIP_MS)
    publisher_ms = math.ceil(botocore_us * cpu_scale / 1000 + EVENTBRIDGE_ROUND_TRIP_MS)
    units = writes.median_write_units
    stored_gb = (writes.item_bytes + writes.index_bytes + 2 * DYNAMODB_ITEM_OVERHEAD_BYTES) * 1e6 / 1e9
    months_kept = retention_days / 30
    per_invocation = LAMBDA_PER_MILLION_REQUESTS
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
            stored_gb * months_kept * (DYNAMODB_STORAGE_PER_GB_MONTH + DYNAMODB_PITR_PER_GB_MONTH),
            f"{stored_gb:.2f} GB kept {retention_days} days",
        ),
        CostLine(
            "Lambda, publisher",
            (per_invocation + publisher_ms / 1000 * gb * LAMBDA_ARM64_PER_GB_SECOND * 1e6)
            / PUBLISHER_RECORDS_PER_INVOCATION,
            f"worst case: 1 record a batch, {publisher_ms} ms billed",
        ),
        CostLine("EventBridge", EVENTBRIDGE_PER_MILLION_EVENTS, "1 custom event (under 64 KB)"),
        CostLine(
            "CloudWatch Logs",
            LOG_BYTES_PER_WEBHOOK * 1e6 / 1e9 * CLOUDWATCH_LOGS_PER_GB,
            f"~{LOG_BYTES_PER_WEBHOOK} B: access log + Lambda platform records; none of ours",
        ),
    ]
