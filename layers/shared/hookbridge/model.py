"""The types that flow through the pipeline: the request as received, what a provider says it is, and
the record we store (which the publisher reads back from the table's stream)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, dataclass_transform

from hookbridge.subscription import SubscriptionSecret


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record[T](cls: type[T]) -> type[T]:
    """A dataclass of the warm path: type checkers hold it frozen (assigning to a field is an error), while
    at run time it is a plain slotted dataclass. frozen=True's __init__ sets every field through
    object.__setattr__: ~2 us a webhook for these records alone, of the ~60 us our handler adds to the
    write (bench/warm.py). Never hashed: each holds a mapping."""
    return dataclass(slots=True)(cls)


NOT_JSON: Final = object()
"""Sentinel for a body that is not strict JSON (the provider's ``describe`` receives it as the payload)."""

FORM_FIELDS: Final = "fields"
"""A stored body that is a form, published as the JSON object of its fields."""

UNRECOGNIZED: Final = "unrecognized"
"""Event type given to a genuine body that does not have the shape its provider documents."""


@record
class WebhookRequest:
    provider: str
    subscription: str
    headers: Mapping[str, str]  # names lower-cased, as API Gateway HTTP APIs deliver them
    query: Mapping[str, str]
    path: Mapping[str, str]
    body: bytes  # exactly the bytes the provider signed
    received_at_ms: int  # API Gateway's own receive time (requestContext.timeEpoch)
    method: str = "POST"
    raw_path: str = ""  # as received, for senders that sign the URL
    raw_query: str = ""  # as received (still encoded)


@record
class Element:
    """One event of a batch (SendGrid, HubSpot, Adyen, Meta send several in one request): where it is in the
    body and what it says it is. Each reaches the bus as an event of its own."""

    pointer: tuple[str | int, ...]  # keys and indexes from the body's root to the element
    event_type: str
    recognized: bool
    event_id: str | None = None
    occurred_at: str | None = None
    subject: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    # For a batch whose items are signed one by one (Adyen): the hex SHA-256 of this item's signed message.
    # The publisher claims it before publishing the element, so a captured item sent again, alone or in
    # another batch, is never published twice (``hookbridge.aws.storage.DynamoElementClaims``).
    claim: str | None = None


@record
class EventDescription:
    """What a provider's ``describe`` learns from a verified request. It never raises: a body that is not
    what the provider documents is still genuine, and is stored as ``recognized=False``."""

    event_type: str
    recognized: bool
    event_id: str | None = None  # the provider's own unique id: dedupe on it for the whole retention
    occurred_at: str | None = None
    subject: str | None = None  # the entity the event is about (delivery id, order id, ...)
    extra: Mapping[str, str] = field(default_factory=dict)  # provider-specific metadata for consumers
    elements: tuple[Element, ...] = ()  # a batch's events (the request is stored once, published each)
    # The event id and type as far as the signature proves them (None where they come from a part no
    # signature covers): dedupe is made of these only (``hookbridge.providers.coverage``).
    proven_id: str | None = None
    proven_type: str | None = None
    # A batch's elements' ids, each as far as the signature proves it.
    proven_ids: tuple[str | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a provider adds to a request to authenticate it."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None  # the body to send instead, when the signature is inside it (Mailgun, Adyen)


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer of the sender's own shape: a handshake's, or an accepted webhook's where the sender
    asks for one (Adyen's ``[accepted]``, Discord's 204)."""

    status: int
    body: str = ""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # fixed headers the sender requires (Dropbox's nosniff)


@dataclass(frozen=True, slots=True)
class Handshake:
    """A request that asks the endpoint to prove itself: answered, never stored or published."""

    name: str
    method: str
    # Whether a (verified, when ``verified``) request is this handshake: the request and its parsed body.
    matches: Callable[[WebhookRequest, Any], bool]
    # The answer, from the request, its parsed body and the subscription's secret; raises Unauthorized
    # when the request fails the handshake's own check (Meta's verify token).
    answer: Callable[[WebhookRequest, Any, SubscriptionSecret], Answer]
    verified: bool  # whether the provider's auth must pass first (Slack, Zoom, Twitch, Discord)
    refused_status: Literal[401, 403] = 401  # what a failed check answers (Meta documents 403)
    # The query parameter a sender puts the verify token in (Meta's hub.verify_token): where a sample
    # made for a subscription puts the subscription's own.
    token_parameter: str | None = None
    # Where a handshake that hands the signing secret over has it (Asana's X-Hook-Secret header): the value,
    # or None when the request has none. Such a handshake is proven by nothing, so it is answered only while
    # the subscription awaits its secret (hookbridge.ingest.pipeline).
    learns: Callable[[WebhookRequest, Any], str | None] | None = None
    # An unchecked POST told by its empty body (Microsoft Graph's ?validationToken=): answered before any
    # auth, from the request alone (definition.HandshakeSpec.empty_body).
    empty_body: bool = False


# The bus event's own metadata (hookbridge.publishing.publisher.build_envelope): a sender's extra metadata may
# not take these names, or it would overwrite what the pipeline says (a definition naming one is refused).
METADATA_NAMES = frozenset(
    {
        "provider", "subscription", "id", "event_id", "dedupe_key", "received_at", "occurred_at", "subject",
        "verified_by", "recognized", "payload_sha256", "payload_ref", "batch_id", "batch_index",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a verified request asks to have confirmed at the sender (AWS SNS's SubscriptionConfirmation): the
    subscription, named by values the signature covers. Confirmed only while the operator awaits it."""

    topic_arn: str
    token: str


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider as the pipeline sees it: built from its definition (``hookbridge.providers``)."""

    name: str
    # Checks the request against the subscription's secret; returns the scheme used ("hmac-sha256", ...).
    # Raises Unauthorized, and must fail closed when the secret holds nothing it can verify with.
    verify: Callable[[WebhookRequest, SubscriptionSecret, float], str]
    # Describes a verified request; ``payload`` is the parsed JSON, or NOT_JSON.
    describe: Callable[[WebhookRequest, Any], EventDescription]
    event_types: tuple[str, ...]
    # What the provider would send for a body at a time (to a URL, with headers): for sample events, tests
    # and the command line (hookbridge.providers.schemes.Sign).
    sign: Callable[..., Credentials]
    # Path segments after /webhooks/{provider}/{subscription}, each with the values that exist; any other
    # value is 404 before a secret is read.
    path_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # How long a delivery identified by its content is remembered (None: as long as the event is kept).
    dedupe_window_seconds: int | None = None
    # How long a captured request's signed timestamp stays acceptable (0: none signed): what it is stored
    # under is remembered at least that long, so that a replay is always refused or a duplicate.
    replay_window_seconds: int = 0
    # What identifies a verified request for content dedupe: the bytes the signature covers, or None for
    # the body's own (``hookbridge.providers.coverage.Proof``): request, parsed payload, form.
    proof: Callable[[WebhookRequest, Any, str | None], bytes | None] = lambda request, payload, form: None
    # For a batch whose items are signed one by one: an item's signed message (each element is claimed).
    item_proof: Callable[[Any], bytes] | None = None
    # Whether a request is identified by a signed one-time token rather than its content (Mailgun): its
    # event id, which no signature covers, is then claimed by the publisher too.
    claims_event_id: bool = False
    # The header naming each delivery's event id, when that is where the id is (GitHub, Shopify, ...).
    id_header: str | None = None
    # The body as JSON, a form's fields or NOT_JSON; and how the stored body is published (FORM_FIELDS,
    # the form field holding the JSON, or None for the body itself).
    parse: Callable[[WebhookRequest], tuple[Any, str | None]] = lambda request: (
        parse_json(request.body),
        None,
    )
    handshakes: tuple[Handshake, ...] = ()
    accepted: Answer | None = None  # the answer to a stored webhook, when the sender wants its own
    # The body to store and publish for a verified payload, where the sender copies the subscription's shared
    # value into it (Microsoft Graph's clientState): the value withheld (``providers.bodies.build_withhold``).
    withhold: Callable[[Any], bytes] | None = None
    # What a verified payload asks to have confirmed at the sender (AWS SNS's SubscriptionConfirmation), or
    # None; the pipeline confirms it only while the subscription awaits a handshake.
    confirmation: Callable[[Any], Confirmation | None] | None = None

    @property
    def learning(self) -> tuple[Handshake, ...]:
        """The handshakes that hand the subscription's signing secret over (none for most senders)."""
        return tuple(h for h in self.handshakes if h.learns is not None)

    @property
    def methods(self) -> frozenset[str]:
        return frozenset({"POST", *(h.method for h in self.handshakes)})

    @property
    def route(self) -> str:
        """The route in Powertools' syntax."""
        extra = "".join(f"/<{name}>" for name in self.path_values)
        return f"/webhooks/{self.name}/<subscription>{extra}"


def parse_json(body: bytes) -> Any:
    """Strict UTF-8 JSON (no NaN/Infinity, which EventBridge rejects), or NOT_JSON.

    Decoded as UTF-8 first: ``json.loads`` would also accept UTF-16/32 bytes, which could not be spliced
    into the bus entry as they are."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return NOT_JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def iso_ms(epoch_ms: int) -> str:
    """``2026-03-10T14:45:01.123Z`` (isoformat: strftime costs more than the rest of the record)."""
    seconds = datetime.fromtimestamp(epoch_ms // 1000, UTC).isoformat()  # 2026-03-10T14:45:01+00:00
    return f"{seconds[:-6]}.{epoch_ms % 1000:03d}Z"


@record
class StoredEvent:
    """One accepted webhook as it lives in the events table.

    ``key`` is the table's partition key: the dedupe key, plus ``#n`` for the n-th delivery of identical
    content accepted after the dedupe window of the one before it.
    """

    key: str
    id: str
    provider: str
    subscription: str
    dedupe_key: str
    event_type: str
    recognized: bool
    is_json: bool
    received_at: str
    verified_by: str
    payload: bytes
    payload_sha256: str
    expires_at: int  # TTL, epoch seconds
    dedupe_until: int  # epoch seconds: a identical delivery before this is a duplicate
    by_day: str  # partition key of the by-subscription index
    event_id: str | None = None
    occurred_at: str | None = None
    subject: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    payload_s3_key: str | None = None  # set when the body is in the payload bucket (payload is then b"")
    # Set when a batch's elements are too many for the item: the payload bucket's object holding them.
    elements_s3_key: str | None = None
    # What the publisher claims before publishing it ("id#<event id>"), where the sender re-signs each
    # retry with a new one-time token (Mailgun): the stored request is the token's, the event id's claim
    # keeps a re-signed retry off the bus (``hookbridge.aws.storage.DynamoElementClaims``).
    claim: str | None = None
    form: str | None = None  # a form body: FORM_FIELDS, or the field whose value is the JSON payload
    elements: tuple[Element, ...] = ()  # a batch's events, each published on its own
    # The indexes of a batch's elements already on the bus, written by the publisher only when a PutEvents
    # failure left the rest unpublished (the item's MODIFY record then publishes the rest, and only it).
    published_elements: frozenset[int] = frozenset()

    def to_item(self) -> dict[str, Any]:
        """The item in DynamoDB's wire format (the low-level client is cheaper to import and call).

        Write units are per KB of item, so the item carries nothing it can do without: no attribute that
        repeats the key (``dedupe_key`` only on a later generation, ``provider`` and ``subscription`` are
        in ``by_day``), flags only when false, the hash as its 32 bytes, and the body compressed when that
        makes it smaller (``pack_body``): storage is billed per byte for RetentionDays, and ~10 us of
        compression per webhook costs far less. ``from_stream_image`` reads this and the earlier, fuller
        form.
        """
        item: dict[str, Any] = {
            "pk": {"S": self.key},
            "id": {"S": self.id},
            "event_type": {"S": self.event_type},
            "received_at": {"S": self.received_at},
            "verified_by": {"S": self.verified_by},
            "payload_sha256": {"B": bytes.fromhex(self.payload_sha256)},
            "expires_at": {"N": str(self.expires_at)},
            "dedupe_until": {"N": str(self.dedupe_until)},
            "by_day": {"S": self.by_day},
        }
        if self.dedupe_key != self.key:
            item["dedupe_key"] = {"S": self.dedupe_key}
        if not self.recognized:
            item["recognized"] = {"BOOL": False}
        if not self.is_json:
            item["is_json"] = {"BOOL": False}
        for name in ("event_id", "occurred_at", "subject", "payload_s3_key", "elements_s3_key", "claim"):
            value = getattr(self, name)
            if value is not None:
                item[name] = {"S": value}
        if self.extra:
            item["extra"] = {"M": {k: {"S": v} for k, v in self.extra.items()}}
        if self.form is not None:
            item["form"] = {"S": self.form}
        if self.elements and self.elements_s3_key is None:
            item["elements"] = {"S": encode_elements(self.elements)}
        if self.payload_s3_key is None:
            name, stored = pack_body(self.payload)
            item[name] = {"B": stored}
        return item

    @classmethod
    def from_stream_image(cls, image: Mapping[str, Any]) -> StoredEvent:
        """From an item, or a stream record's NewImage as Lambda delivers it (binary values arrive
        base64-encoded); items in the earlier, fuller form too."""
        key = image["pk"]["S"]
        by_day = image["by_day"]["S"]
        provider, subscription = owner_of(by_day)
        digest = image["payload_sha256"]
        return cls(
            key=key,
            id=image["id"]["S"],
            provider=image["provider"]["S"] if "provider" in image else provider,
            subscription=image["subscription"]["S"] if "subscription" in image else subscription,
            dedupe_key=image["dedupe_key"]["S"] if "dedupe_key" in image else key,
            event_type=image["event_type"]["S"],
            recognized=image["recognized"]["BOOL"] if "recognized" in image else True,
            is_json=image["is_json"]["BOOL"] if "is_json" in image else True,
            received_at=image["received_at"]["S"],
            verified_by=image["verified_by"]["S"],
            payload=unpack_body(image),
            payload_sha256=digest["S"] if "S" in digest else _binary(digest["B"]).hex(),
            expires_at=int(image["expires_at"]["N"]),
            dedupe_until=int(image["dedupe_until"]["N"]),
            by_day=by_day,
            event_id=_optional_s(image, "event_id"),
            occurred_at=_optional_s(image, "occurred_at"),
            subject=_optional_s(image, "subject"),
            extra={k: v["S"] for k, v in image.get("extra", {}).get("M", {}).items()},
            payload_s3_key=_optional_s(image, "payload_s3_key"),
            elements_s3_key=_optional_s(image, "elements_s3_key"),
            claim=_optional_s(image, "claim"),
            form=_optional_s(image, "form"),
            elements=decode_elements(image["elements"]["S"]) if "elements" in image else (),
            published_elements=decode_indexes(_optional_s(image, PUBLISHED_ELEMENTS) or ""),
        )


# The attribute that records a partly published batch; its presence makes a MODIFY record the publisher's.
PUBLISHED_ELEMENTS = "published_elements"


def is_publishable(event_name: str, new_image: Mapping[str, Any] | None) -> bool:
    """Whether a stream record is the publisher's: a stored webhook (INSERT of an item with ``by_day``: a
    batch element's claim has none), or a batch's progress recorded after a partial failure (MODIFY
    carrying published_elements). The template's FilterCriteria says the same to Lambda (tests/template
    checks they agree)."""
    image = new_image or {}
    return (event_name == "INSERT" and "by_day" in image) or (
        event_name == "MODIFY" and PUBLISHED_ELEMENTS in image
    )


def encode_indexes(indexes: frozenset[int]) -> str:
    """Sorted indexes as runs ("0-2599,2601"): a batch of thousands recorded in a few bytes."""
    runs: list[str] = []
    ordered = sorted(indexes)
    start = 0
    for position in range(1, len(ordered) + 1):
        if position == len(ordered) or ordered[position] != ordered[position - 1] + 1:
            first, last = ordered[start], ordered[position - 1]
            runs.append(str(first) if first == last else f"{first}-{last}")
            start = position
    return ",".join(runs)


def decode_indexes(text: str) -> frozenset[int]:
    """What ``encode_indexes`` wrote, and the earlier form (every index listed)."""
    indexes: set[int] = set()
    for run in text.split(","):
        first, dash, last = run.strip().partition("-")
        if first.isdigit() and (not dash or last.isdigit()):
            indexes.update(range(int(first), int(last if dash else first) + 1))
    return frozenset(indexes)


def encode_elements(elements: tuple[Element, ...]) -> str:
    """A batch's elements as one compact JSON attribute (a list of lists costs fewer item bytes than
    DynamoDB's typed maps): [pointer, type, recognized, id, occurred_at, subject, extra]."""
    return json.dumps(
        [
            [list(e.pointer), e.event_type, e.recognized, e.event_id, e.occurred_at, e.subject, dict(e.extra)]
            + ([e.claim] if e.claim is not None else [])
            for e in elements
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_elements(text: str) -> tuple[Element, ...]:
    return tuple(
        Element(tuple(pointer), event_type, recognized, event_id, occurred_at, subject, extra, *claim)
        for pointer, event_type, recognized, event_id, occurred_at, subject, extra, *claim in json.loads(text)
    )


def owner_of(by_day: str) -> tuple[str, str]:
    """The provider and subscription a stored event belongs to, from its by_day index key (every item
    form has one): {provider}#{subscription}#{day}#{shard}, and neither name can hold a "#"."""
    provider, subscription, _ = by_day.split("#", 2)
    return provider, subscription


PACKED_BODY = "payload_deflate"
"""Attribute of a body stored compressed: raw DEFLATE (RFC 1951), ``zlib.decompress(data, -15)``."""


def pack_body(body: bytes) -> tuple[str, bytes]:
    """The attribute and bytes a body is stored as: DEFLATE when smaller, else the body as it is.

    DEFLATE because every language's standard library inflates it (consumers reading a large payload's
    item, see ``payload_ref``)."""
    packed = deflate(body)
    return (PACKED_BODY, packed) if len(packed) < len(body) else ("payload", body)


def deflate(body: bytes) -> bytes:
    """Raw DEFLATE of a body, tuned for speed (the bench's warm floor compresses with this too).

    A small window and memory level for small bodies: zlib's defaults spend ~35 us setting up 256 KB of
    state for a 600-byte body; a 4 KB window does it in ~9 us at the same ratio (bodies that fit one item
    gain little from a larger window). Level 1: half the time of level 6 on 32 KB of JSON, for ~15 % more
    bytes (a write unit per 1 KB either way), and as small on 1 KB."""
    if len(body) <= 4096:
        packer = zlib.compressobj(1, zlib.DEFLATED, -12, 5)
    else:
        packer = zlib.compressobj(1, zlib.DEFLATED, -15, 8)
    return packer.compress(body) + packer.flush()


def unpack_body(image: Mapping[str, Any]) -> bytes:
    """A stored body, exactly as received, from whichever attribute holds it (b"" when in S3)."""
    if PACKED_BODY in image:
        return zlib.decompress(_binary(image[PACKED_BODY]["B"]), -15)
    return _binary(image.get("payload", {}).get("B", b""))


def _binary(value: bytes | str) -> bytes:
    """A binary value: bytes from boto3, base64 text in a Lambda stream event."""
    return base64.b64decode(value) if isinstance(value, str) else value


def _optional_s(image: Mapping[str, Any], name: str) -> str | None:
    value = image.get(name)
    return None if value is None else str(value["S"])


StoreStatus = Literal["accepted", "duplicate"]


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    status: StoreStatus
    id: str
    # The payload bucket's objects the stored event (a duplicate's original) points at: a duplicate's own
    # objects are deleted unless they are these (they are named after the request).
    objects: frozenset[str] = frozenset()
