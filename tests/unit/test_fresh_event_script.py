"""scripts/fresh_event.py re-signs any sample for now, a type kept in a folder included."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hookbridge import providers
from hookbridge.model import WebhookRequest
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import EVENTS, demo_secret


@pytest.mark.parametrize(("provider", "sample"), [("shopify", "orders/create"), ("stripe", "invoice.paid")])
def test_a_resigned_sample_verifies_now(provider: str, sample: str) -> None:
    script = EVENTS.parent / "scripts" / "fresh_event.py"
    printed = subprocess.run(  # noqa: S603 - our own script, with our interpreter
        [sys.executable, str(script), str(EVENTS / provider / f"{sample}.json")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    event = json.loads(printed)
    now = time.time()
    request = WebhookRequest(
        provider,
        "demo",
        event["headers"],
        {},
        {},
        event["body"].encode(),
        event["requestContext"]["timeEpoch"],
    )
    secret = SubscriptionSecret.model_validate(demo_secret(provider))
    assert providers.load(provider).verify(request, secret, now) == "hmac-sha256"
