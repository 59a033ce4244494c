"""The benchmark keeps working (its figures are not asserted here: they live in bench/RESULTS.md)."""

from __future__ import annotations

import pytest

from bench import cost, warm
from hookbridge import providers


def test_warm_path_measures_one_aws_call_per_accepted_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(warm.ITERATIONS, "1 KB", 20)
    result = warm.measure("zippex", "1 KB")
    assert result.aws_calls_per_accepted == 1  # the conditional PutItem, nothing else
    assert result.ours_p50_us > 0
    assert result.bare_p50_us > 0
    # Both sides of the warm target pay the same PutItem through botocore: each costs more than without.
    assert result.ours_put_p50_us > result.ours_p50_us
    assert result.powertools_put_p50_us > result.powertools_p50_us
    assert result.powertools_floor_p50_us > result.powertools_p50_us  # the floor: compression and PutItem
    assert 0 < result.item_bytes <= 1024  # a 1 KB body, compressed, fits one write unit


def test_the_warm_floor_compresses_as_ours_does_and_only_when_ours_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The floor's compression is the very work ours does (same bytes out), for every body our item holds,
    and none for a body ours puts in the payload bucket."""
    from hookbridge_cli.local.lambda_events import LambdaContext

    from hookbridge.model import pack_body

    compressed: list[int] = []
    deflate = warm.deflate
    monkeypatch.setattr(warm, "deflate", lambda body: compressed.append(len(body)) or deflate(body))
    for size_name, kept_in_item in (("1 KB", True), ("32 KB", True), ("512 KB", False)):
        prepared = warm.events("zippex", warm.SIZES[size_name], 3)
        body = prepared[0]["body"].encode()
        assert deflate(body) == pack_body(body)[1]
        floor = warm.powertools_handler("zippex", warm._our_items("zippex", prepared), compress=True)
        compressed.clear()
        for event in prepared:
            assert floor(event, LambdaContext())["statusCode"] == 200
        assert len(compressed) == (len(prepared) if kept_in_item else 0), size_name


def test_cost_model_sizes_every_sample_and_prices_each_service() -> None:
    from bench import cost

    writes = cost.provider_writes("zippex")
    assert writes.samples >= 5
    assert writes.write_units == [2] * writes.samples  # one for the item, one for its index entry
    botocore_us = cost.botocore_put_item_us(iterations=20)  # no socket: the answer is in-process
    assert botocore_us > 0
    lines = {line.what: line.per_million for line in cost.cost_per_million(writes, 150.0, botocore_us)}
    assert lines["API Gateway HTTP API"] == 1.00
    assert lines["DynamoDB writes"] == writes.median_write_units * 0.625
    assert 3 < sum(lines.values()) < 10


def test_cost_model_reads_the_publisher_batching_and_log_levels_from_the_template() -> None:
    from bench import cost

    assert cost.publisher_records_per_batch(0.01) == 1  # a quiet stream: one record a batch
    # 100/s: no batching window, so what a quarter-second poll gathers, over 3 parallel batches per shard.
    assert cost.publisher_records_per_batch(100) == pytest.approx(100 * 0.25 / 3)
    assert cost.publisher_records_per_batch(1e6) == 200  # capped by the batch size
    assert cost.platform_logs_filtered()  # the template keeps Lambda's START/REPORT lines out
    # The access log is priced from the template's own format (a variable without a typical value fails).
    assert 120 < cost.access_log_bytes() < 200
    assert cost.publisher_memory_mb() == 256


def test_cost_model_counts_the_archive_only_when_the_template_turns_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import cost

    writes = cost.provider_writes("zonos")
    archive = {"EventBridge archive"}
    off = {c.what: c.per_million for c in cost.cost_per_million(writes, 150.0, 400.0) if c.what in archive}
    assert not cost.archive_on_by_default()  # ArchiveEvents defaults to "false"
    assert off == {"EventBridge archive": 0.0}
    monkeypatch.setattr(cost, "archive_on_by_default", lambda: True)
    on = {c.what: c.per_million for c in cost.cost_per_million(writes, 150.0, 400.0) if c.what in archive}
    assert on["EventBridge archive"] > 0


@pytest.mark.parametrize("function", ["ingest", "publisher"])
def test_the_cold_start_bench_runs_each_entry_point_as_lambda_would(function: str) -> None:
    """bench/cold.py loads each function's app.py in a fresh interpreter with the settings it needs."""
    import os
    import subprocess
    import sys

    from bench import cold

    code = (
        cold.entry_point(cold.ingest_function("zippex"), cold.INGEST_CALL)
        if function == "ingest"
        else cold.entry_point("PublisherFunction", cold.PUBLISHER_CALL)
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and entry point
        [sys.executable, "-c", code],
        env={**os.environ, **cold.ENV},
        cwd=cold.ROOT,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


@pytest.mark.parametrize("kind", ["invented names", "bad signatures"])
def test_the_price_of_an_attack_is_within_its_target_and_pays_no_aws_call_per_request(kind: str) -> None:
    """Issue 22: a million forged requests of either kind cost at most $1.30: the API request, the invocation
    and its duration, the access log; no GetSecretValue, ListSecrets or DynamoDB write per request, and no
    log or metric line of ours per request."""
    from bench import cost

    run = cost.attack(kind, requests=3000)  # 30 s of one instance's share of the flood
    bill = {line.what: line.per_million for line in cost.attack_cost_per_million(run)}
    assert bill["API Gateway HTTP API"] == 1.00
    assert bill["Lambda, ingest: invocation"] == 0.20
    assert sum(bill.values()) <= cost.ATTACK_TARGET_PER_MILLION
    # What is bounded per instance and interval: one listing and one metrics line at the start of 30 s, and
    # for a real subscription its secret (read once, and once more to rule out a rotation) and one count.
    assert run.calls["secretsmanager.ListSecrets"] <= 1 + 30 / 10
    assert run.calls["secretsmanager.GetSecretValue"] <= (0 if kind == "invented names" else 2)
    assert run.calls["dynamodb.PutItem"] == 0
    assert run.calls["dynamodb.UpdateItem"] <= 1
    assert run.printed_bytes < 1000  # one metrics line, not one a request


@pytest.mark.parametrize("provider", providers.names())
def test_every_sender_has_a_row_in_the_cost_table(provider: str) -> None:
    """bench/__main__.py prices each definition's samples: each one stores and prices (a handshake sample
    stores nothing and is left out of the medians)."""
    writes = cost.provider_writes(provider)
    assert writes.samples >= 1
    assert min(writes.write_units) >= 2
    lines = cost.cost_per_million(writes, 150.0, 400.0)
    assert sum(c.per_million for c in lines) >= cost.FLOOR_PER_MILLION


@pytest.mark.parametrize("provider", providers.names())
def test_every_senders_samples_are_sized_for_the_cost_table(provider: str) -> None:
    """The cost table has a row per sender: each sample that is a webhook (not a handshake) is stored by
    the real handler and sized."""
    writes = cost.provider_writes(provider)
    assert writes.samples == len(cost.stored_sample_names(provider)) >= 1
    assert min(writes.write_units) >= 2  # the item and its index entry
