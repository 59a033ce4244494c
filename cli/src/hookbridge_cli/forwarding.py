"""`listen` forwarding a stored webhook to a local app: signed with Standard Webhooks headers, posted with
a timeout, and retried with backoff while the app answers anything but 2xx (or does not answer).

The Standard Webhooks signature is written here, not taken from the `standardwebhooks` library: it is
three lines (base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" under the base64 key after "whsec_"), the
library would be a runtime dependency of the command for them (the CLI's dependencies are what users
install), and tests/cli/test_listen_verify_parts.py proves these headers against that library's own verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hookbridge.model import StoredEvent

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
TIMEOUT_SECONDS = 10.0
FIRST_DELAY_SECONDS = 0.5
CONTENT_TYPES = {"form": "application/x-www-form-urlencoded", "json": "application/json"}


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_headers(secret: str, message_id: str, body: bytes, at: int) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at`` (unix seconds)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{at}.".encode() + body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(at), "webhook-signature": f"v1,{digest}"}


def retry_delays(retries: int, first: float = FIRST_DELAY_SECONDS) -> list[float]:
    """The waits before each retry: doubling from ``first`` (0.5, 1, 2, ... seconds)."""
    return [first * 2**n for n in range(max(0, retries))]


def content_type(event: StoredEvent) -> str:
    """What the body is, as the store knows it (the sender's own headers are not stored)."""
    if event.form is not None:
        return CONTENT_TYPES["form"]
    return CONTENT_TYPES["json"] if event.is_json else "application/octet-stream"


@dataclass(frozen=True)
class Attempt:
    number: int  # 1 for the first
    status: int | None  # None: no answer (refused, timed out)
    milliseconds: float
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def answer(self) -> str:
        return str(self.status) if self.status is not None else (self.error or "no answer")


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = TIMEOUT_SECONDS) -> Attempt:
    """One POST; the answer's status whatever it is, or why there was none."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s), checked
            response.read()
            status: int | None = response.status
            error = None
    except urllib.error.HTTPError as exc:
        status, error = exc.code, None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        status, error = None, str(getattr(reason, "strerror", None) or reason)
    return Attempt(0, status, (time.perf_counter() - started) * 1000, error)


def forward(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    message_id: str,
    delays: list[float],
    report: Callable[[Attempt, float | None], None],
    sleep: Callable[[float], None] = time.sleep,
    send: Callable[[str, bytes, Mapping[str, str]], Attempt] = post,
) -> Attempt:
    """Posts until a 2xx or the retries are spent; each attempt signed afresh (its own timestamp) and
    reported with the wait before the next one (None: no more)."""
    attempt = Attempt(0, None, 0)
    for number in range(1, len(delays) + 2):
        signed = {**headers, **signature_headers(secret, message_id, body, int(time.time()))}
        attempt = send(url, body, signed)
        attempt = Attempt(number, attempt.status, attempt.milliseconds, attempt.error)
        wait = None if attempt.delivered or number > len(delays) else delays[number - 1]
        report(attempt, wait)
        if wait is None:
            return attempt
        sleep(wait)
    return attempt
