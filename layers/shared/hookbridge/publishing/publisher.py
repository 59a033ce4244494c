"""Stored events onto the EventBridge bus, in the envelope consumers rely on: one bus event per stored
webhook, or one per element of a stored batch (each with its own id, event id and detail-type).

Entries go out ten to a PutEvents call and within the request size limit. ``FailedEntryCount`` is handled
per entry: failed entries are retried here a few times, and whatever still fails is reported as a batch item
failure so Lambda retries exactly those records (then the dead-letter queue). Once a call has failed for
good, later records are not attempted: the stream retries from the first failure anyway, and not sending
them keeps what a retry publishes twice to the minimum.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.errors import Unavailable
from hookbridge.model import NOT_JSON, StoredEvent, decode_elements, parse_json
from hookbridge.ports import ElementClaims, PublishProgress
from hookbridge.providers.bodies import at_pointer, published

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_CALL = 10
# EventBridge's limit for one entry and for a whole PutEvents request.
MAX_REQUEST_BYTES = 256 * 1024
# Bytes the Time field counts for in EventBridge's entry-size formula.
_TIME_BYTES = 14
RETRY_DELAYS_SECONDS = (0.1, 0.5)


@dataclass(frozen=True, slots=True)
class Envelope:
    """One EventBridge entry and the stream record it came from."""

    record_id: str  # the stream record's sequence number: what Lambda retries
    entry: PutEventsRequestEntryTypeDef
    size: int
    provider: str
    element: str | None = None  # a batch element's bus id (several envelopes share the record)
    item_key: str = ""  # the stored webhook's key, where a batch's progress is recorded
    index: int = -1  # the element's place in its batch
    published_before: frozenset[int] = frozenset()  # the batch's elements an earlier attempt published
    # Where the element is claimed before it is published, when its item is signed on its own (Adyen), and
    # until when the claim is kept (``hookbridge.aws.storage.DynamoElementClaims``).
    claim_key: str | None = None
    claim_until: int = 0
    owner: str = ""  # the stored batch's id: whose claim it is


def entry_size(source: str, detail_type: str, detail: str) -> int:
    return _TIME_BYTES + len(source.encode()) + len(detail_type.encode()) + len(detail.encode())


def with_elements(event: StoredEvent, read: Callable[[str], bytes]) -> StoredEvent:
    """A stored batch with its elements, read from the payload bucket where the item had no room for them
    (``read``: an object's bytes by key; raises Unavailable)."""
    if event.elements_s3_key is None:
        return event
    return replace(event, elements=decode_elements(read(event.elements_s3_key).decode("utf-8")))


def claim_keys(event: StoredEvent) -> list[str]:
    """The claims publishing this stored event makes (``hookbridge.aws.storage.DynamoElementClaims``): a
    Mailgun event's id, each item of a batch signed item by item (but the item it is stored as)."""
    base = f"{event.provider}#{event.subscription}"
    if not event.elements:
        return [f"{base}#{event.claim}"] if event.claim is not None else []
    keys = (f"{base}#item#{element.claim}" for element in event.elements if element.claim is not None)
    return [key for key in keys if key != event.key]


def build_envelopes(
    record_id: str,
    event: StoredEvent,
    *,
    prefix: str,
    bus: str,
    table: str,
    payload_bucket: str | None = None,
) -> list[Envelope]:
    """The bus events of one stored webhook: itself, or each element of a batch."""
    if not event.elements:
        envelope = build_envelope(
            record_id, event, prefix=prefix, bus=bus, table=table, payload_bucket=payload_bucket
        )
        if event.claim is None:
            return [envelope]
        [claim_key] = claim_keys(event)
        return [replace(envelope, claim_key=claim_key, claim_until=event.expires_at, owner=event.id)]
    body = parse_json(event.payload) if event.payload_s3_key is None else NOT_JSON
    base = f"{event.provider}#{event.subscription}"
    envelopes = []
    for index, element in enumerate(event.elements):
        if index in event.published_elements:  # on the bus already (a MODIFY record's earlier attempt)
            continue
        data = (
            json.dumps(at_pointer(body, element.pointer), ensure_ascii=False, separators=(",", ":"))
            if body is not NOT_JSON
            else None
        )
        own_id = f"{event.id}-{index}"
        one = replace(
            event,
            id=own_id,
            event_type=element.event_type,
            recognized=element.recognized,
            # Each element has an event id of its own: the sender's, else (Meta's changes) its own id.
            event_id=element.event_id or own_id,
            occurred_at=element.occurred_at or event.occurred_at,
            subject=element.subject,
            extra={**event.extra, **element.extra, "batch_id": event.id, "batch_index": str(index)},
            elements=(),
        )
        envelope = build_envelope(
            record_id,
            one,
            prefix=prefix,
            bus=bus,
            table=table,
            payload_bucket=payload_bucket,
            data=data,
            pointer=element.pointer,
        )
        # A batch of one item is stored under its claim's key: the item is the claim.
        element_claim = f"{base}#item#{element.claim}" if element.claim is not None else None
        envelopes.append(
            replace(
                envelope,
                item_key=event.key,
                index=index,
                published_before=event.published_elements,
                claim_key=element_claim if element_claim != event.key else None,
                claim_until=event.expires_at,
                owner=event.id,
            )
        )
    return envelopes


def build_envelope(
    record_id: str,
    event: StoredEvent,
    *,
    prefix: str,
    bus: str,
    table: str,
    payload_bucket: str | None = None,
    data: str | None = None,
    pointer: tuple[str | int, ...] | None = None,
) -> Envelope:
    """One bus event; ``data`` (JSON text) in place of the stored body, for a batch's element, whose
    ``pointer`` says where it is in the stored body (consumers read it there when it is too large)."""
    source = f"{prefix}.{event.provider}"
    metadata: dict[str, Any] = {
        "provider": event.provider,
        "subscription": event.subscription,
        "id": event.id,
        "event_id": event.event_id,
        "dedupe_key": event.dedupe_key,
        "received_at": event.received_at,
        "occurred_at": event.occurred_at,
        "subject": event.subject,
        "verified_by": event.verified_by,
        "recognized": event.recognized,
        "payload_sha256": event.payload_sha256,
        "payload_ref": None,
    }
    # A sender's own metadata after the pipeline's, never over it (definitions may not name these at all).
    metadata.update((k, v) for k, v in event.extra.items() if k not in metadata)
    where = {"pointer": list(pointer)} if pointer is not None else {}
    if event.payload_s3_key is not None and data is None:
        # Stored apart because it is larger than an item, so larger than a bus entry too.
        metadata["payload_ref"] = {
            "store": "s3",
            "bucket": payload_bucket,
            "key": event.payload_s3_key,
            **where,
        }
        detail = _detail(metadata, "null")
    else:
        detail = _detail(metadata, data if data is not None else _data(event))
    size = entry_size(source, event.event_type, detail)
    if size > MAX_REQUEST_BYTES:
        # Never truncated: the entry says where the stored payload is, and carries no data.
        metadata["payload_ref"] = {"store": "dynamodb", "table": table, "key": {"pk": event.key}, **where}
        detail = _detail(metadata, "null")
        size = entry_size(source, event.event_type, detail)
    entry: PutEventsRequestEntryTypeDef = {
        "Source": source,
        "DetailType": event.event_type,
        "Detail": detail,
        "EventBusName": bus,
    }
    return Envelope(record_id, entry, size, event.provider, event.id if pointer is not None else None)


def _data(event: StoredEvent) -> str:
    form = published(event.payload, event.form)
    if form is not None:  # a form's fields (or the JSON a form field holds), as the JSON object it says
        return form
    if event.is_json:
        # Spliced in as received: the provider's JSON, untouched (and no re-serialisation cost).
        return event.payload.decode("utf-8")
    text = event.payload.decode("utf-8", "replace")
    return json.dumps({"raw": text}, ensure_ascii=False)


def _detail(metadata: dict[str, Any], data: str) -> str:
    encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
    return '{"metadata":' + encoded + ',"data":' + data + "}"


def chunks(envelopes: Sequence[Envelope]) -> Iterable[list[Envelope]]:
    chunk: list[Envelope] = []
    size = 0
    for envelope in envelopes:
        if chunk and (len(chunk) == MAX_ENTRIES_PER_CALL or size + envelope.size > MAX_REQUEST_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(envelope)
        size += envelope.size
    if chunk:
        yield chunk


class Publisher:
    """Publishes envelopes in order. A batch's elements share one stream record, which Lambda would retry
    whole, publishing again the elements that did reach the bus. So when a failure leaves a batch partly
    published, the elements on the bus are recorded on its item (``progress``) and the record counts as
    done: the item's MODIFY record then publishes the rest, and only the rest. That is done only for the
    failed records Lambda will not retry anyway (those before any failed record that cannot be recorded),
    and only when this attempt put one more element on the bus, so it ends. When it cannot be recorded,
    the elements are remembered in this instance (where the mapping's retry usually lands) instead."""

    def __init__(
        self,
        client: EventBridgeClient,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
        remembered: int = 10_000,
        progress: PublishProgress | None = None,
        claims: ElementClaims | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._claims = claims
        self._clock = clock
        self._sleep = sleep
        self._retry_delays = retry_delays
        self._published_elements: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered
        self._progress = progress

    def publish(self, envelopes: Sequence[Envelope], deadline: float | None = None) -> list[str]:
        """Publishes in order; returns the record ids not on the bus (empty when all are). Past
        ``deadline`` (``time.monotonic``) nothing more is sent: what is left counts as failed, so a batch
        of thousands ends inside the function's timeout with its progress recorded."""
        envelopes, unclaimed = self._claimed(envelopes)
        to_send = [e for e in envelopes if e.element is None or e.element not in self._published_elements]
        failed: list[Envelope] = []
        for chunk in chunks(to_send):
            if failed or (deadline is not None and self._clock() > deadline):
                failed.extend(chunk)
                continue
            failed.extend(self._put_with_retries(chunk))
        not_sent = {id(e) for e in failed}
        sent = [e for e in to_send if id(e) not in not_sent]
        failed_records = list(dict.fromkeys(e.record_id for e in failed))
        deferred = self._record_progress(failed_records, envelopes, sent)
        still_failed = set(failed_records) - deferred
        sent_ids = {id(e) for e in sent}
        for envelope in envelopes:
            if envelope.element is None:
                continue
            if envelope.record_id not in still_failed:
                self._published_elements.pop(envelope.element, None)  # its record is done
            elif id(envelope) in sent_ids:
                self._published_elements[envelope.element] = None
        while len(self._published_elements) > self._remembered:
            self._published_elements.popitem(last=False)
        return [r for r in failed_records if r not in deferred] + unclaimed

    def _claimed(self, envelopes: Sequence[Envelope]) -> tuple[list[Envelope], list[str]]:
        """The envelopes to publish: an element another stored batch claimed is left out (it is on the bus
        through that one). When a claim cannot be made, that record and every later one are not attempted
        (Lambda retries from the first failed record) and are returned as failed."""
        if self._claims is None or not any(e.claim_key for e in envelopes):
            return list(envelopes), []
        kept: list[Envelope] = []
        for envelope in envelopes:
            if envelope.claim_key is None:
                kept.append(envelope)
                continue
            try:
                if self._claims.claim(envelope.claim_key, envelope.owner, envelope.claim_until):
                    kept.append(envelope)
            except Unavailable:
                log.warning("could not claim a batch's element", extra={"record": envelope.record_id})
                first = next(i for i, e in enumerate(envelopes) if e.record_id == envelope.record_id)
                kept = [e for e in kept if e.record_id != envelope.record_id]
                return kept, list(dict.fromkeys(e.record_id for e in envelopes[first:]))
        return kept, []

    def _record_progress(
        self, failed_records: list[str], envelopes: Sequence[Envelope], sent: list[Envelope]
    ) -> set[str]:
        """The failed records whose progress was recorded on their items (their MODIFY publishes the rest).
        Lambda retries from the first failed record it is told of, everything after it included: a record
        after one that stays failed would be published again whole, so recording stops there."""
        deferred: set[str] = set()
        if self._progress is None:
            return deferred
        for record in failed_records:  # in stream order
            elements = [e for e in envelopes if e.record_id == record]
            published_now = {e.index for e in sent if e.record_id == record and e.element is not None}
            if not published_now or any(e.element is None for e in elements):
                break  # not a batch, or nothing more of it on the bus: Lambda's retry repeats nothing
            remembered = {e.index for e in elements if e.element in self._published_elements}
            published = elements[0].published_before | published_now | remembered
            if not self._progress.record(elements[0].item_key, frozenset(published)):
                break
            deferred.add(record)
        return deferred

    def _put_with_retries(self, chunk: list[Envelope]) -> list[Envelope]:
        pending = chunk
        for delay in (*self._retry_delays, None):
            pending = self._put(pending)
            if not pending or delay is None:
                break
            self._sleep(delay)
        return pending

    def _put(self, chunk: list[Envelope]) -> list[Envelope]:
        try:
            response = self._client.put_events(Entries=[e.entry for e in chunk])
        except (ClientError, BotoCoreError) as exc:
            log.warning("PutEvents call failed", extra={"error": type(exc).__name__, "entries": len(chunk)})
            return chunk
        if not response.get("FailedEntryCount"):
            return []
        # Results are positional: the n-th result belongs to the n-th entry.
        failed = [
            (envelope, result)
            for envelope, result in zip(chunk, response["Entries"], strict=True)
            if result.get("ErrorCode")
        ]
        for envelope, result in failed:
            log.warning(
                "PutEvents entry failed",
                extra={"record": envelope.record_id, "error_code": result.get("ErrorCode")},
            )
        return [envelope for envelope, _ in failed]
