"""Which subscriptions of one sender exist, known without an AWS call per request, so that a request for a
name nobody created costs no AWS call however many names an attacker invents.

A subscription is its secret (the operator contract): the names are those of the secrets under
``{prefix}/{provider}/``, read with ``ListSecrets`` (names and metadata only, never a value) and kept by each
function instance. They are read again when a request arrives and the list is older than
``max_age_seconds`` (so a deleted subscription is refused within that delay), and, for a name the list does
not hold, at most once per ``miss_interval_seconds`` (so a new one is served within that delay, while a
flood of invented names costs at most one listing per interval per instance). A name still not listed is
404 without ``GetSecretValue``. Secrets scheduled for deletion are not subscriptions.

When a listing fails, the names already known are kept (their webhooks are still served) and the next
attempt waits for the miss interval; a name that is not known while the last listing failed is 503, since
it may exist: the provider retries, nothing is lost. Before any listing has succeeded, every request is 503.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.errors import NotFound, Unavailable
from hookbridge.ports import Secrets
from hookbridge.subscription import SUBSCRIPTION_NAME, SubscriptionSecret

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

log = logging.getLogger(__name__)

# The largest page ListSecrets returns: a thousand subscriptions of a sender are ten calls a listing.
PAGE_SIZE = 100


class KnownSubscriptions:
    """The names of one sender's subscriptions, as its secrets in Secrets Manager name them."""

    def __init__(
        self,
        client: SecretsManagerClient,
        prefix: str,
        provider: str,
        max_age_seconds: float,
        miss_interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}/{provider}/"
        self._max_age = max_age_seconds
        self._miss_interval = miss_interval_seconds
        self._clock = clock
        self._names: frozenset[str] | None = None
        self._listed_at = float("-inf")  # the last listing that succeeded
        self._tried_at = float("-inf")  # the last listing attempted, whatever its outcome
        self._failed = False  # the last attempt failed: a name not known may exist

    def exists(self, subscription: str) -> bool:
        """Whether the subscription has a secret. Unavailable when that cannot be told."""
        now = self._clock()
        # Too old: listed again, unless the last attempt failed less than a miss interval ago.
        if now - self._listed_at >= self._max_age and (not self._failed or self._may_list(now)):
            self._list(now)
        if self._names is not None and subscription in self._names:
            return True
        if self._may_list(now):
            self._list(now)
            assert self._names is not None  # a listing that returns has set them
            return subscription in self._names
        if self._failed or self._names is None:
            raise Unavailable("subscriptions could not be listed")
        return False

    def _may_list(self, now: float) -> bool:
        # A failed attempt is not repeated before the miss interval either: a flood cannot turn a throttled
        # ListSecrets into one call per request.
        return now - self._tried_at >= self._miss_interval

    def _list(self, now: float) -> None:
        self._tried_at = now
        try:
            names = self._read_names()
        except (ClientError, BotoCoreError) as exc:
            self._failed = True
            log.warning("could not list subscriptions", extra={"error": _error_code(exc)})
            if self._names is None:
                raise Unavailable(f"secrets manager failed: {_error_code(exc)}") from exc
            return
        self._names, self._listed_at, self._failed = names, now, False

    def _read_names(self) -> frozenset[str]:
        names: set[str] = set()
        request: dict[str, Any] = {
            "Filters": [{"Key": "name", "Values": [self._prefix]}],
            "MaxResults": PAGE_SIZE,
            "IncludePlannedDeletion": False,
        }
        while True:
            page = self._client.list_secrets(**request)
            for secret in page.get("SecretList", []):
                name = secret.get("Name", "")
                # The filter is a case-insensitive prefix match: keep exactly our prefix, one level below it.
                if secret.get("DeletedDate") is None and name.startswith(self._prefix):
                    subscription = name.removeprefix(self._prefix)
                    if SUBSCRIPTION_NAME.match(subscription):
                        names.add(subscription)
            token = page.get("NextToken")
            if not token:
                return frozenset(names)
            request["NextToken"] = token


class KnownSubscriptionSecrets:
    """The secrets port, asked only for subscriptions that exist: any other name is NotFound (404) before a
    secret is read."""

    def __init__(self, known: KnownSubscriptions, secrets: Secrets) -> None:
        self._known = known
        self._secrets = secrets

    def get(self, provider: str, subscription: str, force_fetch: bool = False) -> SubscriptionSecret:
        if not self._known.exists(subscription):
            raise NotFound("no such subscription (no secret listed for it)")
        return self._secrets.get(provider, subscription, force_fetch=force_fetch)

    def refreshed(self, provider: str, subscription: str) -> SubscriptionSecret | None:
        return self._secrets.refreshed(provider, subscription)


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__
