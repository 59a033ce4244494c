"""Scale on paper: where the pipeline saturates first for two load shapes, the lag from API to bus, and the
cost, for the template's publisher settings and for the ones this model recommends; and, for DynamoDB's
on-demand warm throughput, on a fresh deployment and on one whose table and index have seen the peak before.

A model, not a measurement: AWS limits are stated constants (each with its source); per-webhook write units
and CPU come from bench/cost.py's measurements of the real handler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hookbridge_cli.template import deployment, source

from bench.cost import (
    API_GATEWAY_HTTP_PER_MILLION,
    DYNAMODB_PER_MILLION_WRITE_UNITS,
    DYNAMODB_ROUND_TRIP_MS,
    EVENTBRIDGE_PER_MILLION_EVENTS,
    EVENTBRIDGE_ROUND_TRIP_MS,
    LAMBDA_ARM64_PER_GB_SECOND,
    LAMBDA_PER_MILLION_REQUESTS,
    prewarm_cost,
    provider_writes,
    publisher_memory_mb,
)

# DynamoDB: one partition takes at most 1,000 write units/s, in the table and in a GSI alike; a GSI that
# cannot keep up throttles the base table's writes (DynamoDB developer guide, "Partitions and data
# distribution" and "GSI write throttling").
PARTITION_WCU_PER_S = 1000
# DynamoDB on-demand: a new table sustains up to 4,000 writes/s at first, and a new global secondary index the
# same (its warm throughput: "Initial throughput and scaling properties" and "Understanding DynamoDB warm
# throughput", DynamoDB developer guide; the index's default is in the latter's scenarios). A table or index
# then takes up to double its previous peak at once, and may throttle when traffic passes double the previous
# peak within 30 minutes; a warm throughput set ahead (WarmThroughput, the PrewarmWriteUnits parameter) is
# taken at once. Every webhook writes the table and the index, so both must keep up.
ON_DEMAND_INITIAL_WRITE_UNITS = 4000
ON_DEMAND_PEAK_MULTIPLE = 2
ON_DEMAND_DOUBLING_S = 30 * 60
# DynamoDB: default per-table quota for an on-demand table, and for each of its global secondary indexes:
# 40,000 write request units/s, raisable ("Throughput default quotas", DynamoDB developer guide).
TABLE_WRITE_QUOTA = 40_000
# DynamoDB Streams: one shard per table partition, so at most ~1,000 writes/s land on one shard.
STREAM_SHARD_WRITES_PER_S = 1000
# Lambda polls each stream shard about 4 times a second (Lambda developer guide, DynamoDB event sources).
STREAM_POLL_INTERVAL_S = 0.25
# Lambda: ParallelizationFactor is 1-10 concurrent batches per shard (Lambda developer guide).
MAX_PARALLELIZATION = 10
# EventBridge PutEvents: 10 entries a call; default 10,000 calls/s in us-east-1 (2,400 in us-east-2, less
# in smaller regions): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
PUT_EVENTS_ENTRIES_PER_CALL = 10
PUT_EVENTS_CALLS_PER_S = 10_000
# Lambda: 1,000 concurrent executions per account and region by default (Lambda quotas page).
ACCOUNT_CONCURRENCY = 1000
# API Gateway HTTP API: 10,000 requests/s steady, burst 5,000, per account and region (API Gateway quotas).
API_RPS = 10_000
# Per-invocation overhead of the publisher besides its PutEvents calls (parse, envelope, logs): stated.
PUBLISHER_OVERHEAD_MS = 5.0
# Ingest: in-process work on the warm path (bench/warm.py measures ~1-3 ms at 512 MB) plus the PutItem.
INGEST_CPU_MS = 3.0
# Headroom the recommendation keeps over the hottest load it is asked to carry.
HEADROOM = 1.5


@dataclass(frozen=True)
class Scenario:
    name: str
    subscriptions: int
    per_subscription_per_s: float
    seconds: float
    senders: int = 1  # the providers (routes) its subscriptions are spread over, each throttled on its own

    @property
    def rate(self) -> float:
        return self.subscriptions * self.per_subscription_per_s


@dataclass(frozen=True)
class Settings:
    batch_size: int
    window_s: float
    parallelization: int
    index_shards: int = 1  # by_day buckets per subscription-day (the EventIndexShards parameter)


@dataclass(frozen=True)
class Warmth:
    """What DynamoDB on-demand lets the events table and its index each take at once: their warm
    throughput (write units/s; the template's PrewarmWriteUnits, else a new table's start) and the peak
    they reached before (webhooks/s; 0 on a fresh deployment)."""

    label: str
    warm_write_units: float = ON_DEMAND_INITIAL_WRITE_UNITS
    previous_peak: float = 0.0

    def instant_write_units(self, write_units_per_webhook: float) -> float:
        """Write units/s taken at once, before DynamoDB adds capacity (within 30 minutes no more than double
        the previous peak); the per-table quota is a limit of its own."""
        peak = self.previous_peak * write_units_per_webhook
        return max(self.warm_write_units, ON_DEMAND_PEAK_MULTIPLE * peak)


FRESH = Warmth("fresh deployment")


def seen_before(scenario: Scenario) -> Warmth:
    return Warmth("seen the peak before", previous_peak=scenario.rate)


@dataclass(frozen=True)
class Result:
    scenario: str
    settings: Settings
    warmth: Warmth
    accepted_per_s: float
    first_limit: str
    limits: dict[str, float]
    lag_s: float
    publisher_invocations: float
    stored: float  # webhooks stored (and published) over the scenario's run
    table_wcu: float
    index_wcu: float


SCENARIOS = (
    Scenario("1 subscription bursting to 5,000/s for 10 min", 1, 5000, 600),
    Scenario("200 subscriptions at 50/s each", 200, 50, 600, senders=4),  # over the four default providers
)


def route_rate_limit() -> float:
    """Requests a second one provider's route takes: the ProviderRateLimit parameter's default."""
    return float(source()["Parameters"]["ProviderRateLimit"]["Default"])


def template_settings() -> Settings:
    props = deployment().resource("PublisherFunction")["Properties"]["Events"]["Stream"]["Properties"]
    return Settings(
        int(props["BatchSize"]),
        float(props["MaximumBatchingWindowInSeconds"]),
        int(props["ParallelizationFactor"]),
        int(source()["Parameters"]["EventIndexShards"]["Default"]),
    )


def template_warmth(parameters: dict[str, str] | None = None) -> Warmth:
    """The events table's and its index's warm throughput as the template deploys them: the WarmThroughput
    it sets (both the same), else a new on-demand table's start."""
    deployed = deployment(parameters=parameters)
    table = deployed.resource("EventsTable")["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    warm = [part.get("WarmThroughput", {}).get("WriteUnitsPerSecond") for part in (table, index)]
    declared = {str(deployed.value(units)) for units in warm}
    if declared == {"None"}:
        return FRESH
    if len(declared) != 1:
        raise AssertionError(f"the table and its index are pre-warmed differently: {declared}")
    units = float(declared.pop())
    return Warmth(f"pre-warmed to {units:,.0f} WCU/s", warm_write_units=units)


def dynamodb_taken(rate: float, seconds: float, instant: float) -> float:
    """Webhooks/s the table (or the index) takes on average over a run offered ``rate`` for ``seconds``:
    at first what it takes at once (``instant``), and every 30 minutes up to double the peak it reached."""
    capacity, taken, elapsed = instant, 0.0, 0.0
    while elapsed < seconds:
        span = min(ON_DEMAND_DOUBLING_S, seconds - elapsed)
        reached = min(rate, capacity)
        taken, elapsed = taken + reached * span, elapsed + span
        capacity = max(capacity, ON_DEMAND_PEAK_MULTIPLE * reached)
    return taken / seconds


def publisher_duration_s(batch: int) -> float:
    """One invocation: its PutEvents calls run one after another, 10 entries each."""
    calls = math.ceil(batch / PUT_EVENTS_ENTRIES_PER_CALL)
    return (PUBLISHER_OVERHEAD_MS + calls * EVENTBRIDGE_ROUND_TRIP_MS) / 1000


def model(
    scenario: Scenario,
    settings: Settings,
    table_wcu: float = 1,
    index_wcu: float = 1,
    warmth: Warmth | None = None,
) -> Result:
    """``warmth``: DynamoDB's warm throughput (default: the table and index have seen the scenario's peak)."""
    rate = scenario.rate
    warmth = warmth if warmth is not None else seen_before(scenario)
    # Each subscription-day is index_shards GSI partitions at most; the hottest subscription caps the table.
    index_cap = settings.index_shards * PARTITION_WCU_PER_S / index_wcu * scenario.subscriptions
    ingest_s = (INGEST_CPU_MS + DYNAMODB_ROUND_TRIP_MS) / 1000
    # What turns webhooks away (the provider retries them later), so caps what is accepted: webhooks/s.
    limits = {
        "API Gateway 10,000 rps": float(API_RPS),
        "API Gateway route throttle (ProviderRateLimit)": route_rate_limit() * scenario.senders,
        "Lambda concurrency 1,000": ACCOUNT_CONCURRENCY / ingest_s,
        "DynamoDB table partitions": float("inf"),  # on demand, the key spreads: partitions split
        # Taken at once; DynamoDB adds capacity as traffic grows, no more than double the peak in 30 minutes.
        "DynamoDB table warm throughput": warmth.instant_write_units(table_wcu) / table_wcu,
        "DynamoDB index warm throughput": warmth.instant_write_units(index_wcu) / index_wcu,
        "DynamoDB per-table quota 40,000 WCU/s": TABLE_WRITE_QUOTA / max(table_wcu, index_wcu),
        "by_subscription index partition": index_cap,
        "PutEvents calls/s": PUT_EVENTS_CALLS_PER_S * PUT_EVENTS_ENTRIES_PER_CALL * 1.0,
    }
    through = min(rate, *(v for k, v in limits.items() if "warm throughput" not in k))
    stored = accepted = min(
        dynamodb_taken(through, scenario.seconds, limits["DynamoDB table warm throughput"]),
        dynamodb_taken(through, scenario.seconds, limits["DynamoDB index warm throughput"]),
    )
    # The table has the partitions (and its stream the shards) for what it takes, 1,000 write units/s each.
    written = min(rate, limits["DynamoDB table warm throughput"]) * table_wcu
    shards = max(1, math.ceil(written / PARTITION_WCU_PER_S))
    per_shard = stored / shards
    duration = publisher_duration_s(settings.batch_size)
    publisher_cap = shards * settings.parallelization * settings.batch_size / duration
    # Only the publisher's limit delays rather than refuses: a backlog, in the lag below.
    limits["publisher (shards x parallelization)"] = publisher_cap
    first = min(limits, key=lambda k: limits[k])
    saturated = _name(first, limits, warmth, table_wcu, index_wcu) if limits[first] <= rate else None
    # Lag: wait for a batch (full or window), the poll, one invocation; plus any backlog at the burst's end.
    fill_s = min(settings.window_s, settings.batch_size / per_shard) if settings.window_s else 0.0
    lag = STREAM_POLL_INTERVAL_S + fill_s + duration
    if stored > publisher_cap:
        lag += (stored - publisher_cap) * scenario.seconds / publisher_cap
    records_per_invocation = min(
        settings.batch_size, max(1.0, per_shard * max(fill_s, STREAM_POLL_INTERVAL_S))
    )
    return Result(
        scenario.name,
        settings,
        warmth,
        accepted,
        saturated or "nothing (below every limit)",
        limits,
        lag,
        stored * scenario.seconds / records_per_invocation,
        stored * scenario.seconds,
        table_wcu,
        index_wcu,
    )


def _name(first: str, limits: dict[str, float], warmth: Warmth, table_wcu: float, index_wcu: float) -> str:
    """What saturates first, as the table says it: the warm throughput with its figure, table and index
    together when both stop at the same rate."""
    if "warm throughput" not in first:
        return first
    which = first.split()[1]
    units = warmth.instant_write_units(table_wcu if which == "table" else index_wcu)
    if limits["DynamoDB table warm throughput"] == limits["DynamoDB index warm throughput"]:
        which = "table and index"
    return f"DynamoDB warm throughput, {which}: {units:,.0f} WCU/s"


def prewarm_needed(table_wcu: float = 1, index_wcu: float = 1) -> float:
    """Write units/s that let the table and its index take the hottest scenario from its first second."""
    return max(sc.rate * max(table_wcu, index_wcu) for sc in SCENARIOS)


def publisher_cost(result: Result, memory_mb: int) -> float:
    """Publisher Lambda cost for the scenario's run (requests + GB-seconds)."""
    seconds = publisher_duration_s(result.settings.batch_size)
    per_invocation = (
        LAMBDA_PER_MILLION_REQUESTS / 1e6 + seconds * memory_mb / 1024 * LAMBDA_ARM64_PER_GB_SECOND
    )
    return result.publisher_invocations * per_invocation


def run_cost(result: Result, memory_mb: int) -> float:
    """The whole run at bench/cost.py's prices: API, ingest Lambda, DynamoDB writes, PutEvents, publisher."""
    ingest_s = math.ceil(INGEST_CPU_MS + DYNAMODB_ROUND_TRIP_MS) / 1000
    per_webhook = (
        API_GATEWAY_HTTP_PER_MILLION / 1e6
        + LAMBDA_PER_MILLION_REQUESTS / 1e6
        + ingest_s * memory_mb / 1024 * LAMBDA_ARM64_PER_GB_SECOND
        + (result.table_wcu + result.index_wcu) * DYNAMODB_PER_MILLION_WRITE_UNITS / 1e6
        + EVENTBRIDGE_PER_MILLION_EVENTS / 1e6
    )
    return result.stored * per_webhook + publisher_cost(result, publisher_memory_mb())


def recommend(table_wcu: float = 1, index_wcu: float = 1, publisher_mb: int = 256) -> Settings:
    """Publisher settings that keep up, with HEADROOM, with a full stream shard: the cheapest publisher
    (within a cent per run), then the lowest worst-case lag to the bus, then the lowest parallelization.
    Index shards: enough by_day buckets for the hottest subscription with HEADROOM."""
    hottest = max(sc.per_subscription_per_s for sc in SCENARIOS)
    shards = math.ceil(hottest * index_wcu * HEADROOM / PARTITION_WCU_PER_S)
    candidates = []
    for batch in (10, 20, 50, 100, 200, 500):
        for window in (0.0, 0.5, 1.0):
            for par in range(1, MAX_PARALLELIZATION + 1):
                settings = Settings(batch, window, par, shards)
                if par * batch / publisher_duration_s(batch) < HEADROOM * STREAM_SHARD_WRITES_PER_S:
                    continue
                # Steady operation: the table and index have seen these loads before (a fresh deployment
                # refuses part of them, which a publisher setting cannot change).
                results = [model(sc, settings, table_wcu, index_wcu) for sc in SCENARIOS]
                cost = sum(publisher_cost(r, publisher_mb) for r in results)
                candidates.append((cost, max(r.lag_s for r in results), par, settings))
    cheapest = min(c[0] for c in candidates)
    fit = [c for c in candidates if c[0] <= cheapest + 0.01]
    return min(fit, key=lambda c: (round(c[1], 2), c[2]))[3]


def table(rows: list[tuple[str, Result]], memory_mb: int) -> str:
    lines = [
        "| settings | scenario | DynamoDB | offered/s | accepted/s | saturates first | lag to bus "
        "| cost of the run |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for label, r in rows:
        s = r.settings
        sc = next(x for x in SCENARIOS if x.name == r.scenario)
        lines.append(
            f"| {label}: batch {s.batch_size}, window {s.window_s:g} s, parallel {s.parallelization}, "
            f"index shards {s.index_shards} | {r.scenario} | {r.warmth.label} | {sc.rate:,.0f} "
            f"| {r.accepted_per_s:,.0f} | {r.first_limit} | {r.lag_s:.2f} s "
            f"| ${run_cost(r, memory_mb):,.2f} |"
        )
    return "\n".join(lines)


def measured_write_units(provider: str = "zippex") -> tuple[float, float]:
    """Table and index write units of the provider's median sample, through its real handler."""
    writes = provider_writes(provider)
    return math.ceil(writes.item_bytes / 1024), math.ceil(writes.index_bytes / 1024)


def main() -> None:
    memory_mb = int(source()["Globals"]["Function"]["MemorySize"])
    table_wcu, index_wcu = measured_write_units()
    deployed, recommended = template_settings(), recommend(table_wcu, index_wcu, publisher_memory_mb())
    rows = [
        ("template", model(sc, deployed, table_wcu, index_wcu, warmth))
        for sc in SCENARIOS
        for warmth in (template_warmth(), seen_before(sc))
    ]
    rows += [("recommended", model(sc, recommended, table_wcu, index_wcu)) for sc in SCENARIOS]
    print(f"Write units per webhook (zippex median sample): table {table_wcu:g}, index {index_wcu:g}")
    print(table(rows, memory_mb))
    units = prewarm_needed(table_wcu, index_wcu)
    warmed = [model(sc, deployed, table_wcu, index_wcu, Warmth("pre-warmed", units)) for sc in SCENARIOS]
    print(
        f"\nPre-warmed (PrewarmWriteUnits={units:,.0f}: table and index): "
        + "; ".join(f"{r.scenario}: {r.accepted_per_s:,.0f}/s accepted, {r.first_limit}" for r in warmed)
        + f". One-time price: ${prewarm_cost(units, ON_DEMAND_INITIAL_WRITE_UNITS):,.2f}."
    )


if __name__ == "__main__":
    main()
