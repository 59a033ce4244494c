"""The provider definition format: one small TOML file per provider in ``providers/definitions/``.

A definition states what senders differ in, as data: the route; how a request proves itself (an HMAC in a
header over the body or a template of it, the URL, the method and the form's parameters; a signature with
the sender's private key, Ed25519 or ECDSA P-256; an HMAC carried in the body; a token; basic auth; all of
them required, or any one); the handshakes a sender makes before it sends events, and their answers; whether
the body may be a form; whether a request is a batch of events; the answer the sender wants; and where each
event's type, id, time and subject are found. ``hookbridge.providers`` turns it into the functions the
pipeline calls, once, at cold start.

TOML because the standard library reads it (no dependency in the layer, nothing to parse on the warm
path); pydantic because it names the file and the field of every mistake.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hookbridge.model import METADATA_NAMES

NAME = r"^[a-z][a-z0-9-]{0,30}$"
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$"  # an HTTP token (RFC 9110)
# Placeholders of a signed-content template: the body, the timestamp, a header, the URL the sender called
# (the secret's url, else the request's scheme, host and path; its query appended), the HTTP method, and a
# form's parameters as Twilio signs them (sorted by name, each name followed by its value), and the URL with
# its query and the form's parameters as Plivo's V3 signs them ({sorted_url}: signed_content.sorted_url).
PLACEHOLDER = re.compile(
    r"\{(body|timestamp|url|sorted_url|method|params|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)\}"
)
# A dotted path in a JSON body; "[]" after a key (or alone, for the root) walks every item of a list.
JSON_PATH = r"^(\[\]|[A-Za-z0-9_$@-]+(\[\])?)(\.[A-Za-z0-9_$@-]+(\[\])?)*$"
# Placeholders of an answer: a value of the request, or hex HMAC-SHA256 of one with the signing secret.
# Groups: the HMAC prefix (or None), where the value is, its name (a JSON path, parameter or header).
ANSWER_PLACEHOLDER = re.compile(r"\{(hmac_sha256_hex:)?(json|query|header):([^{}]+)\}")
_FIXED_HEADER_VALUE = re.compile(r"[ -z|~]{1,100}")  # printable ASCII without { and }
# What an unchecked handshake's echo may be sent as: never a type a browser would run (text/html).
ECHO_CONTENT_TYPES = ("text/plain", "application/json")


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Timestamp(_Strict):
    """Where the signed timestamp is, and how far from now it may be (replay protection)."""

    header: str | None = Field(None, pattern=HEADER_NAME)  # a header of its own ("webhook-timestamp")
    key: str | None = Field(None, min_length=1, max_length=20)  # or a key of the signature pairs ("t")
    format: Literal["unix", "unix_ms", "iso8601"] = "unix"
    # How far from now it may be, either way. Every signed timestamp has a window, also where the sender
    # sets none (Discord, Zoom, SendGrid): then one that covers the sender's own retries, so that a captured
    # request is refused once the events table could have forgotten it (its dedupe remembers at least as
    # long: ``hookbridge.ingest.pipeline``).
    tolerance_seconds: int = Field(300, ge=1, le=86_400)

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if (self.header is None) == (self.key is None):
            raise ValueError("set exactly one of header or key")
        return self


def _only_placeholders(signed: str) -> bool:
    """No brace in a signed template outside its placeholders (a typo such as {boddy} or a stray brace)."""
    rest = PLACEHOLDER.sub("", signed)
    return "{" not in rest and "}" not in rest


def _signs_params(signed: str) -> bool:
    """Whether a template signs a form's parameters (the body then only as a form, or empty)."""
    return "{params}" in signed or "{sorted_url}" in signed


def _signed_headers(signed: str) -> list[str]:
    """The headers a signed template names ({header:<name>}), in its order."""
    return [p.removeprefix("header:") for p in PLACEHOLDER.findall(signed) if p.startswith("header:")]


class BodyTimestamp(_Strict):
    """A signed timestamp inside the body, and how far from now it may be."""

    json_path: str = Field(alias="json", pattern=JSON_PATH)
    format: Literal["unix", "unix_ms", "iso8601"] = "unix"
    tolerance_seconds: int = Field(300, ge=1, le=86_400)


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
    # The subscription's signing_secrets as the sender shows them: used as UTF-8 bytes, hex-decoded
    # (Adyen), or base64-decoded after removing key_prefix (Standard Webhooks' "whsec_<base64>").
    key_encoding: Literal["utf8", "base64", "hex"] = "utf8"
    key_prefix: str = Field("", max_length=20)
    # {url}: the characters whose percent-escapes the sender decodes before signing (HubSpot's twelve).
    url_unescape: str = Field("", max_length=20)
    # A query parameter that, when the URL carries it, is the hex SHA-256 of the body; the body is then
    # signed through it (Twilio's JSON bodies: bodySHA256).
    body_sha256_query: str | None = Field(None, min_length=1, max_length=40)
    # A timestamp the sender puts inside the body it signs (Linear's webhookTimestamp): proven by the
    # signature over {body}, and refused outside its window like a header's.
    body_timestamp: BodyTimestamp | None = None
    # A header the sender makes anew for every request and signs (Plivo's X-Plivo-Signature-V3-Nonce): it
    # must be one of the template's {header:<name>}; our signer makes a fresh one each time. Not remembered:
    # no window bounds it, so a replay is refused by dedupe, not by the nonce (providers.coverage).
    nonce_header: str | None = Field(None, pattern=HEADER_NAME)

    @model_validator(mode="after")
    def _signed_request(self) -> Self:
        """A nonce is signed; {sorted_url} is the whole URL and form, alone."""
        if self.nonce_header is not None and self.nonce_header.lower() not in {
            h.lower() for h in self.signed_headers()
        }:
            raise ValueError("nonce_header: the template must sign it ({header:<name>})")
        if "{sorted_url}" in self.signed and (
            "{url}" in self.signed or "{params}" in self.signed or self.body_sha256_query is not None
        ):
            raise ValueError("{sorted_url} is the URL and the form: no {url}, {params} or digest beside it")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not _only_placeholders(self.signed):
            raise ValueError("signed: only {body}, {timestamp} and {header:<name>} can be used")
        if self.body_timestamp is not None and (
            "{body}" not in self.signed or self.timestamp is not None or self.body_sha256_query is not None
        ):
            raise ValueError(
                "body_timestamp: a timestamp in the body is proven only by a signature over {body}, and is "
                "the only timestamp (no timestamp, no body_sha256_query)"
            )
        if ("{timestamp}" in self.signed) != (self.timestamp is not None):
            raise ValueError("signed uses {timestamp} exactly when a timestamp is configured")
        if "{body}" not in self.signed and self.body_sha256_query is None and not _signs_params(self.signed):
            raise ValueError(
                "signed must contain {body}, unless the body is signed through {params}, {sorted_url} or a "
                "digest"
            )
        if self.timestamp is not None and self.timestamp.key is not None and self.layout != "pairs":
            raise ValueError("timestamp.key needs layout = 'pairs'")
        if self.key_prefix and self.key_encoding != "base64":
            raise ValueError("key_prefix is only removed before base64 decoding")
        return self

    def signed_headers(self) -> list[str]:
        """Headers the template signs, besides the timestamp."""
        return _signed_headers(self.signed)


# How each kind of public key can be written: Ed25519's raw 32 bytes (hex or base64), P-256's DER.
KEY_FORMATS = {"ed25519": ("hex", "base64"), "ecdsa_p256": ("hex", "base64_der")}


class PublicKey(_Strict):
    """A signature made with the sender's private key, checked with any of the secret's ``public_keys``."""

    kind: Literal["ed25519", "ecdsa_p256"]
    header: str = Field(pattern=HEADER_NAME)
    encoding: Literal["hex", "base64"] = "hex"
    signed: str = Field("{body}", min_length=6, max_length=200)  # as an HMAC's template
    timestamp: Timestamp | None = None
    # How the public keys are written: hex of the raw key (Discord's Ed25519), base64 of the raw key
    # (Telnyx's Ed25519), or base64 of its DER SubjectPublicKeyInfo (SendGrid's ECDSA).
    key_format: Literal["hex", "base64", "base64_der"] = "hex"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if "{body}" not in self.signed:
            raise ValueError("signed must contain {body}")
        if self.key_format not in KEY_FORMATS[self.kind]:
            raise ValueError(
                f"key_format: a {self.kind} key is written as one of {', '.join(KEY_FORMATS[self.kind])}"
            )
        if not _only_placeholders(self.signed):
            raise ValueError(
                "signed: only {body}, {timestamp}, {url}, {method} and {header:<name>} can be used"
            )
        if ("{timestamp}" in self.signed) != (
            self.timestamp is not None and self.timestamp.header is not None
        ):
            raise ValueError("signed uses {timestamp} exactly when a timestamp header is configured")
        return self

    def signed_headers(self) -> list[str]:
        return _signed_headers(self.signed)


class BodyHmac(_Strict):
    """An HMAC the sender puts inside the body, over values of the body (Mailgun), or one in each item of a
    list (Adyen's notification items: every item must verify)."""

    kind: Literal["body_hmac"]
    items: str | None = Field(None, pattern=JSON_PATH)  # the signed items; none: the body is one
    signature: str = Field(pattern=JSON_PATH)  # in the item (or body)
    fields: tuple[str, ...] = Field(min_length=1)  # the signed values, in order; an absent one is ""
    join: str = Field("", max_length=3)
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    key_encoding: Literal["utf8", "base64", "hex"] = "utf8"
    timestamp: BodyTimestamp | None = None
    # A signed field the sender makes anew for every request (Mailgun's token): where the signature covers
    # fields of the body rather than each item, what identifies a request (providers.coverage), so a
    # signature over a few fields needs one. Our signer makes a new one each time, as the sender does.
    nonce: str | None = Field(None, pattern=JSON_PATH)

    @model_validator(mode="after")
    def _paths(self) -> Self:
        for path in (self.signature, *self.fields):
            if not re.fullmatch(JSON_PATH, path) or "[]" in path:
                raise ValueError(f"{path!r} is not a dotted path to one value")
        if self.nonce is not None and self.nonce not in self.fields:
            raise ValueError(f"nonce: {self.nonce!r} is not one of the signed fields")
        if self.items is None and self.nonce is None:
            raise ValueError(
                "nonce: a signature over fields of the body identifies a request by them, so one of them "
                "must be a value the sender makes anew for each request"
            )
        return self


class JwtIssuedAt(_Strict):
    """A JWT's ``iat`` claim: required, and refused more than ``tolerance_seconds`` from now either way."""

    claim: Literal["iat"] = "iat"
    tolerance_seconds: int = Field(300, ge=1, le=86_400)


class Jwt(_Strict):
    """A JSON Web Token (RFC 7519) the sender signs with the shared secret, HMAC only (HS256/384/512), in a
    header (Vonage's ``Authorization: Bearer``, monday.com's ``Authorization``).

    Strict by construction: the algorithm is the definition's, never the token's (a token whose header names
    another ``alg``, ``none`` included, is refused before any key is used: no algorithm confusion); a ``crit``
    header is refused (no extension is understood); the signature is compared in constant time under every
    ``signing_secrets`` key (rotation) before a claim is read; ``iat`` is required and inside its window,
    ``exp`` and ``nbf`` are honoured when present (``exp`` required with ``expires``); the token is never
    logged or echoed. What it proves of the request: the body, when ``body_sha256_claim`` names the claim
    that holds its hex SHA-256 (Vonage's ``payload_hash``); else nothing but the secret, as a token."""

    kind: Literal["jwt"]
    header: str = Field("Authorization", pattern=HEADER_NAME)
    # Before the token ("Bearer ", compared case-insensitively): required (Vonage always sends it), or
    # removed only when present (monday.com documents the bare token; some of its requests carry "Bearer ").
    prefix: str = Field("", max_length=20)
    prefix_required: bool = True
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    timestamp: JwtIssuedAt = JwtIssuedAt()
    expires: bool = False  # the token must carry exp (monday.com's), refused once past
    # The claim holding the hex SHA-256 of the raw body: the body is then proven like an HMAC's {body}.
    body_sha256_claim: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
    # "url": the aud claim must be the URL the sender called (the secret's url, else https://{Host}{path}),
    # as monday.com asks its apps to check.
    audience: Literal["url"] | None = None
    key_encoding: Literal["utf8"] = "utf8"  # the signing_secrets values as the sender shows them, as UTF-8

    @property
    def hash_name(self) -> str:
        """The hashlib name of the HMAC."""
        return "sha" + self.algorithm[2:]


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


class BodyToken(_Strict):
    """A shared value the sender copies into the body as it was given (Microsoft Graph's ``clientState``),
    compared in constant time with the subscription's ``signing_secrets`` (the value the operator gave the
    sender). With ``items``, every item of that list must carry one (the batch's items: one item without it,
    or with another value, refuses the whole request); else the body carries it at ``json``.

    Like a header token it signs nothing and is sent as is: a captured request reveals it. What identifies
    an item is then the item itself, without the value (``providers.coverage``)."""

    kind: Literal["body_token"]
    json_path: str = Field(alias="json", pattern=JSON_PATH)  # in the item (or the body)
    items: str | None = Field(None, pattern=JSON_PATH)  # the items that each carry it; none: the body does

    @model_validator(mode="after")
    def _paths(self) -> Self:
        if "[]" in self.json_path:
            raise ValueError(f"json: {self.json_path!r} is not a dotted path to one value")
        if self.items is not None and "[]" not in self.items:
            raise ValueError(f"items: {self.items!r} walks no list (write [] after a list's key)")
        return self


class BasicAuth(_Strict):
    """HTTP basic auth, compared with the subscription's ``basic_auth`` pairs."""

    kind: Literal["basic"]


Scheme = Annotated[
    Hmac | PublicKey | BodyHmac | Jwt | Token | BodyToken | BasicAuth, Field(discriminator="kind")
]


class Auth(_Strict):
    require: Literal["all", "any"] = "all"  # every scheme must pass, or any one of them
    schemes: tuple[Scheme, ...] = Field(min_length=1)


class Source(_Strict):
    """One place a value can be: a dotted JSON path in the body, a header, a route segment, or a query
    parameter. ``unix_seconds`` turns a number of seconds (Stripe's ``created``) into ISO-8601."""

    json_path: str | None = Field(None, alias="json", pattern=r"^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$")
    header: str | None = Field(None, pattern=HEADER_NAME)
    path: str | None = Field(None, pattern=r"^[a-z_]{1,30}$")
    query: str | None = Field(None, min_length=1, max_length=60)
    # The first of these keys the JSON object has (Messenger names a messaging event by its key).
    first_key_of: tuple[str, ...] | None = Field(None, min_length=1)
    # Several JSON values joined by ":", all present (Twilio's event: the message and its status).
    joined: tuple[str, ...] | None = Field(None, min_length=2)
    unix_seconds: bool = False  # a number of seconds (Stripe's created) written as ISO-8601
    unix_millis: bool = False  # a number of milliseconds (HubSpot's occurredAt) written as ISO-8601

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        where = (self.json_path, self.header, self.path, self.query, self.first_key_of, self.joined)
        if len([p for p in where if p is not None]) != 1:
            raise ValueError("set exactly one of json, header, path, query, first_key_of or joined")
        if self.unix_seconds and self.unix_millis:
            raise ValueError("unix_seconds or unix_millis, not both")
        return self


class Match(Source):
    """A value of the request that must be this (a handshake's marker)."""

    equals: str | None = Field(None, max_length=100)
    # Or only that the value is there, whatever it is (monday.com's {"challenge": c}).
    present: bool = False

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        if (self.equals is None) == (not self.present):
            raise ValueError("set exactly one of equals or present = true")
        return self


class AnswerSpec(_Strict):
    """An answer of the sender's own shape. ``body`` and the values of ``json`` are templates:
    {json:<path>}, {query:<name>}, {header:<name>}, and {hmac_sha256_hex:json:<path>} (that value's
    hex HMAC-SHA256 with the subscription's signing secret, as Zoom asks)."""

    status: int = Field(200, ge=200, le=599)
    content_type: str | None = Field(None, max_length=60)
    body: str = Field("", max_length=200)
    json_body: dict[str, str] | None = Field(None, alias="json")
    # Fixed headers the sender requires on the answer (Dropbox's X-Content-Type-Options: nosniff).
    headers: dict[str, str] = Field({}, max_length=5)

    @model_validator(mode="after")
    def _templates(self) -> Self:
        if self.body and self.json_body is not None:
            raise ValueError("set body or json, not both")
        for text in (self.body, *(self.json_body or {}).values()):
            if ANSWER_PLACEHOLDER.sub("", text).count("{"):
                raise ValueError(f"{text!r}: placeholders are {{json:..}}, {{query:..}}, {{header:..}}")
        for name, value in self.headers.items():
            if not re.fullmatch(HEADER_NAME, name) or name.lower() == "content-type":
                raise ValueError(f"headers: {name!r} is not a header name (Content-Type: set content_type)")
            # A value is fixed text, or a template of the request's values (Asana's X-Hook-Secret echoed):
            # what it is filled with is checked to be a header's text when the answer is made.
            fixed = ANSWER_PLACEHOLDER.sub("", value)
            if (fixed or not value) and not _FIXED_HEADER_VALUE.fullmatch(fixed):
                raise ValueError(
                    f"headers: {name}'s value is printable text without braces, or placeholders "
                    "{header:..}, {json:..}, {query:..}"
                )
        return self

    def _texts(self) -> tuple[str, ...]:
        return (self.body, *(self.json_body or {}).values(), *self.headers.values())

    def echoes(self) -> bool:
        """Whether the answer holds a value of the request."""
        return any(ANSWER_PLACEHOLDER.search(text) for text in self._texts())

    def keyed(self) -> bool:
        """Whether the answer holds a value made with the subscription's signing secret."""
        return any(found.group(1) for text in self._texts() for found in ANSWER_PLACEHOLDER.finditer(text))


class HandshakeSpec(_Strict):
    """A request a sender makes to have the endpoint prove itself, and the answer it requires. It is never
    stored or published."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    method: Literal["GET", "HEAD", "POST"] = "POST"
    # Every one must hold. A POST names what tells it from an event; a GET or HEAD may be told by its
    # method alone (Trello's HEAD).
    when: tuple[Match, ...] = ()
    # How the request proves itself: the definition's auth (a signed POST; a GET whose auth is a header
    # token, as Okta's), a verify token the subscription's secret holds (Meta's GET), or nothing (Dropbox's
    # GET ?challenge=, Trello's HEAD, Graph's bodiless POST ?validationToken=: the sender signs no handshake).
    # An unchecked handshake is a GET, a HEAD or a POST without a body, whose answer is made of the request
    # alone, never with the secret, and echoes only as text/plain or JSON: whoever asks learns nothing but
    # that the subscription exists, and nothing changes.
    #
    # Or "learn": a sender that hands its signing secret over in the handshake (Asana's X-Hook-Secret,
    # Notion's verification_token), so that nothing can prove it. ``learns`` says where the secret is; it is
    # stored as the subscription's signing secret only while the operator made the subscription await one
    # (`hookbridge subscriptions create ... --await-handshake`), before the time that states, and only once
    # (a conditional write); any other such handshake changes nothing and is refused. It is told from an
    # event by its secret being there (and its when, if any).
    check: Literal["auth", "verify_token", "none", "learn"] = "auth"
    verify_token: Source | None = None
    learns: Source | None = None
    refused_status: Literal[401, 403] = 401  # what a failed check answers: Meta documents 403
    # The request has no body at all (Microsoft Graph's POST ?validationToken=): what lets an unchecked POST
    # be told from an event, and answered before any auth, from the request alone. A POST with a body is
    # never this handshake: it is verified as an event (and refused when it proves nothing).
    empty_body: bool = False
    answer: AnswerSpec

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.check == "verify_token") != (self.verify_token is not None):
            raise ValueError("verify_token says where the token is exactly when check = 'verify_token'")
        if (self.check == "learn") != (self.learns is not None):
            raise ValueError("learns says where the secret is exactly when check = 'learn'")
        if self.check == "learn":
            self._check_learning()
        elif self.method == "POST" and self.check == "none":
            if not (self.empty_body and self.when):
                raise ValueError(
                    "a POST handshake checked by nothing has no body (empty_body = true), told by its when"
                )
        elif self.method == "POST" and not self.when:
            raise ValueError("a POST handshake is proven by the auth and told from an event by its when")
        if self.empty_body and (self.method != "POST" or self.check != "none"):
            raise ValueError("empty_body: only an unchecked POST is told by its empty body")
        if self.method == "HEAD" and (self.answer.body or self.answer.json_body is not None):
            raise ValueError("a HEAD is answered without a body")
        if self.check == "none":
            self._check_unchecked()
        return self

    def _check_learning(self) -> None:
        assert self.learns is not None
        if self.method != "POST":
            raise ValueError("check = 'learn': a handshake that hands a secret over is a POST")
        if self.learns.header is None and self.learns.json_path is None:
            raise ValueError("learns: the secret is in a header or at a JSON path")
        if self.answer.keyed():
            raise ValueError("check = 'learn': an unproven request is never answered with the signing secret")

    def _check_unchecked(self) -> None:
        if any(ANSWER_PLACEHOLDER.search(value) for value in self.answer.headers.values()):
            raise ValueError("check = 'none': an unproven request's values are never put in headers")
        if self.answer.keyed():
            raise ValueError("check = 'none': an unproven request is never answered with the signing secret")
        content_type = (self.answer.content_type or "").split(";")[0].strip().lower()
        if self.answer.echoes() and content_type not in ECHO_CONTENT_TYPES:
            raise ValueError(
                "check = 'none': an echo is answered as " + " or ".join(ECHO_CONTENT_TYPES) + " only"
            )


class Body(_Strict):
    """What a body may be besides JSON."""

    # The sender may post application/x-www-form-urlencoded (Twilio, GitHub's form deliveries): the raw
    # bytes are stored and verified, the fields described and published as a JSON object...
    form: bool = False
    # ...unless the form holds its JSON in this field (GitHub's "payload"): that JSON is the payload.
    json_field: str | None = Field(None, min_length=1, max_length=40)


class Batch(_Strict):
    """A request that is a batch of events: stored once, each item published as an event of its own, its
    type, id, time and subject found in the item (``event``'s json paths are read from the item)."""

    items: tuple[str, ...] = Field(min_length=1)  # paths with [], e.g. "[]" or "entry[].changes[]"

    @model_validator(mode="after")
    def _paths(self) -> Self:
        for path in self.items:
            if not re.fullmatch(JSON_PATH, path) or "[]" not in path:
                raise ValueError(f"items: {path!r} walks no list (write [] after a list's key)")
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

    @model_validator(mode="after")
    def _check_extra_names(self) -> Self:
        named = {*self.extra, *([self.type_received_as] if self.type_received_as else [])}
        taken = sorted(named & METADATA_NAMES)
        if taken:
            raise ValueError(f"extra: {', '.join(taken)} is the pipeline's own metadata: name it otherwise")
        return self


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


# What a sender is, for the senders' index (a reader finds theirs by what it does): each kind's heading.
KINDS = {
    "payments": "Payments",
    "commerce": "Commerce",
    "logistics": "Logistics",
    "communications": "Communications: messaging, email, voice, chat",
    "customer": "Customers: CRM and support",
    "developer-tools": "Developer tools",
    "productivity": "Productivity: forms, scheduling, documents, files",
    "identity": "Identity and authentication",
    "media": "Media and streaming",
    "any": "Any sender following a published scheme",
}
Kind = Literal[
    "payments",
    "commerce",
    "logistics",
    "communications",
    "customer",
    "developer-tools",
    "productivity",
    "identity",
    "media",
    "any",
]


class ProviderDefinition(_Strict):
    name: str = Field(pattern=NAME)
    kind: Kind  # what the sender is (KINDS): how the senders' index groups it
    description: str = Field(min_length=3, max_length=200)
    docs: str = Field("", max_length=300)  # where the sender documents its webhooks
    event_types: tuple[str, ...] = Field(min_length=1)  # the types the sender documents
    segments: tuple[Segment, ...] = ()
    auth: Auth | None = None
    event: Event | None = None
    # The module in hookbridge.providers with the verify/describe/sign functions this definition cannot
    # state; each one it defines replaces the one built from the definition.
    code: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,30}$")
    # How long a delivery identified by its content (no proven event id) is remembered: by default as long as
    # the event is kept (RetentionDays). Set only where the sender documents identical genuine deliveries
    # (Zencargo's thin pointers), never shorter than its signed timestamp's window; the function's
    # DEDUPE_WINDOW_SECONDS (a stack parameter) overrides it.
    dedupe_window_seconds: int | None = Field(None, ge=1, le=30 * 86_400)
    body: Body = Body()
    batch: Batch | None = None
    handshakes: tuple[HandshakeSpec, ...] = ()
    accepted: AnswerSpec | None = None  # the answer to a stored webhook, when the sender asks for its own
    delivery: Delivery | None = None  # when the sender's page states it

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.code is None and (self.auth is None or self.event is None):
            raise ValueError("auth and event are required unless code provides verify, describe and sign")
        self._check_event_paths()
        if self.accepted is not None and (
            ANSWER_PLACEHOLDER.search(self.accepted.body) or self.accepted.json_body
        ):
            raise ValueError("accepted: a fixed body (it answers every webhook alike)")
        if any(h.check == "auth" for h in self.handshakes) and self.auth is None:
            raise ValueError("handshakes: check = 'auth' needs the definition's auth")
        self._check_bodiless_auth()
        self._check_signed_headers()
        window = self.dedupe_window_seconds
        if window is not None and window < self.replay_window_seconds:
            raise ValueError(
                f"dedupe_window_seconds: {window} s is shorter than the signed timestamp's window "
                f"({self.replay_window_seconds} s): a replay inside it would be published again"
            )
        return self

    @property
    def learns_secret(self) -> bool:
        """Whether a handshake hands the subscription's signing secret over (check = 'learn')."""
        return any(h.check == "learn" for h in self.handshakes)

    def _check_bodiless_auth(self) -> None:
        """A GET or HEAD proven by the auth (Okta's verification GET carries its header) has no body to sign:
        only a token in a header or basic auth can prove it."""
        schemes = self.auth.schemes if self.auth else ()
        bodiless = all(isinstance(s, BasicAuth) or (isinstance(s, Token) and s.header) for s in schemes)
        for i, h in enumerate(self.handshakes):
            if h.method != "POST" and h.check == "auth" and not bodiless:
                raise ValueError(
                    f"handshakes.{i}: a {h.method} carries no signed body: check it with a verify_token, or "
                    "with an auth of header tokens or basic auth"
                )

    def _check_event_paths(self) -> None:
        """Every route segment the event reads is one of the route's."""
        segment_names = {s.name for s in self.segments}
        for source in self._sources():
            if source.path is not None and source.path not in segment_names:
                raise ValueError(f"event: path {source.path!r} is not a segment of the route")

    def _check_signed_headers(self) -> None:
        """Every header a signature covers is one that sign can produce."""
        for scheme in self.auth.schemes if self.auth else ():
            if isinstance(scheme, Hmac | PublicKey):
                producible = self._sign_produced_headers(scheme)
                for header in scheme.signed_headers():
                    if header.lower() not in producible:
                        raise ValueError(
                            f"auth: signed header {header!r} must be the timestamp header, the nonce header "
                            "or the event id's header (so that sign can produce it)"
                        )

    def auth_summary(self) -> str:
        """How a request proves itself, in one line (the senders' index, `hookbridge providers list`)."""
        if self.auth is None:
            return f"code: hookbridge.providers.{self.code}"
        parts = []
        for scheme in self.auth.schemes:
            if isinstance(scheme, Hmac):
                parts.append(f"hmac-{scheme.algorithm} {scheme.encoding} in {scheme.header}")
            elif isinstance(scheme, PublicKey):
                parts.append(f"{scheme.kind} {scheme.encoding} in {scheme.header}, public_keys")
            elif isinstance(scheme, BodyHmac):
                parts.append(f"hmac-{scheme.algorithm} {scheme.encoding} in the body at {scheme.signature}")
            elif isinstance(scheme, Jwt):
                parts.append(f"jwt-{scheme.algorithm.lower()} in {scheme.header}")
            elif isinstance(scheme, Token):
                where = f"header {scheme.header}" if scheme.header else f"query {scheme.query}"
                parts.append(f"token in {where}")
            elif isinstance(scheme, BodyToken):
                where = f"each of {scheme.items} at {scheme.json_path}" if scheme.items else scheme.json_path
                parts.append(f"signing secret in the body: {where}")
            else:
                parts.append("basic auth")
        return parts[0] if len(parts) == 1 else f"{self.auth.require} of: " + "; ".join(parts)

    @property
    def replay_window_seconds(self) -> int:
        """How long a captured request's signed timestamp stays acceptable (0: it signs none)."""
        windows = [0]
        for scheme in self.auth.schemes if self.auth else ():
            for stamp in (getattr(scheme, "timestamp", None), getattr(scheme, "body_timestamp", None)):
                if stamp is not None:
                    windows.append(stamp.tolerance_seconds)
        return max(windows)

    def _sources(self) -> list[Source]:
        if self.event is None:
            return []
        event = self.event
        return [*event.type, *event.id, *event.occurred_at, *event.subject, *sum(event.extra.values(), ())]

    def _sign_produced_headers(self, scheme: Hmac | PublicKey) -> set[str]:
        produced = set()
        if scheme.timestamp is not None and scheme.timestamp.header:
            produced.add(scheme.timestamp.header.lower())
        if self.id_header is not None:
            produced.add(self.id_header.lower())
        if isinstance(scheme, Hmac) and scheme.nonce_header is not None:
            produced.add(scheme.nonce_header.lower())
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
