"""The scheduled health check: is each subscription still receiving, and does its provider still send?

Signals per subscription: the provider's own view where it has an API (Zippex: our webhook listed and
``active``; Zonos: webhook ``status`` and the share of recent deliveries answered non-2xx), the time since
the last stored event against the subscription's normal quiet period, requests rejected since the last
check, and events stored but not published: the dead-letter messages whose stream records are this
subscription's (``hookbridge.publishing.dead_letters``). A message is attributed while its records are on
the stream (24 h) and, after that, through the health record of the subscription it was attributed to;
only a message never attributed degrades every subscription, since it could be anyone's.

Status: the most urgent that applies wins, disabled (the provider says so), silent (quiet for longer than
normal), degraded (rejections, delivery failures, unpublished events); and the reasons of every one that
applies are listed, most urgent first. A probe that failed (the provider's API, the events table) is a
reason beside that status, never instead of it: a Zippex webhook whose API key expired and that has been
quiet for days is silent, with the failed probe said too. ``unknown`` only when a probe failed and nothing
else is known to be wrong; ``new`` when nothing is wrong and the subscription has stored no event yet and
was made (``created_at``) less than its quiet period ago: it is not silent before that period has passed
since it was made. A record without ``created_at`` (written by hand or another tool) has no known age and
is never new: its silence is said as before. Healthy when nothing applies. So: disabled > silent >
degraded > unknown > new > healthy; ``new`` is not unhealthy (the metric is 1, the alarm stays quiet).

Rejections (bad signature or stale timestamp) are what a sender with a rotated or wrong secret causes, and
also what anyone who knows a URL can cause at will. The rule: 5 or more since the last check make a
subscription degraded only when no event was accepted since that check (every delivery refused: what a
rotated secret at the sender looks like), and the reason says both causes, forged requests included. While
events are accepted, the sender's secret works: the rejections are listed as a note and change no status.
So an outsider's forgeries alone never flip a status without its reason naming forged requests.

A change is published on the bus once: the new status is recorded only after the change event went out.
Entering ``new`` is not published (a subscription just made is nothing to act on); leaving it is, whatever
follows (``healthy``: its first event came; ``silent``: none came within its quiet period).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from hookbridge.health.provider_api import JsonHttpClient, ProviderApiError, ZippexApi, ZonosApi
from hookbridge.metrics import Metric
from hookbridge.ports import Registry, Secrets
from hookbridge.publishing.dead_letters import Culprits
from hookbridge.subscription import Health, HealthStatus, Subscription

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient

log = logging.getLogger(__name__)

HEALTH_DETAIL_TYPE = "Subscription Health Changed"
REJECTIONS_DEGRADED = 5  # rejected requests since the last check, with no event accepted, that degrade
REJECTED = "requests rejected since the last check (bad signature or stale timestamp)"
REJECTED_CAUSES = "a wrong or rotated secret at the sender, or forged requests from anyone who knows the URL"
REJECTED_BESIDE_EVENTS = (
    "likely forged requests from anyone who knows the URL (or a sender still signing some deliveries "
    "with an old secret)"
)
OK_STATUSES = frozenset({"healthy", "new"})  # not unhealthy: the metric is 1, the alarm stays quiet
FAILURE_RATE_DEGRADED = 0.2  # share of a provider's recent deliveries that failed
MAX_PARALLEL_CHECKS = 8
LOOKBACK_BEYOND_QUIET = timedelta(
    days=1
)  # how far past its quiet period a subscription's last event is sought


@dataclass
class Signals:
    provider_disabled: bool = False
    provider_failure_rate: float | None = None
    last_event_at: datetime | None = None
    last_event_known: bool = True  # False when the events table could not be read: silence is not known
    rejected: int = 0
    dead_letters: set[str] = field(default_factory=set)  # dead-letter messages naming its events
    unpublished_events: int = 0  # its events those messages name, as far as read back
    unattributed: int = 0  # dead-letter messages that could be anyone's
    probe_failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate(subscription: Subscription, signals: Signals, now: datetime) -> tuple[HealthStatus, list[str]]:
    """The most urgent status that applies, and the reasons of every one that applies (most urgent first),
    then the failed probes and notes. A failed probe never hides what the other signals show."""
    found: list[tuple[HealthStatus, list[str]]] = []
    if signals.provider_disabled:
        found.append(("disabled", ["the provider reports the webhook disabled or gone"]))
    new = _silence(subscription, signals, now, found)
    degraded = []
    notes = list(signals.notes)
    if signals.rejected >= REJECTIONS_DEGRADED:
        if _accepted_since_last_check(subscription, signals):
            # Genuine events get through: the sender's secret is right, and what was refused need not be
            # the sender's. Said, never a change of status an outsider could cause at will.
            notes.insert(
                0, f"{signals.rejected} {REJECTED} while events were accepted: {REJECTED_BESIDE_EVENTS}"
            )
        else:
            degraded.append(f"{signals.rejected} {REJECTED} and no event accepted: {REJECTED_CAUSES}")
    if signals.provider_failure_rate is not None and signals.provider_failure_rate > FAILURE_RATE_DEGRADED:
        degraded.append(f"{signals.provider_failure_rate:.0%} of the provider's recent deliveries failed")
    if signals.dead_letters:
        events = f"{signals.unpublished_events} " if signals.unpublished_events else ""
        degraded.append(
            f"{events}stored events not published, in {len(signals.dead_letters)} dead-letter batch(es): "
            "`hookbridge dlq redrive`"
        )
    if signals.unattributed:
        degraded.append(
            f"{signals.unattributed} dead-letter batch(es) of stored events not published whose subscription "
            "cannot be named (stream records expired): `hookbridge dlq list`"
        )
    if degraded:
        found.append(("degraded", degraded))
    if signals.probe_failures:
        found.append(("unknown", list(signals.probe_failures)))
    if new is not None:
        found.append(("new", [new]))
    reasons = [reason for _, some in found for reason in some] + notes
    # found is in order of urgency: disabled, silent, degraded, unknown, new.
    return (found[0][0] if found else "healthy"), reasons


def _silence(
    subscription: Subscription, signals: Signals, now: datetime, found: list[tuple[HealthStatus, list[str]]]
) -> str | None:
    """Adds ``silent`` to found when the subscription has been quiet for longer than normal; returns the
    reason of ``new`` when it has stored nothing yet and its quiet period since it was made is not over.
    Nothing when the events table could not be read: silence is not known either way."""
    if not signals.last_event_known:
        return None
    quiet = timedelta(seconds=subscription.quiet_period_seconds)
    normal = f"normal quiet period is {subscription.quiet_period_seconds} s"
    last, made = signals.last_event_at, subscription.made_at()
    if last is not None:
        if now - last > quiet:
            found.append(("silent", [f"last event {_iso(last)}; {normal}"]))
        return None
    if made is not None and now - made <= quiet:
        return f"made {_iso(made)}, no event yet; silent if none by {_iso(made + quiet)} ({normal})"
    # A record without created_at has no known age: quiet for longer than normal, as far as is known. The
    # events table is read back over the quiet period and LOOKBACK_BEYOND_QUIET, no further.
    since = f" since it was made {_iso(made)}" if made and now - made <= quiet + LOOKBACK_BEYOND_QUIET else ""
    found.append(("silent", [f"no event stored{since}; {normal}"]))
    return None


def _iso(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _accepted_since_last_check(subscription: Subscription, signals: Signals) -> bool:
    """Whether an event was stored since the previous check (since ever, before the first): the window the
    rejections were counted in."""
    if signals.last_event_at is None:
        return False
    checked = subscription.last_checked_at()
    # checked_at is to the second: an event of that same second is counted as before the check (the
    # rejections then degrade, their reason naming forgeries), never the other way round.
    return checked is None or signals.last_event_at.replace(microsecond=0) > checked


def is_published_change(previous: str | None, status: str) -> bool:
    """A change of status goes on the bus, except into ``new``: a subscription just made (or first seen by
    the check) is nothing to act on. Leaving ``new`` is published, whatever follows (``healthy``: its
    first event arrived; ``silent``: none came within its quiet period)."""
    return previous != status and status != "new"


class LastEventFinder:
    """The newest stored event of a subscription, from the by-subscription index (newest day first)."""

    def __init__(self, client: DynamoDBClient, table: str, shards: int) -> None:
        self._client = client
        self._table = table
        self._shards = shards

    def last_event_at(
        self, provider: str, subscription: str, now: datetime, lookback: timedelta
    ) -> datetime | None:
        day = now.date()
        oldest = (now - lookback).date()
        while day >= oldest:
            newest: str | None = None
            for shard in range(self._shards):
                items = self._client.query(
                    TableName=self._table,
                    IndexName="by_subscription",
                    KeyConditionExpression="by_day = :day",
                    ExpressionAttributeValues={
                        ":day": {"S": f"{provider}#{subscription}#{day.isoformat()}#{shard}"}
                    },
                    ScanIndexForward=False,
                    Limit=1,
                ).get("Items", [])
                if items:
                    newest = max(newest or "", items[0]["received_at"]["S"])
            if newest:
                return datetime.fromisoformat(newest.replace("Z", "+00:00"))
            day -= timedelta(days=1)
        return None


class ProviderProbe(Protocol):
    def __call__(self, subscription: Subscription, api_key: str, signals: Signals) -> None: ...


@dataclass
class ProviderProbes:
    """The provider-side view, for providers with an API."""

    http: JsonHttpClient
    zippex_api_url: str
    zonos_api_url: str
    reenable_zonos: bool = False

    def for_provider(self, provider: str) -> ProviderProbe | None:
        return {"zippex": self.zippex, "zonos": self.zonos}.get(provider)

    def zippex(self, subscription: Subscription, api_key: str, signals: Signals) -> None:
        hooks = ZippexApi(self.zippex_api_url, api_key, self.http).list_webhooks()
        hook = next((h for h in hooks if h.get("id") == subscription.webhook_id), None)
        if hook is None or hook.get("active") is not True:
            signals.provider_disabled = True

    def zonos(self, subscription: Subscription, api_key: str, signals: Signals) -> None:
        api = ZonosApi(self.zonos_api_url, api_key, self.http)
        hook = next((h for h in api.webhooks() if h.get("id") == subscription.webhook_id), None)
        if hook is None:
            signals.provider_disabled = True
            return
        if hook.get("status") != "ENABLED":
            if self.reenable_zonos:
                api.enable(hook)
                signals.notes.append("the webhook was disabled at Zonos and has been re-enabled")
            else:
                signals.provider_disabled = True
                return
        statuses = api.webhook_log_statuses(str(hook.get("type")))
        if statuses:
            failed = sum(1 for s in statuses if s is None or not 200 <= s < 300)
            signals.provider_failure_rate = failed / len(statuses)


@dataclass
class CheckResult:
    subscription: Subscription
    health: Health
    changed: bool


class HealthChecker:
    def __init__(
        self,
        *,
        registry: Registry,
        last_events: LastEventFinder,
        secrets: Secrets,
        probes: ProviderProbes,
        events: EventBridgeClient,
        bus: str,
        prefix: str,
        metrics_namespace: str,
        find_culprits: Callable[[], Culprits],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._registry = registry
        self._last_events = last_events
        self._secrets = secrets
        self._probes = probes
        self._events = events
        self._bus = bus
        self._prefix = prefix
        self._namespace = metrics_namespace
        self._find_culprits = find_culprits
        self._clock = clock

    def run(self) -> list[CheckResult]:
        now = self._clock()
        subscriptions = list(self._registry.list())
        try:
            culprits = self._find_culprits()
            queue_failure = None
        except Exception as exc:  # one failed signal must not stop the check
            culprits, queue_failure = Culprits(), f"dead-letter queue unreadable: {type(exc).__name__}"
        _remember(culprits, subscriptions)
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL_CHECKS) as pool:
            results = list(pool.map(lambda s: self._check(s, now, culprits, queue_failure), subscriptions))
        return [r for r in results if r is not None]

    def _check(
        self, subscription: Subscription, now: datetime, culprits: Culprits, queue_failure: str | None
    ) -> CheckResult | None:
        name = (subscription.provider, subscription.subscription)
        signals = Signals(
            rejected=max(0, subscription.rejected_total - subscription.rejected_total_at_check),
            dead_letters=set(culprits.messages.get(name, ())),
            unpublished_events=culprits.events[name],
            unattributed=len(culprits.unresolved) + culprits.unread,
        )
        if queue_failure:
            signals.notes.append(queue_failure)
        self._probe_provider(subscription, signals)
        try:
            lookback = timedelta(seconds=subscription.quiet_period_seconds) + LOOKBACK_BEYOND_QUIET
            signals.last_event_at = self._last_events.last_event_at(
                subscription.provider, subscription.subscription, now, lookback
            )
        except Exception as exc:
            signals.last_event_known = False  # not "no event stored": silence is not known either way
            signals.probe_failures.append(f"events table query failed: {type(exc).__name__}")
        status, reasons = evaluate(subscription, signals, now)
        health = Health(
            status=status,
            reasons=tuple(reasons),
            checked_at=now.isoformat(timespec="seconds"),
            dead_letters=tuple(sorted(signals.dead_letters)),
        )
        previous = subscription.health.status if subscription.health else None
        changed = previous != status
        self._emit_metric(subscription, status)
        try:
            if is_published_change(previous, status):
                self._publish_change(subscription, health, previous)
            self._registry.record_health(subscription, health)
        except Exception:
            # Not recorded: the next run sees the old status and publishes the change again.
            log.exception("could not publish or record health", extra={"subscription": _name(subscription)})
            return None
        log.info(
            "health checked",
            extra={"subscription": _name(subscription), "status": status, "changed": changed},
        )
        return CheckResult(subscription, health, changed)

    def _probe_provider(self, subscription: Subscription, signals: Signals) -> None:
        probe = self._probes.for_provider(subscription.provider)
        if probe is None:
            return
        if subscription.webhook_id is None:
            signals.notes.append("no provider webhook id recorded: provider status not checked")
            return
        try:
            api_key = self._secrets.get(subscription.provider, subscription.subscription).api_key
            if api_key is None:
                signals.notes.append("no api_key in the secret: provider status not checked")
                return
            probe(subscription, api_key.get_secret_value(), signals)
        except ProviderApiError as exc:
            signals.probe_failures.append(f"provider API: {exc}")
        except Exception as exc:
            signals.probe_failures.append(f"provider probe failed: {type(exc).__name__}")

    def _publish_change(self, subscription: Subscription, health: Health, previous: str | None) -> None:
        detail = {
            "provider": subscription.provider,
            "subscription": subscription.subscription,
            "status": health.status,
            "previous_status": previous,
            "reasons": list(health.reasons),
            "checked_at": health.checked_at,
            "contact": subscription.contact,
        }
        response = self._events.put_events(
            Entries=[
                {
                    "Source": f"{self._prefix}.health",
                    "DetailType": HEALTH_DETAIL_TYPE,
                    "Detail": json.dumps(detail),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"PutEvents failed: {response['Entries'][0].get('ErrorCode')}")

    def _emit_metric(self, subscription: Subscription, status: str) -> None:
        # One metric per subscription: the dimensions are registry records, so their number is bounded.
        with single_metric(
            name=Metric.SUBSCRIPTION_HEALTHY,
            unit=MetricUnit.Count,
            value=1 if status in OK_STATUSES else 0,
            namespace=self._namespace,
        ) as metric:
            metric.add_dimension(name="provider", value=subscription.provider)
            metric.add_dimension(name="subscription", value=subscription.subscription)


def _remember(culprits: Culprits, subscriptions: list[Subscription]) -> None:
    """Attributes a message whose records left the stream to the subscription an earlier check named."""
    named_before: dict[str, list[tuple[str, str]]] = {}
    for subscription in subscriptions:
        for message in subscription.health.dead_letters if subscription.health else ():
            named_before.setdefault(message, []).append((subscription.provider, subscription.subscription))
    for message in sorted(culprits.unresolved & named_before.keys()):
        culprits.unresolved.discard(message)
        for name in named_before[message]:
            culprits.messages.setdefault(name, set()).add(message)


def _name(subscription: Subscription) -> str:
    return f"{subscription.provider}/{subscription.subscription}"


def summary(results: Iterable[CheckResult]) -> dict[str, Any]:
    results = list(results)
    return {
        "checked": len(results),
        "changed": sum(r.changed for r in results),
        "unhealthy": sum(r.health.status not in OK_STATUSES for r in results),
        "statuses": {_name(r.subscription): r.health.status for r in results},
    }
