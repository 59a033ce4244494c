"""The ingest pipeline every provider shares: size limit, secret, verify, handshake or describe, store once.

Order matters: nothing about the body is trusted or parsed before the signature is checked (a scheme that
carries its signature in the body parses it only to find it), a handshake is answered only once verified
and never stored, and nothing is acknowledged before the conditional write has succeeded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from hookbridge.errors import Forbidden, NotFound, PayloadTooLarge, Unauthorized
from hookbridge.model import (
    NOT_JSON,
    Answer,
    EventDescription,
    Handshake,
    Provider,
    StoredEvent,
    StoreOutcome,
    WebhookRequest,
    iso_ms,
)
from hookbridge.ports import EventStore, NoRejectionRecorder, Payloads, RejectionRecorder, Secrets
from hookbridge.settings import DEFAULT_DEDUPE_WINDOW_SECONDS, IngestSettings
from hookbridge.subscription import SUBSCRIPTION_NAME, SubscriptionSecret

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """A stored webhook's outcome, or (``outcome`` None) a handshake answered; ``answer``: the answer of
    the sender's own shape, when it has one."""

    outcome: StoreOutcome | None
    event_type: str
    answer: Answer | None = None


class IngestPipeline:
    def __init__(
        self,
        provider: Provider,
        settings: IngestSettings,
        secrets: Secrets,
        store: EventStore,
        clock: Callable[[], float] = time.time,
        rejections: RejectionRecorder | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self._payloads = payloads
        self._rejections = rejections or NoRejectionRecorder()
        self.provider = provider
        self._settings = settings
        self._secrets = secrets
        self._store = store
        self._clock = clock
        # The function's DEDUPE_WINDOW_SECONDS (a stack parameter) when set, else the provider's own.
        self._dedupe_window = (
            settings.dedupe_window_seconds or provider.dedupe_window_seconds or DEFAULT_DEDUPE_WINDOW_SECONDS
        )

    def check_size(self, size: int) -> None:
        if size > self._settings.max_body_bytes:
            raise PayloadTooLarge(f"body of {size} bytes over {self._settings.max_body_bytes}")

    def handle(self, request: WebhookRequest) -> IngestResult:
        self.check_size(len(request.body))
        if not SUBSCRIPTION_NAME.match(request.subscription):
            raise NotFound("not a subscription name")
        for name, allowed in self.provider.path_values.items():
            if request.path.get(name) not in allowed:
                raise NotFound(f"unknown {name}")
        if request.method != "POST":
            return self._unsigned_handshake(request)
        verified_by, secret = self._verify(request)
        payload, form = self.provider.parse(request)
        for handshake in self.provider.handshakes:
            if handshake.verified and handshake.matches(request, payload):
                return IngestResult(None, handshake.name, handshake.answer(request, payload, secret))
        description = self.provider.describe(request, payload)
        event = self._record(
            request, description, verified_by, is_json=payload is not NOT_JSON and form is None, form=form
        )
        if len(request.body) > self._settings.inline_payload_bytes:
            event = self._store_payload_apart(event, request.body)
        # Windows are measured on API Gateway's receive time, the same clock that set dedupe_until.
        outcome = self._store.put_once(event, request.received_at_ms / 1000)
        if outcome.status == "duplicate" and event.payload_s3_key and self._payloads is not None:
            self._payloads.discard(event.payload_s3_key)
        return IngestResult(outcome, description.event_type, self.provider.accepted)

    def _unsigned_handshake(self, request: WebhookRequest) -> IngestResult:
        """A GET (or another method) is only ever a handshake the sender checks by a verify token."""
        candidates = [h for h in self.provider.handshakes if not h.verified and h.method == request.method]
        if not candidates:
            raise NotFound(f"no {request.method} on this route")
        secret = self._secrets.get(self.provider.name, request.subscription)
        for handshake in candidates:
            if handshake.matches(request, NOT_JSON):
                return IngestResult(None, handshake.name, self._answer_checked(handshake, request, secret))
        raise NotFound("not a handshake of this sender")

    def _answer_checked(
        self, handshake: Handshake, request: WebhookRequest, secret: SubscriptionSecret
    ) -> Answer:
        try:
            return handshake.answer(request, NOT_JSON, secret)
        except Unauthorized as exc:
            self._rejections.record(self.provider.name, request.subscription)
            if handshake.refused_status == Forbidden.status:
                raise Forbidden(exc.reason) from exc
            raise

    def _store_payload_apart(self, event: StoredEvent, body: bytes) -> StoredEvent:
        """Writes a body too large for the item to the payload bucket, before the item that points at it."""
        if self._payloads is None:
            raise PayloadTooLarge("body too large for an item, and no payload bucket is configured")
        key = f"{event.provider}/{event.subscription}/{event.received_at[:10]}/{event.id}"
        self._payloads.put(key, body)
        return replace(event, payload=b"", payload_s3_key=key)

    def _verify(self, request: WebhookRequest) -> tuple[str, SubscriptionSecret]:
        """How the request proved itself, and the secret it proved itself with."""
        secret = self._secrets.get(self.provider.name, request.subscription)
        try:
            return self.provider.verify(request, secret, self._clock()), secret
        except Unauthorized:
            # The cached secret may predate a rotation: verify once more with a fresh copy (rate-limited).
            fresh = self._secrets.refreshed(self.provider.name, request.subscription)
            if fresh is not None and fresh != secret:
                try:
                    return self.provider.verify(request, fresh, self._clock()), fresh
                except Unauthorized:
                    pass
            # Counted only here, where the subscription is known to exist: the count is bounded.
            self._rejections.record(self.provider.name, request.subscription)
            raise

    def _record(
        self,
        request: WebhookRequest,
        description: EventDescription,
        verified_by: str,
        is_json: bool,
        form: str | None,
    ) -> StoredEvent:
        received_s = request.received_at_ms // 1000
        received_at = iso_ms(request.received_at_ms)
        expires_at = received_s + self._settings.retention_seconds
        # The body is hashed once (the warm path's largest cost after the write at 32 KB and up).
        payload_sha256 = hashlib.sha256(request.body).hexdigest()
        base = f"{self.provider.name}#{request.subscription}"
        if description.event_id is not None:
            # A provider's event id is unique: a repeat is a duplicate for as long as we keep the event.
            dedupe_key, dedupe_until = f"{base}#id#{description.event_id}", expires_at
        else:
            # Identical content is a duplicate only within the window: two genuine notifications can have
            # identical bodies (a shipment whose stage changes twice). A batch whose every event has an id is
            # the same batch when its ids are, whatever bookkeeping the sender changes in a retry (HubSpot's
            # attemptNumber); those ids are not always unique for good (HubSpot's), so it is windowed too.
            basis = payload_sha256
            ids = [element.event_id for element in description.elements]
            if ids and all(ids):
                basis = hashlib.sha256("\n".join(i or "" for i in ids).encode()).hexdigest()
            content = hashlib.sha256(f"{description.event_type}\n{basis}".encode()).hexdigest()
            dedupe_key = f"{base}#sha256#{content}"
            dedupe_until = received_s + self._dedupe_window
        # Bucketed by day (and sharded when configured) so one busy subscription is not one hot partition.
        shard = int(payload_sha256[:8], 16) % self._settings.index_shards
        return StoredEvent(
            key=dedupe_key,
            id=os.urandom(16).hex(),  # 128 random bits, like uuid4().hex without building a UUID object
            provider=self.provider.name,
            subscription=request.subscription,
            dedupe_key=dedupe_key,
            event_type=description.event_type,
            recognized=description.recognized,
            is_json=is_json,
            received_at=received_at,
            verified_by=verified_by,
            payload=request.body,
            payload_sha256=payload_sha256,
            expires_at=expires_at,
            dedupe_until=dedupe_until,
            by_day=f"{base}#{received_at[:10]}#{shard}",
            event_id=description.event_id,
            occurred_at=description.occurred_at,
            subject=description.subject,
            extra=description.extra,
            form=form,
            elements=description.elements,
        )
