"""What the core needs from the outside world, as protocols: the AWS adapters (``hookbridge.aws``) implement
them, and the tests pass in-memory fakes (``tests/support/fakes.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from hookbridge.model import Confirmation, StoredEvent, StoreOutcome
from hookbridge.subscription import Health, Subscription, SubscriptionSecret


class Secrets(Protocol):
    """Subscriptions' secrets, cached (``hookbridge.aws.secrets.SecretStore``)."""

    def get(self, provider: str, subscription: str, force_fetch: bool = False) -> SubscriptionSecret:
        """The secret; NotFound when the subscription has none, Unavailable when it cannot be read."""

    def refreshed(self, provider: str, subscription: str) -> SubscriptionSecret | None:
        """The secret read anew (it may have been rotated), or None when a refresh is not due."""


class SecretLearner(Protocol):
    """Stores a signing secret a handshake hands over (``hookbridge.aws.secrets.LearnedSecrets``)."""

    def learn(self, provider: str, subscription: str, value: str, now: float) -> str:
        """Stores ``value`` as the subscription's signing secret, and clears its awaiting marker, if the
        subscription awaits one at ``now`` and none was learned yet: one conditional write. Returns the new
        version's id; raises Unauthorized (nothing written) otherwise."""


class SubscriptionConfirmer(Protocol):
    """Confirms a subscription at its sender (``hookbridge.aws.confirmations.SnsSubscriptions``)."""

    def confirm(self, asked: Confirmation) -> str:
        """Confirms it; returns what the sender calls the confirmed subscription. Raises Unavailable when the
        sender could not be asked (the request is answered 503 and retried) and Unauthorized when the
        sender refuses (an expired or spent token: retrying cannot help)."""


class EventStore(Protocol):
    """The events table (``hookbridge.aws.storage.DynamoEventStore``)."""

    def put_once(self, event: StoredEvent, now: float) -> StoreOutcome:
        """Stores the event unless one stored under its key is still remembered (``duplicate``)."""


class Payloads(Protocol):
    """Bodies too large for an item (``hookbridge.aws.payloads.PayloadStore``)."""

    def put(self, key: str, body: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def discard(self, key: str) -> None:
        """Best effort: a duplicate's body (the bucket's lifecycle removes what is left)."""


class RejectionRecorder(Protocol):
    """Counts rejected requests per subscription (``hookbridge.aws.rejections.RejectionCounter``)."""

    def record(self, provider: str, subscription: str) -> None: ...

    def flush_if_due(self) -> None:
        """At the end of every invocation: writes what was counted when its interval is due."""


class PublishProgress(Protocol):
    """Records on a stored batch which of its elements are on the bus (``hookbridge.aws.storage``)."""

    def record(self, key: str, published: frozenset[int]) -> bool:
        """Whether it was recorded (False when DynamoDB could not be written: nothing changed)."""
        ...


class ElementClaims(Protocol):
    """Which stored batch publishes an element signed on its own (``hookbridge.aws.storage``)."""

    def claim(self, key: str, owner: str, expires_at: int) -> bool:
        """Whether the owner publishes it (claimed now or before by the owner); Unavailable when DynamoDB
        could not say."""
        ...


class NoRejectionRecorder:
    def record(self, provider: str, subscription: str) -> None:
        return None

    def flush_if_due(self) -> None:
        return None


class Registry(Protocol):
    """The subscriptions table, as the health check uses it (``hookbridge.aws.registry``)."""

    def list(self, provider: str | None = None) -> Iterator[Subscription]: ...

    def record_health(self, subscription: Subscription, health: Health) -> None: ...
