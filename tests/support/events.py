"""Sample events from events/ (found from the repository, never the working directory), signed for now."""

from __future__ import annotations

from typing import Any

from hookbridge_cli.local.lambda_events import LambdaContext, lambda_stream_event, on_failure_message
from hookbridge_cli.paths import EVENTS
from hookbridge_cli.samples import (
    DEMO_SECRET,
    demo_secret,
    distinct_body,
    distinct_payload,
    forged_secret,
    is_stored,
    load_event,
    sample_names,
)

from hookbridge import providers
from hookbridge.samples import fresh_event
from hookbridge.subscription import SubscriptionSecret


def signed(
    provider: str,
    name: str,
    secret: dict[str, Any] | None = None,
    now: float | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A sample event authenticated for ``now`` (default: the real clock) with ``secret`` (default: the
    demo secret)."""
    return fresh_event(
        load_event(provider, name),
        providers.load(provider),
        SubscriptionSecret.model_validate(secret if secret is not None else demo_secret(provider)),
        now=now,
        body=body,
    )


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event for stream records as GetRecords returns them (the local stack's own conversion)."""
    return lambda_stream_event(records, stream_arn)


__all__ = [
    "DEMO_SECRET",
    "EVENTS",
    "LambdaContext",
    "demo_secret",
    "distinct_body",
    "distinct_payload",
    "forged_secret",
    "is_stored",
    "load_event",
    "on_failure_message",
    "sample_names",
    "signed",
    "stream_event",
]
