"""The ingest pipeline every provider shares: size limit, secret, verify, handshake or describe, store once.

Order matters: nothing about the body is trusted or parsed before the signature is checked (a scheme that
carries its signature in the body parses it only to find it), a handshake is answered only once verified
and never stored, and nothing is acknowledged before the conditional write has succeeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from hookbridge.errors import Forbidden, NotFound, PayloadTooLarge, Unauthorized, WebhookError
from hookbridge.model import (
    NOT_JSON,
    Answer,
    Confirmation,
    EventDescription,
    Handshake,
    Provider,
    StoredEvent,
    StoreOutcome,
    WebhookRequest,
    encode_elements,
    iso_ms,
)
from hookbridge.ports import (
    EventStore,
    NoRejectionRecorder,
    Payloads,
    RejectionRecorder,
    SecretLearner,
    Secrets,
    SubscriptionConfirmer,
)
from hookbridge.settings import IngestSettings
from hookbridge.subscription import SUBSCRIPTION_NAME, SubscriptionSecret

log = logging.getLogger(__name__)

# The object beside a stored body (named alike) that holds a batch's elements too many for the item.
ELEMENTS_SUFFIX = ".elements.json"
# Seconds a sender's clock may be ahead of ours: a timestamp is accepted up to its window either way.
CLOCK_SKEW = 600


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
        learner: SecretLearner | None = None,
        confirmer: SubscriptionConfirmer | None = None,
    ) -> None:
        self._payloads = payloads
        self._learner = learner
        self._confirmer = confirmer
        self._learning = provider.learning  # empty for every sender but those that hand a secret over
        # Unchecked POSTs told by their empty body (Microsoft Graph's ?validationToken=); none elsewhere.
        self._bodiless = tuple(h for h in provider.handshakes if h.empty_body and h.method == "POST")
        self._rejections = rejections or NoRejectionRecorder()
        self.provider = provider
        self._settings = settings
        self._secrets = secrets
        self._store = store
        self._clock = clock
        # What a request is stored under is remembered as long as the event is kept, and at least as long as
        # a captured copy's signed timestamp stays acceptable (with a short RetentionDays): a replay is then
        # either refused by its timestamp or a duplicate, never published again.
        self._remember_seconds = max(settings.retention_seconds, provider.replay_window_seconds + CLOCK_SKEW)
        # Content that may genuinely repeat (Zencargo) is a duplicate only within a window: the function's
        # DEDUPE_WINDOW_SECONDS (a stack parameter) when set, else the provider's own; else remembered.
        self._dedupe_window = settings.dedupe_window_seconds or provider.dedupe_window_seconds

    def check_size(self, size: int) -> None:
        if size > self._settings.max_body_bytes:
            raise PayloadTooLarge(f"body of {size} bytes over {self._settings.max_body_bytes}")

    def handle(self, request: WebhookRequest) -> IngestResult:
        self._check_route(request)
        unproven = self._unproven_handshake(request)
        if unproven is not None:
            return unproven
        verified_by, secret = self._verify(request)
        payload, form = self.provider.parse(request)
        for handshake in self.provider.handshakes:
            if handshake.verified and handshake.matches(request, payload):
                return IngestResult(None, handshake.name, handshake.answer(request, payload, secret))
        if self.provider.confirmation is not None:
            asked = self.provider.confirmation(payload)
            if asked is not None:
                self._confirm(asked, request, secret)
        description = self.provider.describe(request, payload)
        if self.provider.item_proof is not None:
            description = self._claimed(description, payload)
        event = self._record(
            request,
            description,
            verified_by,
            is_json=payload is not NOT_JSON and form is None,
            form=form,
            proof=self.provider.proof(request, payload, form),
        )
        if (
            self.provider.withhold is not None
        ):  # the shared value the body carries is neither kept nor published
            kept = self.provider.withhold(payload)
            event = replace(event, payload=kept, payload_sha256=hashlib.sha256(kept).hexdigest())
        event = self._store_apart(event, event.payload)
        # Windows are measured on API Gateway's receive time, the same clock that set dedupe_until.
        outcome = self._store.put_once(event, request.received_at_ms / 1000)
        if outcome.status == "duplicate" and self._payloads is not None:
            # Objects named after the request: the stored duplicate may point at the very same ones.
            for key in (event.payload_s3_key, event.elements_s3_key):
                if key is not None and key not in outcome.objects:
                    self._payloads.discard(key)
        return IngestResult(outcome, description.event_type, self.provider.accepted)

    def _check_route(self, request: WebhookRequest) -> None:
        self.check_size(len(request.body))
        if not SUBSCRIPTION_NAME.match(request.subscription):
            raise NotFound("not a subscription name")
        for name, allowed in self.provider.path_values.items():
            if request.path.get(name) not in allowed:
                raise NotFound(f"unknown {name}")

    def _unproven_handshake(self, request: WebhookRequest) -> IngestResult | None:
        """The answer to a handshake that comes before (or without) the sender's proof: any method but POST,
        a bodiless POST (Graph's validation), one handing a secret over (Asana); None for anything else."""
        if request.method != "POST":
            return self._unsigned_handshake(request)
        if self._bodiless and not request.body:
            answered = self._bodiless_handshake(request)
            if answered is not None:
                return answered
        if self._learning:
            return self._learning_handshake(request)
        return None

    def _claimed(self, description: EventDescription, payload: Any) -> EventDescription:
        """A batch whose items are signed one by one: each element claimed by its signed message, and an
        item given twice in one request published once (the elements each publisher claims are its own)."""
        from hookbridge.providers.bodies import at_pointer
        from hookbridge.providers.coverage import claim_of

        assert self.provider.item_proof is not None
        seen: set[str] = set()
        elements = []
        for element in description.elements:
            claim = claim_of(self.provider.item_proof(at_pointer(payload, element.pointer)))
            if claim not in seen:
                seen.add(claim)
                elements.append(replace(element, claim=claim))
        return replace(description, elements=tuple(elements), proven_ids=())

    def _unsigned_handshake(self, request: WebhookRequest) -> IngestResult:
        """A GET (or another method) is only ever a handshake: checked by a verify token, by the auth where
        that is a header token (Okta's), or by nothing where the sender proves none (Dropbox, Trello)."""
        candidates = [h for h in self.provider.handshakes if h.method == request.method]
        if not candidates:
            raise NotFound(f"no {request.method} on this route")
        if any(h.verified for h in candidates):
            _, secret = self._verify(request)
        else:
            secret = self._secrets.get(self.provider.name, request.subscription)
        for handshake in candidates:
            if handshake.matches(request, NOT_JSON):
                return IngestResult(None, handshake.name, self._answer_checked(handshake, request, secret))
        raise NotFound("not a handshake of this sender")

    def _bodiless_handshake(self, request: WebhookRequest) -> IngestResult | None:
        """A POST without a body that a sender proves nothing in (Microsoft Graph's ?validationToken=): an
        echo of the request alone, for a subscription that exists (else 404); None when it is not one (it
        is then verified as an event, and refused)."""
        for handshake in self._bodiless:
            if handshake.matches(request, NOT_JSON):
                secret = self._secrets.get(self.provider.name, request.subscription)
                return IngestResult(None, handshake.name, self._answer_checked(handshake, request, secret))
        return None

    def _learning_handshake(self, request: WebhookRequest) -> IngestResult | None:
        """A handshake that hands the subscription's signing secret over (Asana's X-Hook-Secret, Notion's
        verification_token): nothing proves it, so the body is read unverified (within the size limit) only
        to find the secret; None when the request is not one."""
        payload, _ = self.provider.parse(request)
        for handshake in self._learning:
            assert handshake.learns is not None
            value = handshake.learns(request, payload)
            if value is not None and handshake.matches(request, payload):
                answer = self._learn(handshake, request, value)
                return IngestResult(None, handshake.name, handshake.answer(request, payload, answer))
        return None

    def _learn(self, handshake: Handshake, request: WebhookRequest, value: str) -> SubscriptionSecret:
        """Stores the handed-over secret if the operator made the subscription await one and its window is
        open, once (SecretLearner's conditional write); else refuses, changing nothing. Each outcome is
        audited in the log: the subscription, the handshake and the version, never the value."""
        provider, subscription = self.provider.name, request.subscription
        secret = self._secrets.get(provider, subscription)  # NotFound (404) for a name that is none
        now = self._clock()
        if not _awaits(secret, now):
            # The cached copy may predate the operator's marker: read once more (rate-limited).
            fresh = self._secrets.refreshed(provider, subscription)
            if fresh is None or not _awaits(fresh, now):
                self._refuse_learning(handshake, request, "the subscription awaits no secret now")
        if self._learner is None:
            self._refuse_learning(handshake, request, "this function stores no learned secret")
        assert self._learner is not None
        try:
            version = self._learner.learn(provider, subscription, value, now)
        except Unauthorized as exc:
            self._refuse_learning(handshake, request, exc.reason)
        log.warning(
            "audit: signing secret learned at a handshake, awaiting marker cleared",
            extra={
                "audit": "secret_learned",
                "provider": provider,
                "subscription": subscription,
                "handshake": handshake.name,
                "secret_version": version,
            },
        )
        # The cached copy still awaits: the next event verifies with the learned secret (on a failure here,
        # the rotation retry in _verify reads it then).
        with contextlib.suppress(WebhookError):
            self._secrets.get(provider, subscription, force_fetch=True)
        return SubscriptionSecret()  # the answer is made of the request alone (HandshakeSpec)

    def _confirm(self, asked: Confirmation, request: WebhookRequest, secret: SubscriptionSecret) -> None:
        """Confirms at the sender what a verified request asks (AWS SNS's SubscriptionConfirmation) if the
        operator made the subscription await a handshake and its window is open; the request is then stored
        and published as any other. Within the window every confirmation of an allowed topic is confirmed
        (a subscription may take several topics; confirming one twice changes nothing). The sender down is
        Unavailable (503, nothing stored: it retries); its refusal (a token expired or spent) is audited and
        the confirmation stored, for the operator to see. Never the token in the log."""
        provider, subscription = self.provider.name, request.subscription
        audit = {"provider": provider, "subscription": subscription, "topic_arn": asked.topic_arn}
        now = self._clock()
        awaited = _awaits(secret, now)
        if not awaited:  # the cached copy may predate the operator's marker: read once more (rate-limited)
            fresh = self._secrets.refreshed(provider, subscription)
            awaited = fresh is not None and _awaits(fresh, now)
        if not awaited or self._confirmer is None:
            log.info(
                "audit: subscription confirmation stored, not confirmed: the subscription awaits none",
                extra={"audit": "confirmation_not_awaited", **audit},
            )
            return
        try:
            confirmed = self._confirmer.confirm(asked)
        except Unauthorized as exc:
            log.warning(
                "audit: subscription confirmation refused by the sender, stored for the operator",
                extra={"audit": "confirmation_refused", "reason": exc.reason, **audit},
            )
            return
        log.warning(
            "audit: subscription confirmed at the sender",
            extra={"audit": "subscription_confirmed", "confirmed": confirmed, **audit},
        )

    def _refuse_learning(self, handshake: Handshake, request: WebhookRequest, reason: str) -> NoReturn:
        log.warning(
            "audit: handshake handing a secret over refused, nothing changed",
            extra={
                "audit": "secret_refused",
                "provider": self.provider.name,
                "subscription": request.subscription,
                "handshake": handshake.name,
                "reason": reason,
            },
        )
        self._rejections.record(self.provider.name, request.subscription)
        raise Unauthorized(f"{handshake.name}: {reason}")

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

    def _store_apart(self, event: StoredEvent, body: bytes) -> StoredEvent:
        """Writes what is too large for the item to the payload bucket, before the item that points at it:
        the body, and a batch's elements when there are more than the item holds beside it. The objects are
        named after the request (its dedupe key and its body's hash), so a retry after a failed write puts
        the same objects again and leaves none behind."""
        inline = self._settings.inline_payload_bytes
        elements = encode_elements(event.elements) if event.elements else ""
        body_apart = len(body) > inline
        elements_apart = len(elements) + (0 if body_apart else len(body)) > inline
        if not (body_apart or elements_apart):
            return event
        if self._payloads is None:
            raise PayloadTooLarge("body too large for an item, and no payload bucket is configured")
        name = hashlib.sha256(f"{event.dedupe_key}\n{event.payload_sha256}".encode()).hexdigest()[:40]
        key = f"{event.provider}/{event.subscription}/{name}"
        if elements_apart:
            self._payloads.put(f"{key}{ELEMENTS_SUFFIX}", elements.encode())
            event = replace(event, elements_s3_key=f"{key}{ELEMENTS_SUFFIX}")
        if body_apart:
            self._payloads.put(key, body)
            event = replace(event, payload=b"", payload_s3_key=key)
        return event

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
        proof: bytes | None,
    ) -> StoredEvent:
        received_s = request.received_at_ms // 1000
        received_at = iso_ms(request.received_at_ms)
        expires_at = received_s + self._remember_seconds
        # The body is hashed once (the warm path's largest cost after the write at 32 KB and up).
        payload_sha256 = hashlib.sha256(request.body).hexdigest()
        base = f"{self.provider.name}#{request.subscription}"
        # Made only of what the signature proves (hookbridge.providers.coverage): a captured request with
        # other values where no signature reaches is stored under the same key, so it is a duplicate.
        claims = {element.claim for element in description.elements if element.claim is not None}
        if description.proven_id is not None:
            # A provider's event id is unique: a repeat is a duplicate for as long as we keep the event.
            dedupe_key, dedupe_until = f"{base}#id#{description.proven_id}", expires_at
        elif len(claims) == 1:
            # One item signed on its own: stored under its claim, as the publisher claims a batch's items.
            dedupe_key, dedupe_until = f"{base}#item#{claims.pop()}", expires_at
        else:
            # Identical content is a duplicate for as long as we keep the event, except where the sender
            # documents identical genuine notifications (a Zencargo shipment whose stage changes twice): a
            # window. A batch whose every event has a proven id is the same batch when its ids are, whatever
            # bookkeeping the sender changes in a retry (HubSpot's attemptNumber); one whose items are signed
            # one by one, when its items are.
            basis = payload_sha256 if proof is None else hashlib.sha256(proof).hexdigest()
            ids: list[str | None] = [*sorted(claims)] or list(description.proven_ids)
            if ids and all(ids):
                basis = hashlib.sha256("\n".join(i or "" for i in ids).encode()).hexdigest()
            content = hashlib.sha256(f"{description.proven_type or ''}\n{basis}".encode()).hexdigest()
            dedupe_key = f"{base}#sha256#{content}"
            dedupe_until = received_s + self._dedupe_window if self._dedupe_window else expires_at
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
            claim=(
                f"id#{description.event_id}"
                if self.provider.claims_event_id and description.event_id and description.proven_id is None
                else None
            ),
        )


def _awaits(secret: SubscriptionSecret, now: float) -> bool:
    marker = secret.awaiting_handshake
    return marker is not None and marker.open_at(now)
