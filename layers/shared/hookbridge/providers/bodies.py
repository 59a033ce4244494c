"""What a body holds, as a definition says: JSON, or a form's fields (GitHub's form deliveries hold their
JSON in one field); and the paths that reach into it, to a value or to every item of a batch."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from hookbridge.model import FORM_FIELDS, NOT_JSON, WebhookRequest, parse_json
from hookbridge.providers.definition import Body, BodyToken
from hookbridge.providers.signed_content import FORM

Pointer = tuple[str | int, ...]
Parse = Callable[[WebhookRequest], tuple[Any, str | None]]


def build_parse(body: Body) -> Parse:
    """The payload a describe reads, and how the stored body is published (``StoredEvent.form``)."""
    if not body.form:
        return lambda request: (parse_json(request.body), None)
    json_field = body.json_field

    def parse(request: WebhookRequest) -> tuple[Any, str | None]:
        if not request.headers.get("content-type", "").lower().startswith(FORM):
            return parse_json(request.body), None
        fields = form_fields(request.body)
        if fields is None:
            return NOT_JSON, None
        if json_field is not None and isinstance(fields.get(json_field), str):
            return parse_json(fields[json_field].encode()), json_field
        return fields, FORM_FIELDS

    return parse


def form_fields(body: bytes) -> dict[str, Any] | None:
    """A form's fields as a JSON object: a name given once is a string, several times a list. A pair given
    twice is one: Twilio signs each name's values as a set, so a repeat is not signed and never published
    (it would otherwise turn a captured request into a new one)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            previous = fields[name]
            values = previous if isinstance(previous, list) else [previous]
            if value not in values:
                fields[name] = [*values, value]
        else:
            fields[name] = value
    return fields


def published(body: bytes, form: str | None) -> str | None:
    """The JSON text a stored form body is published as (None when it is not a form)."""
    if form is None:
        return None
    fields = form_fields(body) or {}
    if form == FORM_FIELDS:
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    value = parse_json(str(fields.get(form, "")).encode())
    return json.dumps(value if value is not NOT_JSON else {"raw": fields.get(form)}, ensure_ascii=False)


def value_at(value: Any, dotted: str) -> Any:
    """The value at a dotted path, or None."""
    for key in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def items_at(payload: Any, path: str) -> Iterator[tuple[Pointer, Any]]:
    """Every value a path with "[]" reaches ("[]": the items of a root list; "entry[].changes[]": every
    change of every entry), each with its pointer from the root."""

    def walk(value: Any, keys: list[str], pointer: Pointer) -> Iterator[tuple[Pointer, Any]]:
        if not keys:
            yield pointer, value
            return
        key, rest = keys[0], keys[1:]
        name, many = key.removesuffix("[]"), key.endswith("[]")
        if name:
            if not isinstance(value, dict) or name not in value:
                return
            value, pointer = value[name], (*pointer, name)
        if not many:
            yield from walk(value, rest, pointer)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, rest, (*pointer, index))

    yield from walk(payload, path.split("."), ())


def at_pointer(payload: Any, pointer: Pointer) -> Any:
    """The value a pointer from ``items_at`` names."""
    for step in pointer:
        payload = payload[step]
    return payload


# What a shared secret the sender copies into the body is stored and published as.
WITHHELD = "(withheld)"


def build_withhold(token: BodyToken) -> Callable[[Any], bytes]:
    """The body to store for one that carries the subscription's shared value (Microsoft Graph's clientState
    in every notification): the JSON as received, the value at each place replaced by ``WITHHELD``. Whoever
    holds the value can send anything as the sender, so it reaches neither the table nor the bus (nor a
    consumer in another account); the request was verified with it first, and what identifies it is made
    without it (``providers.coverage``)."""
    *parents, last = token.json_path.split(".")

    def withhold(payload: Any) -> bytes:
        copied = copy.deepcopy(payload)
        places = (item for _, item in items_at(copied, token.items)) if token.items else iter([copied])
        for item in places:
            holder = value_at(item, ".".join(parents)) if parents else item
            if isinstance(holder, dict) and last in holder:
                holder[last] = WITHHELD
        return json.dumps(copied, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return withhold
