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
    # 5 table partitions (5,000 WCU/s), so 5 shards at 1,000/s; a batch of 100 fills in 0.1 s.
    assert result.limits["publisher (shards x parallelization)"] == pytest.approx(5 * 4 * 100 / 0.155)
    assert result.lag_s == pytest.approx(0.25 + 0.1 + 0.155)
    # 1,000/s stored for 600 s, 100 records an invocation.
    assert result.publisher_invocations == pytest.approx(6000)


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
