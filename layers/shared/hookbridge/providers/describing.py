"""A definition's ``event`` turned into the describe function of a provider: where a verified request
says what it is. Like every describe, it never raises: a genuine body that lacks what the sender documents
is stored as unrecognized, never thrown away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hookbridge.model import UNRECOGNIZED, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.definition import Event, Source

Lookup = Callable[[WebhookRequest, Any], str | None]
Describe = Callable[[WebhookRequest, Any], EventDescription]


def build_describe(event: Event) -> Describe:
    find_type = _first_of(event.type)
    find_id = _first_of(event.id)
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
        return EventDescription(
            event_type=event_type or UNRECOGNIZED,
            recognized=event_type is not None and isinstance(payload, dict),
            event_id=find_id(request, payload),
            occurred_at=find_occurred_at(request, payload),
            subject=find_subject(request, payload),
            extra=extra,
        )

    return describe


def _first_of(sources: tuple[Source, ...]) -> Lookup:
    lookups = [_lookup(source) for source in sources]
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


def _lookup(source: Source) -> Lookup:
    if source.json_path is not None:
        keys = source.json_path.split(".")
        convert = _unix_to_iso if source.unix_seconds else short_str

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
    parameter = source.query or ""
    return lambda request, payload: short_str(request.query.get(parameter))


def _unix_to_iso(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return short_str(value)
    try:
        return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None
