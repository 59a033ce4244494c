"""Domain errors of the ingest path, each with the HTTP status the design gives it.

The HTTP edge (``hookbridge.ingest.http``) is the one place that turns them into responses. ``reason`` is
for our logs; providers only ever see the generic ``public_message``, so a forger learns nothing from the
answer.
"""

from __future__ import annotations

from typing import ClassVar


class WebhookError(Exception):
    status: ClassVar[int] = 500
    public_message: ClassVar[str] = "Internal error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthorized(WebhookError):
    """Missing or wrong signature or token, or a stale timestamp: nothing is stored."""

    status = 401
    public_message = "Unauthorized"


class Forbidden(Unauthorized):
    """A handshake whose own check failed, where the sender documents 403 for it (Meta's verify token)."""

    status = 403
    public_message = "Forbidden"


class NotFound(WebhookError):
    """Unknown provider, subscription or event type."""

    status = 404
    public_message = "Not found"


class PayloadTooLarge(WebhookError):
    status = 413
    public_message = "Payload too large"


class Unavailable(WebhookError):
    """Our storage or secrets failed: the provider retries, so nothing is lost."""

    status = 503
    public_message = "Service unavailable, retry later"
