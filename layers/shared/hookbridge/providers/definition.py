"""The provider definition format: one small TOML file per provider in ``providers/definitions/``.

A definition states what most senders differ in, as data: the route, how a request proves itself (HMAC of
the body or of a template such as ``{timestamp}.{body}``, a token, basic auth; all of them required, or any
one), and where the event's type, id, time and subject are found. ``hookbridge.providers`` turns it into
the verify/describe/sign functions the pipeline calls, once, at cold start.

TOML because the standard library reads it (no dependency in the layer, nothing to parse on the warm
path); pydantic because it names the file and the field of every mistake.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

NAME = r"^[a-z][a-z0-9-]{0,30}$"
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"  # an HTTP token (RFC 9110)
# Placeholders of a signed-content template.
PLACEHOLDER = re.compile(r"\{(body|timestamp|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)\}")


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Timestamp(_Strict):
    """Where the signed timestamp is, and how far from now it may be (replay protection)."""

    header: str | None = Field(None, pattern=HEADER_NAME)  # a header of its own ("webhook-timestamp")
    key: str | None = Field(None, min_length=1, max_length=20)  # or a key of the signature pairs ("t")
    format: Literal["unix", "iso8601"] = "unix"
    tolerance_seconds: int = Field(300, ge=1, le=86_400)

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if (self.header is None) == (self.key is None):
            raise ValueError("set exactly one of header or key")
        return self


class Hmac(_Strict):
    """An HMAC the sender puts in a header, over the body or over a template of it."""

    kind: Literal["hmac"]
    header: str = Field(pattern=HEADER_NAME)
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    # What is signed: {body} (the raw bytes), {timestamp} (as sent), {header:<name>} (a header as sent).
    signed: str = Field("{body}", min_length=6, max_length=200)
    # How the header holds its signature(s): one value; a list ("v1,abc v1,def"); or key=value pairs
    # ("t=1,v1=abc,v1=def"). Several signatures exist during the sender's own rotation: any one matching
    # passes, and items with another prefix or key (other schemes, other versions) are ignored.
    layout: Literal["value", "list", "pairs"] = "value"
    separator: str = Field(",", min_length=1, max_length=3)
    prefix: str = Field("", max_length=20)  # value and list: before each signature ("sha256=", "v1,")
    signature_key: str = Field("v1", min_length=1, max_length=20)  # pairs: the key of each signature
    timestamp: Timestamp | None = None
    # The subscription's signing_secrets as the sender shows them: used as UTF-8 bytes, or base64-decoded
    # after removing key_prefix (Standard Webhooks' "whsec_<base64>").
    key_encoding: Literal["utf8", "base64"] = "utf8"
    key_prefix: str = Field("", max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if "{body}" not in self.signed:
            raise ValueError("signed must contain {body}")
        if PLACEHOLDER.sub("", self.signed).count("{") or PLACEHOLDER.sub("", self.signed).count("}"):
            raise ValueError("signed: only {body}, {timestamp} and {header:<name>} can be used")
        if ("{timestamp}" in self.signed) != (self.timestamp is not None):
            raise ValueError("signed uses {timestamp} exactly when a timestamp is configured")
        if self.timestamp is not None and self.timestamp.key is not None and self.layout != "pairs":
            raise ValueError("timestamp.key needs layout = 'pairs'")
        if self.key_prefix and self.key_encoding != "base64":
            raise ValueError("key_prefix is only removed before base64 decoding")
        return self

    def signed_headers(self) -> list[str]:
        """Headers the template signs, besides the timestamp."""
        return [
            p.removeprefix("header:") for p in PLACEHOLDER.findall(self.signed) if p.startswith("header:")
        ]


class Token(_Strict):
    """A shared token in a header or a query parameter, compared with the subscription's ``tokens``."""

    kind: Literal["token"]
    header: str | None = Field(None, pattern=HEADER_NAME)
    query: str | None = Field(None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if (self.header is None) == (self.query is None):
            raise ValueError("set exactly one of header or query")
        return self


class BasicAuth(_Strict):
    """HTTP basic auth, compared with the subscription's ``basic_auth`` pairs."""

    kind: Literal["basic"]


Scheme = Annotated[Hmac | Token | BasicAuth, Field(discriminator="kind")]


class Auth(_Strict):
    require: Literal["all", "any"] = "all"  # every scheme must pass, or any one of them
    schemes: tuple[Scheme, ...] = Field(min_length=1)


class Source(_Strict):
    """One place a value can be: a dotted JSON path in the body, a header, a route segment, or a query
    parameter. ``unix_seconds`` turns a number of seconds (Stripe's ``created``) into ISO-8601."""

    json_path: str | None = Field(None, alias="json", pattern=r"^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$")
    header: str | None = Field(None, pattern=HEADER_NAME)
    path: str | None = Field(None, pattern=r"^[a-z_]{1,30}$")
    query: str | None = Field(None, min_length=1, max_length=40)
    unix_seconds: bool = False

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        places = [p for p in (self.json_path, self.header, self.path, self.query) if p is not None]
        if len(places) != 1:
            raise ValueError("set exactly one of json, header, path or query")
        return self


class Event(_Strict):
    """Where a verified request says what it is. Each list is tried in order; the first value found wins."""

    type: tuple[Source, ...] = Field(min_length=1)
    id: tuple[Source, ...] = ()  # the sender's unique event id: the dedupe key when present
    occurred_at: tuple[Source, ...] = ()
    subject: tuple[Source, ...] = ()
    extra: dict[str, tuple[Source, ...]] = {}  # more metadata for consumers
    # Other names the sender uses for a type (deprecated ones): published under the canonical name, with
    # the name received kept in extra under type_received_as.
    synonyms: dict[str, str] = {}
    type_received_as: str | None = Field(None, pattern=r"^[a-z_]{1,40}$")


class Segment(_Strict):
    """A route segment after ``{subscription}``; any value not listed is 404 before a secret is read."""

    name: str = Field(pattern=r"^[a-z_]{1,30}$")
    values: tuple[str, ...] = Field(min_length=1)


class Delivery(_Strict):
    """What the sender does with our answer, as its own page states it: how long it waits for one (an answer
    later than that is a failure to it, however good), how it retries, when it gives up on us. The ingest
    function's timeout is held below the shortest wait (tests/template/test_schedules.py)."""

    timeout_seconds: float | None = Field(None, gt=0, le=600)
    retries: str = Field("", max_length=200)
    disables: str = Field("", max_length=200)


class ProviderDefinition(_Strict):
    name: str = Field(pattern=NAME)
    description: str = Field(min_length=3, max_length=200)
    docs: str = Field("", max_length=300)  # where the sender documents its webhooks
    event_types: tuple[str, ...] = Field(min_length=1)  # the types the sender documents
    segments: tuple[Segment, ...] = ()
    auth: Auth | None = None
    event: Event | None = None
    # The module in hookbridge.providers with the verify/describe/sign functions this definition cannot
    # state; each one it defines replaces the one built from the definition.
    code: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,30}$")
    # Content-hash dedupe window for deliveries without an event id; the function's DEDUPE_WINDOW_SECONDS
    # (a stack parameter) overrides it.
    dedupe_window_seconds: int | None = Field(None, ge=1, le=30 * 86_400)
    delivery: Delivery | None = None  # when the sender's page states it

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.code is None and (self.auth is None or self.event is None):
            raise ValueError("auth and event are required unless code provides verify, describe and sign")
        segment_names = {s.name for s in self.segments}
        for source in self._sources():
            if source.path is not None and source.path not in segment_names:
                raise ValueError(f"event: path {source.path!r} is not a segment of the route")
        for scheme in self.auth.schemes if self.auth else ():
            if isinstance(scheme, Hmac):
                producible = self._sign_produced_headers(scheme)
                for header in scheme.signed_headers():
                    if header.lower() not in producible:
                        raise ValueError(
                            f"auth: signed header {header!r} must be the timestamp header or the event id's "
                            "header (so that sign can produce it)"
                        )
        return self

    def _sources(self) -> list[Source]:
        if self.event is None:
            return []
        event = self.event
        return [*event.type, *event.id, *event.occurred_at, *event.subject, *sum(event.extra.values(), ())]

    def _sign_produced_headers(self, scheme: Hmac) -> set[str]:
        produced = set()
        if scheme.timestamp is not None and scheme.timestamp.header:
            produced.add(scheme.timestamp.header.lower())
        if self.id_header is not None:
            produced.add(self.id_header.lower())
        return produced

    @property
    def id_header(self) -> str | None:
        """The header carrying the event id, when that is where the id comes first from."""
        if self.event is None or not self.event.id or self.event.id[0].header is None:
            return None
        return self.event.id[0].header


def read_definition(path: Path) -> ProviderDefinition:
    """The definition in ``path``, or DefinitionError naming the file and each field at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path.name}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid TOML: {exc}") from exc
    try:
        definition = ProviderDefinition.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '<file>'}: {e['msg']}" for e in exc.errors()
        )
        raise DefinitionError(f"{path.name}: {problems}") from exc
    if definition.name != path.stem:
        raise DefinitionError(f"{path.name}: name: {definition.name!r} is not the file's name {path.stem!r}")
    return definition
