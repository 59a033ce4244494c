"""Sample events for ``sam local invoke -e``, the tests and the command line, made fresh.

A stored signature goes stale after the provider's tolerance, so a sample is re-signed for "now".
"""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime
from typing import Any

from hookbridge.model import Provider


def fresh_event(
    event: dict[str, Any],
    provider: Provider,
    signing_secret: str,
    now: float | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A copy of an API Gateway HTTP API (2.0) event, received and signed at ``now``."""
    now = time.time() if now is None else now
    fresh = copy.deepcopy(event)
    if body is not None:
        fresh["body"] = body
        fresh["isBase64Encoded"] = False
    raw = (fresh.get("body") or "").encode()
    context = fresh.setdefault("requestContext", {})
    context["timeEpoch"] = int(now * 1000)
    context["time"] = datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    headers = fresh.setdefault("headers", {})
    headers.update({k.lower(): v for k, v in provider.sign(signing_secret, raw, int(now)).items()})
    return fresh
