"""bench/scale.py: its arithmetic on a hand-worked case, and the template following its recommendation."""

import pytest

from bench import scale


def test_publisher_duration_is_one_put_events_call_per_ten_entries() -> None:
    # 100 records: 10 calls x 15 ms + 5 ms overhead.
    assert scale.publisher_duration_s(100) == pytest.approx(0.155)


def test_hot_subscription_is_capped_by_one_index_partition_and_publisher_keeps_up() -> None:
    burst = scale.Scenario("burst", 1, 5000, 600)
    result = scale.model(burst, scale.Settings(100, 1.0, 4, index_shards=1))
    # One subscription-day, one GSI partition: 1,000 WCU/s at 1 index write unit each.
    assert result.accepted_per_s == 1000
    assert result.first_limit == "by_subscription index partition"
    # 5 table partitions (a table that has taken 5,000 WCU/s before), so 5 shards; the 1,000/s stored
    # spread over them, 200 a shard, so a batch of 100 fills in 0.5 s.
    assert result.limits["publisher (shards x parallelization)"] == pytest.approx(5 * 4 * 100 / 0.155)
    assert result.lag_s == pytest.approx(0.25 + 0.5 + 0.155)
    # 1,000/s stored for 600 s, 100 records an invocation.
    assert result.publisher_invocations == pytest.approx(6000)


def test_a_fresh_table_and_index_take_4000_write_units_and_refuse_the_rest() -> None:
    """DynamoDB on-demand's start: 4,000 WCU/s for a new table and a new index, whatever the load."""
    for scenario in scale.SCENARIOS:
        result = scale.model(scenario, scale.template_settings(), warmth=scale.FRESH)
        assert result.accepted_per_s == 4000, scenario
        assert result.first_limit == "DynamoDB warm throughput, table and index: 4,000 WCU/s"
        assert result.stored == 4000 * scenario.seconds


def test_the_index_alone_holds_back_a_table_whose_webhooks_take_more_units_there() -> None:
    result = scale.model(scale.SCENARIOS[0], scale.template_settings(), 1, 2, warmth=scale.FRESH)
    assert result.accepted_per_s == 2000  # 4,000 index write units at 2 a webhook
    assert result.first_limit == "DynamoDB warm throughput, index: 4,000 WCU/s"


def test_a_table_that_has_seen_the_peak_takes_double_it_at_once() -> None:
    """The bursting subscription meets only its route's throttle (ProviderRateLimit, exactly the 5,000/s it
    offers), and the 200 subscriptions API Gateway's 10,000 rps, as before DynamoDB's start was modelled."""
    burst, many = scale.SCENARIOS
    warm = scale.model(burst, scale.template_settings())
    assert warm.warmth == scale.seen_before(burst)
    assert warm.limits["DynamoDB table warm throughput"] == 10_000
    assert (warm.accepted_per_s, warm.first_limit) == (5000, "API Gateway route throttle (ProviderRateLimit)")
    warm = scale.model(many, scale.template_settings())
    assert (warm.accepted_per_s, warm.first_limit) == (10_000, "API Gateway 10,000 rps")


def test_past_30_minutes_dynamodb_doubles_what_it_took() -> None:
    """A fresh table offered 10,000/s for an hour: 4,000/s for 30 minutes, then up to double that, 8,000/s."""
    assert scale.dynamodb_taken(10_000, 3600, 4000) == pytest.approx((4000 + 8000) / 2)
    assert scale.dynamodb_taken(3000, 3600, 4000) == 3000
    hour = scale.Scenario("an hour at 10,000/s", 200, 50, 3600, senders=4)  # each route below its throttle
    assert scale.model(hour, scale.template_settings(), warmth=scale.FRESH).accepted_per_s == 6000


def test_the_per_table_quota_caps_a_table_warmed_past_it() -> None:
    huge = scale.Scenario("50,000/s", 1000, 50, 600, senders=22)  # each route below its throttle
    result = scale.model(huge, scale.Settings(200, 0, 10, 64), warmth=scale.Warmth("warm", 100_000))
    assert result.limits["DynamoDB per-table quota 40,000 WCU/s"] == 40_000
    assert result.accepted_per_s == 10_000  # API Gateway first, the quota next
    assert sorted(result.limits, key=result.limits.__getitem__)[:2] == [
        "API Gateway 10,000 rps",
        "DynamoDB per-table quota 40,000 WCU/s",
    ]


def test_the_template_deploys_fresh_unless_prewarmed_and_prewarming_covers_both_scenarios() -> None:
    assert scale.template_warmth() == scale.FRESH
    warmed = scale.template_warmth({"PrewarmWriteUnits": "10000"})
    assert warmed.warm_write_units == 10_000
    assert scale.prewarm_needed() == 10_000
    for scenario in scale.SCENARIOS:
        assert scale.model(scenario, scale.template_settings(), warmth=warmed).accepted_per_s == scenario.rate


def test_prewarming_is_priced_once_for_the_table_and_its_index_above_the_start() -> None:
    from bench.cost import prewarm_cost

    # (10,000 - 4,000) WCU/s for the table and as many for the index, an hour of provisioned capacity each.
    assert prewarm_cost(10_000, 4000) == pytest.approx(2 * 6000 * 0.00065)
    assert prewarm_cost(4000, 4000) == 0
    assert prewarm_cost(3000, 4000) == 0


def test_slow_publisher_builds_a_backlog_that_shows_in_the_lag() -> None:
    burst = scale.Scenario("burst", 1, 1000, 100)
    result = scale.model(burst, scale.Settings(10, 0.0, 1, index_shards=8))
    capacity = 10 / scale.publisher_duration_s(10)  # 10 records per 20 ms = 500/s on the one shard
    assert capacity == pytest.approx(500)
    assert result.lag_s == pytest.approx(0.25 + 0.02 + (1000 - 500) * 100 / 500)


def test_template_publisher_settings_are_the_recommended_ones() -> None:
    recommended = scale.recommend()
    current = scale.template_settings()
    assert (current.batch_size, current.window_s, current.parallelization, current.index_shards) == (
        recommended.batch_size,
        recommended.window_s,
        recommended.parallelization,
        recommended.index_shards,
    )


def test_one_providers_route_is_capped_by_its_throttle() -> None:
    """The ProviderRateLimit parameter refuses (429) what one provider's route gets beyond it."""
    flood = scale.Scenario("flood", 1, 20_000, 60)
    result = scale.model(flood, scale.Settings(200, 0.0, 3, index_shards=64))
    assert result.limits["API Gateway route throttle (ProviderRateLimit)"] == scale.route_rate_limit()
    assert result.accepted_per_s == scale.route_rate_limit() == 5000
    spread = scale.model(scale.Scenario("spread", 4, 2_000, 60, senders=4), scale.Settings(200, 0.0, 3, 8))
    assert spread.accepted_per_s == 8000  # four routes, each under its own limit
