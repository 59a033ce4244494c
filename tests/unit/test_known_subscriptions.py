"""KnownSubscriptions: invented subscription names cost a bounded number of ListSecrets calls per instance and
no GetSecretValue; a new subscription is served within the miss interval, a deleted one refused within the
list's maximum age; a failing ListSecrets never turns a name that may exist into a 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hookbridge.aws.known_subscriptions import KnownSubscriptions, KnownSubscriptionSecrets
from hookbridge.errors import NotFound, Unavailable
from hookbridge.subscription import SubscriptionSecret

MAX_AGE, MISS = 60.0, 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSecretsManager:
    """ListSecrets as Secrets Manager answers it: a case-insensitive name prefix, pages of MaxResults, secrets
    scheduled for deletion left out unless asked for."""

    def __init__(self, names: list[str]) -> None:
        self.secrets: dict[str, dict[str, Any]] = {n: {"Name": n} for n in names}
        self.calls: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def list_secrets(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        if self.error is not None:
            raise self.error
        [name_filter] = request["Filters"]
        prefix = name_filter["Values"][0].lower()
        listed = [
            s
            for n, s in sorted(self.secrets.items())
            if n.lower().startswith(prefix)
            and (request.get("IncludePlannedDeletion") or "DeletedDate" not in s)
        ]
        start = int(request.get("NextToken", 0))
        page = listed[start : start + request["MaxResults"]]
        more = start + len(page) < len(listed)
        return {"SecretList": page, **({"NextToken": str(start + len(page))} if more else {})}

    def delete(self, name: str) -> None:
        self.secrets[name]["DeletedDate"] = datetime.now(UTC)


def known(client: FakeSecretsManager, clock: Clock) -> KnownSubscriptions:
    return KnownSubscriptions(client, "hookbridge", "zippex", MAX_AGE, MISS, clock)  # type: ignore[arg-type]


def test_three_hundred_invented_names_cost_one_listing_and_no_secret_read() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod"]), Clock()
    subscriptions = known(client, clock)
    secrets = KnownSubscriptionSecrets(subscriptions, ReadsNothing())
    for n in range(300):
        clock.now += 0.01  # 300 requests in 3 s
        with pytest.raises(NotFound):
            secrets.get("zippex", f"tenant-{n:04d}")
    assert len(client.calls) == 1


def test_a_flood_of_invented_names_is_bounded_per_minute_however_long_it_lasts() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod"]), Clock()
    subscriptions = known(client, clock)
    for n in range(60_000):  # 1,000 a second for a minute, every one a new name
        clock.now += 0.001
        assert not subscriptions.exists(f"tenant-{n}")
    assert len(client.calls) <= 60 / MISS + 1
    assert subscriptions.exists("prod")


def test_a_new_subscription_during_a_flood_is_served_within_the_miss_interval() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod"]), Clock()
    subscriptions = known(client, clock)
    served_at = None
    created_at = clock.now + 25.0
    while clock.now < created_at + 2 * MISS:
        clock.now += 0.05
        assert not subscriptions.exists(f"invented-{clock.now:.2f}")
        if clock.now >= created_at:
            client.secrets.setdefault("hookbridge/zippex/new", {"Name": "hookbridge/zippex/new"})
            if served_at is None and subscriptions.exists("new"):
                served_at = clock.now
    assert served_at is not None
    assert served_at - created_at <= MISS
    assert len(client.calls) <= (clock.now - 1000.0) / MISS + 1


def test_a_deleted_subscription_is_refused_within_the_maximum_age() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod", "hookbridge/zippex/old"]), Clock()
    subscriptions = known(client, clock)
    assert subscriptions.exists("old")
    client.delete("hookbridge/zippex/old")  # scheduled for deletion (7-day recovery window)
    deleted_at = clock.now
    refused_at = None
    while refused_at is None:
        clock.now += 1
        if not subscriptions.exists("old"):
            refused_at = clock.now
        assert subscriptions.exists("prod")
    assert refused_at - deleted_at <= MAX_AGE


def test_only_the_senders_own_names_are_subscriptions() -> None:
    client = FakeSecretsManager(
        [
            "hookbridge/zippex/prod",
            "HookBridge/Zippex/other-case",  # the filter is case-insensitive; our prefix is not
            "hookbridge/zippex/a/b",  # not one level below the prefix
            "hookbridge/zippex/.snapstart-warm-up",  # no subscription name starts with a dot
            "hookbridge/zippexx/prod",
            "hookbridge/zencargo/prod",
        ]
    )
    client.secrets["hookbridge/zippex/gone"] = {"Name": "hookbridge/zippex/gone", "DeletedDate": 1}
    subscriptions = known(client, Clock())
    assert subscriptions.exists("prod")
    for name in ("other-case", "Other-Case", "a", "a/b", ".snapstart-warm-up", "gone"):
        assert not subscriptions.exists(name), name
    assert client.calls[0]["Filters"] == [{"Key": "name", "Values": ["hookbridge/zippex/"]}]


def test_every_page_is_read() -> None:
    client = FakeSecretsManager([f"hookbridge/zippex/s{n:03d}" for n in range(250)])
    subscriptions = known(client, Clock())
    assert subscriptions.exists("s000")
    assert subscriptions.exists("s249")
    assert len(client.calls) == 3  # 100 a page


THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "ListSecrets")


def test_no_listing_yet_is_unavailable_and_retried_only_after_the_interval() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod"]), Clock()
    client.error = THROTTLED
    subscriptions = known(client, clock)
    for _ in range(100):
        with pytest.raises(Unavailable):
            subscriptions.exists("prod")
    assert len(client.calls) == 1
    client.error = None
    clock.now += MISS
    assert subscriptions.exists("prod")


def test_a_failed_listing_keeps_the_known_names_and_never_says_404_for_an_unknown_one() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/prod"]), Clock()
    subscriptions = known(client, clock)
    assert subscriptions.exists("prod")
    client.error = THROTTLED
    clock.now += MAX_AGE
    assert subscriptions.exists("prod")  # the names known are still served
    for _ in range(100):
        with pytest.raises(Unavailable):  # it may exist: the provider retries, nothing is lost
            subscriptions.exists("new")
    assert len(client.calls) == 2
    client.error = None
    client.secrets["hookbridge/zippex/new"] = {"Name": "hookbridge/zippex/new"}
    clock.now += MISS
    assert subscriptions.exists("new")
    assert not subscriptions.exists("invented")


class ReadsNothing:
    def get(self, provider: str, subscription: str, force_fetch: bool = False) -> SubscriptionSecret:
        raise AssertionError(f"GetSecretValue for {subscription}")

    def refreshed(self, provider: str, subscription: str) -> SubscriptionSecret | None:
        raise AssertionError(f"GetSecretValue for {subscription}")


def test_a_maximum_age_shorter_than_the_miss_interval_is_kept() -> None:
    client, clock = FakeSecretsManager(["hookbridge/zippex/old"]), Clock()
    subscriptions = KnownSubscriptions(client, "hookbridge", "zippex", 1.0, 10.0, clock)  # type: ignore[arg-type]
    assert subscriptions.exists("old")
    client.delete("hookbridge/zippex/old")
    clock.now += 1.0
    assert not subscriptions.exists("old")
