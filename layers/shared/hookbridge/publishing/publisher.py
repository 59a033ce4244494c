"""Stored events onto the EventBridge bus, in the envelope consumers rely on.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from hookbridge.model import StoredEvent

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


def entry_size(source: str, detail_type: str, detail: str) -> int:
    return _TIME_BYTES + len(source.encode()) + len(detail_type.encode()) + len(detail.encode())


def build_envelope(
    record_id: str,
    event: StoredEvent,
    *,
    prefix: str,
    bus: str,
    table: str,
    payload_bucket: str | None = None,
) -> Envelope:
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
        **dict(event.extra),
    }
    if event.payload_s3_key is not None:
        # Stored apart because it is larger than an item, so larger than a bus entry too.
        metadata["payload_ref"] = {"store": "s3", "bucket": payload_bucket, "key": event.payload_s3_key}
        detail = _detail(metadata, "null")
    else:
        detail = _detail(metadata, _data(event))
    size = entry_size(source, event.event_type, detail)
    if size > MAX_REQUEST_BYTES:
        # Never truncated: the entry says where the stored payload is, and carries no data.
        metadata["payload_ref"] = {"store": "dynamodb", "table": table, "key": {"pk": event.key}}
        detail = _detail(metadata, "null")
        size = entry_size(source, event.event_type, detail)
    entry: PutEventsRequestEntryTypeDef = {
        "Source": source,
        "DetailType": event.event_type,
        "Detail": detail,
        "EventBusName": bus,
    }
    return Envelope(record_id, entry, size, event.provider)


def _data(event: StoredEvent) -> str:
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
    def __init__(
        self,
        client: EventBridgeClient,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._retry_delays = retry_delays

    def publish(self, envelopes: Sequence[Envelope]) -> list[str]:
        """Publishes in order; returns the record ids not on the bus (empty when all are)."""
        failed: list[str] = []
        for chunk in chunks(envelopes):
            if failed:
                failed.extend(e.record_id for e in chunk)
                continue
            failed.extend(self._put_with_retries(chunk))
        return failed

    def _put_with_retries(self, chunk: list[Envelope]) -> list[str]:
        pending = chunk
        for delay in (*self._retry_delays, None):
            pending = self._put(pending)
            if not pending or delay is None:
                break
            self._sleep(delay)
        return [e.record_id for e in pending]

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
