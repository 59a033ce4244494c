"""A definition's ``event`` turned into the describe function of a provider: where a verified request
says what it is, and for a batch what each of its events is. Like every describe, it never raises: a
genuine body that lacks what the sender documents is stored as unrecognized, never thrown away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hookbridge.model import UNRECOGNIZED, Element, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.bodies import items_at
from hookbridge.providers.coverage import Coverage
from hookbridge.providers.definition import Batch, Event, Source

# A batch's event type: what one request of several events is published as when none can be told apart
# (the elements each carry their own).
BATCH = "batch"

Lookup = Callable[[WebhookRequest, Any], str | None]
Describe = Callable[[WebhookRequest, Any], EventDescription]


def build_describe(event: Event, batch: Batch | None = None, coverage: Coverage | None = None) -> Describe:
    """``coverage``: what the signature proves (None: everything, as for a token)."""
    one = _describe_one(event, coverage or Coverage(everything=True), in_item=batch is not None)
    if batch is None:
        return one
    paths = batch.items

    def describe_batch(request: WebhookRequest, payload: Any) -> EventDescription:
        elements = []
        proven_ids = []
        for path in paths:
            for pointer, item in items_at(payload, path):
                found = one(request, item)
                proven_ids.append(found.proven_id)
                elements.append(
                    Element(
                        pointer,
                        found.event_type,
                        found.recognized,
                        found.event_id,
                        found.occurred_at,
                        found.subject,
                        found.extra,
                    )
                )
        # A batch the sender documents but of no event (or not JSON) is still stored and published whole.
        whole = one(request, payload) if not elements else None
        if whole is not None:
            return EventDescription(event_type=UNRECOGNIZED, recognized=False, extra=whole.extra)
        return EventDescription(
            event_type=BATCH,
            recognized=True,
            elements=tuple(elements),
            proven_type=BATCH,
            proven_ids=tuple(proven_ids),
        )

    return describe_batch


def _describe_one(event: Event, coverage: Coverage, *, in_item: bool) -> Describe:
    # A type is a name: a number where one is documented means the body is not what the sender sends.
    find_type = _first_of(event.type, numbers=False)
    find_id = _first_of(event.id)
    # The same, from the places the signature proves only: what dedupe is made of.
    proven_type_sources = tuple(s for s in event.type if coverage.covers(s, in_item=in_item))
    all_types_proven = len(proven_type_sources) == len(event.type)
    find_proven_type = _first_of(proven_type_sources, numbers=False)
    find_proven_id = _first_of(tuple(s for s in event.id if coverage.covers(s, in_item=in_item)))
    find_occurred_at = _first_of(event.occurred_at)
    find_subject = _first_of(event.subject)
    find_extra = [(name, _first_of(sources)) for name, sources in event.extra.items()]
    synonyms = dict(event.synonyms)
    received_as = event.type_received_as

    def describe(request: WebhookRequest, payload: Any) -> EventDescription:
        received = find_type(request, payload)
        event_type = synonyms.get(received, received) if received is not None else None
        extra: dict[str, str] = {}
        for name, find in find_extra:
            value = find(request, payload)
            if value is not None:
                extra[name] = value
        if received_as is not None and received is not None and received != event_type:
            extra[received_as] = received
        proven_type: str | None = event_type or UNRECOGNIZED
        if not all_types_proven:
            proven = find_proven_type(request, payload)
            proven_type = synonyms.get(proven, proven) if proven is not None else None
        return EventDescription(
            proven_id=find_proven_id(request, payload),
            proven_type=proven_type,
            event_type=event_type or UNRECOGNIZED,
            recognized=event_type is not None and isinstance(payload, dict),
            event_id=find_id(request, payload),
            occurred_at=find_occurred_at(request, payload),
            subject=find_subject(request, payload),
            extra=extra,
        )

    return describe


def _first_of(sources: tuple[Source, ...], *, numbers: bool = True) -> Lookup:
    lookups = [_lookup(source, numbers=numbers) for source in sources]
    if not lookups:
        return lambda request, payload: None
    if len(lookups) == 1:
        return lookups[0]

    def first(request: WebhookRequest, payload: Any) -> str | None:
        for lookup in lookups:
            value = lookup(request, payload)
            if value is not None:
                return value
        return None

    return first


def _lookup(source: Source, *, numbers: bool = True) -> Lookup:
    if source.json_path is not None:
        keys = source.json_path.split(".")
        as_text = _text if numbers else short_str
        convert = _unix_to_iso if source.unix_seconds else _millis_to_iso if source.unix_millis else as_text

        def from_json(request: WebhookRequest, payload: Any) -> str | None:
            value = payload
            for key in keys:
                if not isinstance(value, dict):
                    return None
                value = value.get(key)
            return convert(value)

        return from_json
    if source.header is not None:
        header = source.header.lower()
        return lambda request, payload: short_str(request.headers.get(header))
    if source.path is not None:
        segment = source.path
        return lambda request, payload: short_str(request.path.get(segment))
    if source.joined is not None:
        parts = [_lookup(Source.model_validate({"json": path})) for path in source.joined]

        def joined(request: WebhookRequest, payload: Any) -> str | None:
            values = [part(request, payload) for part in parts]
            return short_str(":".join(v for v in values if v is not None)) if all(values) else None

        return joined
    if source.first_key_of is not None:
        names = source.first_key_of
        return lambda request, payload: next(
            (name for name in names if isinstance(payload, dict) and name in payload), None
        )
    parameter = source.query or ""
    return lambda request, payload: short_str(request.query.get(parameter))


def _text(value: object) -> str | None:
    """A string as it is; an integer (an id such as HubSpot's objectId) as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return short_str(value)


def _millis_to_iso(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return short_str(value)
    try:
        at = datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unix_to_iso(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return short_str(value)
    try:
        return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None
