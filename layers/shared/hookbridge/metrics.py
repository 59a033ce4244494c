"""Every CloudWatch metric hookbridge emits, in the namespace of the stack's Prefix parameter.

The one catalogue the code emits from and the dashboard and alarms chart (template.yaml, HookbridgeDashboard).
tests/template/test_dashboard.py fails when an emission in the code names anything but ``Metric.X`` or
``refusal(status)``, or when the dashboard and alarms chart a different set of names and dimensions;
tests/integration/test_metrics.py runs the real functions and fails when they print a metric or dimensions
not listed here, or never print one that is. A new metric is added here, emitted as ``Metric.X`` and charted
in the same change.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Metric(StrEnum):
    # Ingest functions (dimension service = ingest-{provider}). An accepted webhook emits nothing: the
    # publisher counts it (EventsPublished), which keeps the warm path to its one write.
    WEBHOOK_DUPLICATE = "WebhookDuplicate"
    WEBHOOK_REJECTED = "WebhookRejected"  # 401: signature, token or timestamp wrong; 403: verify token
    WEBHOOK_NOT_FOUND = "Webhook404"  # unknown subscription, event type or path
    WEBHOOK_TOO_LARGE = "Webhook413"
    WEBHOOK_UNAVAILABLE = "Webhook503"  # storage or secrets failed; the provider retries
    WEBHOOK_ERROR = "Webhook500"  # a bug; the provider retries
    WEBHOOK_REFUSED_OTHER = "WebhookRefusedOther"  # any other status (none today); the log line has it
    # Publisher (service = publisher).
    EVENTS_PUBLISHED = "EventsPublished"  # per provider as well
    EVENTS_NOT_PUBLISHED = "EventsNotPublished"
    # Health check.
    UNHEALTHY_SUBSCRIPTIONS = "UnhealthySubscriptions"  # service = health
    SUBSCRIPTION_HEALTHY = "SubscriptionHealthy"  # 1 (healthy or new) or 0, per provider and subscription
    # The HTTP API's access log (a metric filter in template.yaml, no code): requests a route's throttle
    # refused with 429, which HTTP APIs publish no metric of. No dimension: the dashboard's log widget splits
    # them per provider from the same log, where a path dimension would let invented names mint metrics.
    API_THROTTLED = "ApiThrottled"


# Metrics published by a CloudWatch Logs metric filter of the template, not printed by any function.
FROM_ACCESS_LOG: frozenset[Metric] = frozenset({Metric.API_THROTTLED})


# The dimensions each metric is emitted with: a dashboard SEARCH over {namespace,dims...} matches only
# metrics with exactly these.
DIMENSIONS: Mapping[Metric, frozenset[str]] = {
    **{
        m: frozenset({"service"})
        for m in (
            Metric.WEBHOOK_DUPLICATE,
            Metric.WEBHOOK_REJECTED,
            Metric.WEBHOOK_NOT_FOUND,
            Metric.WEBHOOK_TOO_LARGE,
            Metric.WEBHOOK_UNAVAILABLE,
            Metric.WEBHOOK_ERROR,
            Metric.WEBHOOK_REFUSED_OTHER,
            Metric.EVENTS_NOT_PUBLISHED,
            Metric.UNHEALTHY_SUBSCRIPTIONS,
        )
    },
    Metric.EVENTS_PUBLISHED: frozenset({"service", "provider"}),
    Metric.SUBSCRIPTION_HEALTHY: frozenset({"provider", "subscription"}),
    Metric.API_THROTTLED: frozenset(),
}

_REFUSALS: Mapping[int, Metric] = {
    401: Metric.WEBHOOK_REJECTED,
    403: Metric.WEBHOOK_REJECTED,  # a handshake's verify token that is not the secret's (Meta)
    404: Metric.WEBHOOK_NOT_FOUND,
    413: Metric.WEBHOOK_TOO_LARGE,
    500: Metric.WEBHOOK_ERROR,
    503: Metric.WEBHOOK_UNAVAILABLE,
}


def refusal(status: int) -> Metric:
    """The metric of a webhook refused with an HTTP status."""
    return _REFUSALS.get(status, Metric.WEBHOOK_REFUSED_OTHER)


# What each metric counts, for the manual's metric list (docs/reference/metrics.md, generated from here by
# scripts/docs.py).
ABOUT: Mapping[Metric, str] = {
    Metric.WEBHOOK_DUPLICATE: "Genuine deliveries of an event already stored (answered 200 duplicate).",
    Metric.WEBHOOK_REJECTED: "Requests refused because the signature, token or timestamp is wrong, or a "
    "handshake's verify token is not the secret's.",
    Metric.WEBHOOK_NOT_FOUND: "Requests for an unknown subscription, event type or path.",
    Metric.WEBHOOK_TOO_LARGE: "Bodies over MAX_BODY_BYTES.",
    Metric.WEBHOOK_UNAVAILABLE: "Webhooks answered 503 with Retry-After because DynamoDB, S3 or Secrets "
    "Manager failed or throttled; the provider retries, nothing is lost.",
    Metric.WEBHOOK_ERROR: "Webhooks answered 500: a bug in hookbridge; the provider retries.",
    Metric.WEBHOOK_REFUSED_OTHER: "Refusals with any other status (none today; the log line names it).",
    Metric.EVENTS_PUBLISHED: "Events put on the bus (once per batch of the stream): the accepted-webhooks "
    "count, also per provider.",
    Metric.EVENTS_NOT_PUBLISHED: "Events PutEvents refused for good (their stream batch goes to the "
    "dead-letter queue).",
    Metric.UNHEALTHY_SUBSCRIPTIONS: "Subscriptions neither healthy nor new at the last check "
    "(UnhealthySubscriptionsAlarm).",
    Metric.SUBSCRIPTION_HEALTHY: "1 when the subscription was healthy or new (made, no event yet) at the "
    "last check, else 0.",
    Metric.API_THROTTLED: "Requests a route's throttle refused with 429 (ProviderRateLimit, "
    "ProviderBurstLimit); HTTP APIs publish no throttle metric of their own.",
}
