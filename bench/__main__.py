"""python -m uv run python -m bench [--no-build]: every figure, as ratios to baselines of the same run.

Writes bench/RESULTS.md with the machine it ran on.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import cold, cost, size, warm
from hookbridge import providers

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-build", action="store_true", help="measure an existing .aws-sam/build")
    parser.add_argument("--sizes", default=",".join(warm.SIZES), help="warm-path body sizes to run")
    args = parser.parse_args()
    lines: list[str] = []
    warm_results = _warm(lines, args.sizes)
    others = [p for p in providers.names() if p not in warm.BASELINED]
    sender_results = _senders(lines, others)
    _cost(lines, warm_results, sender_results)
    _attacks(lines)
    _sender_attacks(lines)
    _cold(lines, others)
    built = _size(lines, build=not args.no_build)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-(len(built) + 3) :]))
    print(
        f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
    )
    return 0


def _warm(lines: list[str], sizes: str) -> dict[str, warm.WarmResult]:
    """The warm path's table, each row printed as measured; each baselined provider's smallest size's
    result."""
    lines += [
        "# hookbridge benchmark results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} CPUs ({platform.platform()}), load average "
        f"{os.getloadavg()[0]:.1f} at the start. "
        "Shared, noisy machine: compare ratios, not times.",
        "",
        "## Warm path (in-process, AWS answered by in-memory fakes that count calls)",
        "",
        "`bare` = the same request verified and parsed with the standard library alone;",
        "`powertools` = a minimal Powertools HTTP-resolver handler that only verifies, parses and answers;",
        "`+ PutItem` = the same plus the conditional PutItem every webhook costs, through a real botocore",
        "client answered in-process (ours makes its own; the minimal handler makes the very same request);",
        "`floor` = powertools + PutItem that also compresses the body whenever our item holds it, as the",
        "cost target requires (a 1 KB body in one write unit); in the warm path that costs more than in a",
        "loop of its own (bench/warm.py). Target: ours + PutItem within 1.2 of the floor at 1 KB",
        "(`ratio with PutItem`: the same against the floor without compression).",
        "",
        "| provider | body | ours p50 µs | ours p99 µs | bare p50 µs | powertools p50 µs |"
        " ours / powertools | ours + PutItem p50 µs | powertools + PutItem p50 µs | ratio with PutItem |"
        " floor p50 µs | **ratio to the floor** | AWS calls per accepted | item bytes |"
        " WCU (table + index) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    warm_results: dict[str, warm.WarmResult] = {}
    for provider in warm.BASELINED:
        for size_name in sizes.split(","):
            r = warm.measure(provider, size_name)
            warm_results.setdefault(provider, r)  # the smallest size: typical payloads are under 1 KB
            wcu = math.ceil(r.item_bytes / 1024) + 1  # the by-subscription index item is under 1 KB
            if providers.load(provider).dedupe_window_seconds:  # one transaction: its put and condition twice
                wcu += math.ceil(r.item_bytes / 1024) + 2
            lines.append(
                f"| {provider} | {size_name} | {r.ours_p50_us:.0f} | {r.ours_p99_us:.0f} | "
                f"{r.bare_p50_us:.0f} | {r.powertools_p50_us:.0f} | {r.vs_powertools:.2f} | "
                f"{r.ours_put_p50_us:.0f} | {r.powertools_put_p50_us:.0f} | "
                f"{r.vs_powertools_with_put:.2f} | {r.powertools_floor_p50_us:.0f} | **{r.vs_floor:.2f}** | "
                f"{r.aws_calls_per_accepted:g} | {r.item_bytes} | {wcu} |"
            )
            print(lines[-1], flush=True)
    return warm_results


def _senders(lines: list[str], others: list[str]) -> dict[str, warm.SenderResult]:
    """Every other sender's handler on its first posted sample, beside GitHub's; their results."""
    lines += [
        "",
        "## Senders that prove themselves otherwise (warm, each on its own sample)",
        "",
        f"Our handler on each sender's first posted sample, {warm.SENDER_REQUESTS} requests, each signed "
        "just before it is sent and accepted anew (the in-memory table emptied between requests, untimed); "
        "GitHub's HMAC on its sample beside them. The public-key senders (ed25519, ecdsa) pay their "
        "signature check in pure Python (python-ecdsa; see docs/security.md on why not `cryptography`).",
        "",
        "| sender | sample | body B | verified by | events on the bus | p50 µs | p99 µs | p50 / GitHub's |",
        "|---|---|---|---|---|---|---|---|",
    ]
    reference = warm.measure_sender("github")
    sender_results = {p: warm.measure_sender(p) for p in others}
    for result in [reference, *sender_results.values()]:
        lines.append(
            f"| {result.provider} | {result.sample} | {result.body_bytes} | {result.verified_by} | "
            f"{result.events} | {result.p50_us:.0f} | {result.p99_us:.0f} | "
            f"{result.p50_us / reference.p50_us:.2f} |"
        )
        print(lines[-1], flush=True)
    return sender_results


def _cost(
    lines: list[str], warm_results: dict[str, warm.WarmResult], sender_results: dict[str, warm.SenderResult]
) -> None:
    """Write units and cost per million accepted webhooks, and where the money goes."""
    botocore_us = cost.botocore_put_item_us()
    busy_batch = cost.publisher_records_per_batch(cost.BUSY_PER_SECOND)
    first = next(iter(warm_results.values()))
    lines += [
        "",
        f"For scale: botocore's own CPU for the one PutItem (serialise, sign, parse; HTTP answered "
        f"in-process) is {botocore_us:.0f} µs here, {botocore_us / first.ours_p50_us:.1f}x our whole "
        f"{first.provider} handler at {first.size}.",
        "",
        "## Write units and cost per million accepted webhooks",
        "",
        "Typical payloads = the provider's samples in `events/`, stored by the real handler. "
        f"AWS list prices, us-east-1, read {cost.PRICES_READ}; Lambda time = our warm p50 above plus "
        f"botocore's PutItem CPU, scaled to Lambda's CPU share at the template's memory, plus "
        f"{cost.DYNAMODB_ROUND_TRIP_MS:g} ms assumed for the DynamoDB round trip. `quiet` = every publisher "
        f"batch holds one record; `busy` = {cost.BUSY_PER_SECOND} webhooks/s, "
        f"{busy_batch:g} records a batch with the template's batching window and parallelization. "
        f"Floor = what no implementation of this design avoids: the API request, the ingest invocation, "
        f"one write unit for the item and one for its index entry, the bus event: "
        f"${cost.FLOOR_PER_MILLION:.2f}; at quiet traffic also one publisher invocation per webhook "
        f"(${cost.FLOOR_PER_MILLION + cost.LAMBDA_PER_MILLION_REQUESTS:.2f}).",
        "",
        "| provider | samples | median body B | median item B | median index B |"
        " write units (table + index) | per million, quiet | per million, busy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    breakdown: list[cost.CostLine] = []
    # Every sender: the baselined ones at their 1 KB p50, the others at the p50 of their own sample.
    for provider, p50_us in [
        *((p, r.ours_p50_us) for p, r in warm_results.items()),
        *((p, r.p50_us) for p, r in sender_results.items()),
    ]:
        writes = cost.provider_writes(provider)
        cost_lines = cost.cost_per_million(writes, p50_us, botocore_us)
        busy = cost.cost_per_million(writes, p50_us, botocore_us, busy_batch)
        breakdown = breakdown or cost_lines
        units = f"{min(writes.write_units)}-{max(writes.write_units)} (median {writes.median_write_units:g})"
        lines.append(
            f"| {provider} | {writes.samples} | {writes.body_bytes} | {writes.item_bytes} | "
            f"{writes.index_bytes} | {units} | ${sum(c.per_million for c in cost_lines):.2f} | "
            f"${sum(c.per_million for c in busy):.2f} |"
        )
    lines += [
        "",
        f"Where the money goes ({next(iter(warm_results))}, quiet):",
        "",
        "| what | per million | basis |",
        "|---|---|---|",
        *(f"| {c.what} | ${c.per_million:.2f} | {c.basis} |" for c in breakdown),
    ]
    print("\n".join(lines[-(len(warm_results) + len(sender_results) + len(breakdown) + 10) :]), flush=True)


def _attacks(lines: list[str]) -> None:
    """What a million forged requests cost, of each kind."""
    lines += [
        "",
        "## The price of an attack (per million forged requests, zippex)",
        "",
        f"The real handler, one instance's share of a flood of {cost.ATTACK_PER_SECOND:,} forged requests a "
        f"second spread over {cost.ATTACK_INSTANCES} instances, {cost.ATTACK_REQUESTS:,} of them on a "
        "simulated clock (what is bounded per interval is counted over it); every AWS call counted, our "
        "output measured in bytes, our time measured and scaled as above. Target: at most "
        f"${cost.ATTACK_TARGET_PER_MILLION:.2f} a million of either kind.",
    ]
    for kind in cost.ATTACKS:
        run = cost.attack(kind)
        bill = cost.attack_cost_per_million(run)
        lines += [
            "",
            f"**{kind}** ({run.status}): ${sum(c.per_million for c in bill):.2f} a million",
            "",
            "| what | per million | basis |",
            "|---|---|---|",
            *(f"| {c.what} | ${c.per_million:.4f} | {c.basis} |" for c in bill),
        ]
    print("\n".join(lines[-24:]), flush=True)


def _sender_attacks(lines: list[str]) -> None:
    """What a million bad signatures cost at each sender's endpoint (the public-key senders spend
    milliseconds on each; nothing a forged request names is fetched)."""
    lines += [
        "",
        "## The price of bad signatures, every sender (per million forged requests)",
        "",
        f"As above, {cost.SENDER_ATTACK_REQUESTS:,} requests a sender: its first stored sample signed as the "
        "sender signs, with a forger's keys in the sender's own layout, against the subscription `demo`; "
        "every one must be answered 401. `AWS calls` are every call a million make (Secrets Manager and "
        "the rejections' count). The demo secrets pin the senders' public keys and certificates, so "
        "nothing is fetched here; that a forged request costs no fetch is tested per sender (tests/senders). "
        "Target: at most "
        f"${cost.ATTACK_TARGET_PER_MILLION:.2f} a million.",
        "",
        "| sender | sample | our p50 µs | Lambda billed ms | AWS calls a million | per million |",
        "|---|---|---|---|---|---|",
    ]
    for provider in providers.names():
        run = cost.attack("bad signatures", provider, cost.SENDER_ATTACK_REQUESTS)
        bill = cost.attack_cost_per_million(run, provider)
        calls = sum(run.calls.values()) * 1e6 / run.requests
        billed = next(c.basis for c in bill if c.what == "Lambda, ingest: duration").split(" ms")[0]
        lines.append(
            f"| {provider} | {cost.stored_sample_names(provider)[0]} | {run.ours_p50_us:.0f} | {billed} | "
            f"{calls:,.0f} | ${sum(c.per_million for c in bill):.2f} |"
        )
        print(lines[-1], flush=True)


def _cold(lines: list[str], others: list[str]) -> None:
    """Cold starts: the ingest function beside its floor, each sender's, and the slowest imports."""
    timings = cold.measure()
    base = timings["import boto3"]
    floor = timings["libraries and AWS clients alone"]
    lines += [
        "",
        f"## Cold start (fresh interpreter until the handler is ready to serve; median of {cold.RUNS})",
        "",
        "Target: ingest within 1.1 of the floor, the libraries a function imports (boto3, pydantic, the "
        "Powertools modules) and the two AWS clients it builds, without any of our code; the difference is "
        "ours. pydantic loads its schema machinery when the first model is defined, so the floor defines "
        "one model of one field (the row above it: imported, no model). `import boto3` alone for scale. "
        "With the IngestSnapStart parameter a cold start is a restore "
        "instead (not measurable here).",
        "",
        "| what | seconds | / import boto3 | / libraries and clients alone |",
        "|---|---|---|---|",
        *(
            f"| {name} | {seconds:.3f} | {seconds / base:.2f} | {seconds / floor:.2f} |"
            for name, seconds in timings.items()
        ),
    ]
    by_sender = cold.measure_senders(["github", *others])
    lines += [
        "",
        "Each sender's ingest function (its definition compiled at start; the public-key senders also "
        "import python-ecdsa), median of 5, beside the floor measured in the same runs:",
        "",
        "| sender | seconds | / libraries and clients alone |",
        "|---|---|---|",
        *(
            f"| {name} | {seconds:.3f} | {seconds / by_sender[cold.FLOOR]:.2f} |"
            for name, seconds in by_sender.items()
            if name != cold.FLOOR
        ),
        "",
        "Slowest imports of the ingest function (ms spent in each package's own modules):",
        "",
        *(f"- {package}: {ms:.0f}" for package, ms in cold.slowest_imports()),
    ]
    print("\n".join(lines[-17:]), flush=True)


def _size(lines: list[str], *, build: bool) -> dict[str, int]:
    """The deployed artifacts' sizes (after `sam build`, run first unless ``build`` is false)."""
    if build:
        size.build()
    built = size.sizes()
    total = sum(built.values())
    lines += [
        "",
        "## Deployed size (after `sam build`, unzipped)",
        "",
        "Target: under 15 MB in all.",
        "",
        "| artifact | MB |",
        "|---|---|",
        *(f"| {name} | {b / 1e6:.2f} |" for name, b in built.items()),
        f"| **all** | **{total / 1e6:.2f}** |",
    ]
    return built


if __name__ == "__main__":
    sys.exit(main())
