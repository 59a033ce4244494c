"""Sample events from events/ (by path relative to this file, never the working directory)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookbridge_cli.local import lambda_stream_event

from hookbridge import providers
from hookbridge.samples import fresh_event
from hookbridge.secrets import SubscriptionSecret

EVENTS = Path(__file__).resolve().parents[2] / "events"
DEMO_SECRET = "demo-secret"  # events/<provider>/demo-secret.json: the secret the samples are signed with


def load_event(provider: str, name: str) -> dict[str, Any]:
    return json.loads((EVENTS / provider / f"{name}.json").read_text())


def demo_secret(provider: str) -> dict[str, Any]:
    return load_event(provider, DEMO_SECRET)


def sample_names(provider: str) -> list[str]:
    return sorted(p.stem for p in (EVENTS / provider).glob("*.json") if p.stem != DEMO_SECRET)


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


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event for stream records as GetRecords returns them (the local stack's own conversion)."""
    return lambda_stream_event(records, stream_arn)
