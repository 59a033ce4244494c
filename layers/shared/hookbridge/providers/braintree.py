"""Braintree (PayPal's card gateway): the code its definition (``definitions/braintree.toml``) names.

Why code and not a definition: a Braintree notification is an XML document, base64-encoded in the form
field ``bt_payload``, and the definition language reads JSON, forms and headers only; its signature is in
another form field, as ``{public_key}|{hex HMAC-SHA1}`` pairs joined by ``&``, each to be checked only with
the private key whose public key it names, the HMAC keyed not by the secret but by the SHA-1 digest of it;
and its handshake (``GET ?bt_challenge=c``) is answered with that same keyed HMAC of the challenge, which
the language forbids an unproven request on purpose (it would be a signing oracle). Here the oracle is
closed by shape: a challenge is answered only when it is 20 to 32 lowercase hex digits (Braintree's own
library checks the same), and a ``bt_payload`` of that shape is refused however it is signed, so no
challenge's answer can ever be a notification's signature.

The secret: ``signing_secrets`` are the private keys, ``public_keys`` the public keys at the same positions
(Control Panel → API → API keys); a subscription whose lists differ in length is refused altogether.

A notification passes when, in this order (nothing is parsed before the signature passes):
- the body is a form (its Content-Type says so) with exactly one ``bt_signature`` and one ``bt_payload``, both
  ASCII (a second one would be unsigned text beside the signed one);
- ``bt_payload`` is base64 text (Braintree's 76-character lines), not a challenge's shape;
- a pair names one of our public keys and its HMAC-SHA1, keyed by SHA-1 of that public key's private key,
  matches ``bt_payload`` as sent (or with a newline after it, as Braintree's libraries also accept);
- the XML is a ``<notification>`` without a DOCTYPE (no entity is ever declared or expanded), whose
  ``<timestamp>`` is at most ``TOLERANCE_SECONDS`` old (Braintree resends a failed notification, the same
  payload, every hour for up to 24 hours) and at most the clock skew ahead.

Braintree gives a notification no id: a request is identified by its ``bt_payload`` as signed (``proof``),
so a resend, or the same payload with its signature pairs reordered or extended, is a duplicate; a new
notification has its own timestamp. The type is the XML's ``kind``; the subject is the id of the
``<subject>``'s entity.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.parsers import expat

from hookbridge.errors import Unauthorized
from hookbridge.model import UNRECOGNIZED, Answer, Credentials, EventDescription, Handshake, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.verification import check_timestamp
from hookbridge.subscription import SubscriptionSecret

SIGNATURE_FIELD = "bt_signature"
PAYLOAD_FIELD = "bt_payload"
CHALLENGE_PARAMETER = "bt_challenge"
# What Braintree's libraries answer (WebhookNotificationGateway.verify): and only that, so that an answer is
# never a signature over anything but a challenge.
CHALLENGE = re.compile(r"[a-f0-9]{20,32}")
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\n]+")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,79}")
MAX_PAIRS = 10  # signature pairs looked at: Braintree sends one per key of the merchant
MAX_XML_BYTES = 1024 * 1024
# An hour of retries for 24 hours (production; 3 in the sandbox) and the clock skew; ahead: the skew alone.
CLOCK_SKEW_SECONDS = 300
TOLERANCE_SECONDS = 24 * 3600 + 3600
REPLAY_WINDOW_SECONDS = TOLERANCE_SECONDS
# What a captured request can do, for the sender's page (scripts/docs.py).
REPLAYS = (
    "a notification is identified by its kind and its bt_payload as signed (Braintree gives it no id), for "
    "as long as the event is kept: a resend, or the same payload with its signature pairs reordered or "
    "added to, is a duplicate; one whose timestamp is more than 25 hours old or 5 minutes ahead is refused."
)
FORM = "application/x-www-form-urlencoded"


def _pairs(secret: SubscriptionSecret) -> list[tuple[str, bytes]]:
    """The (public key, SHA-1 of its private key) pairs of the secret, newest first; none: refused."""
    privates = [s.get_secret_value() for s in secret.signing_secrets]
    if not privates or len(privates) != len(secret.public_keys):
        raise Unauthorized("subscription needs its private keys and their public keys at the same positions")
    return [
        # Braintree's key derivation (SHA-1 of the private key), not a hash chosen here.
        (public, hashlib.sha1(private.encode()).digest())  # noqa: S324
        for public, private in zip(secret.public_keys, privates, strict=True)
        if public and private
    ]


def _hmac_hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha1).hexdigest()


def _fields(body: bytes) -> tuple[str, bytes]:
    """The form's one signature and one payload, or Unauthorized."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Unauthorized("body is not a Braintree notification's form") from exc
    signatures = [v for k, v in pairs if k == SIGNATURE_FIELD]
    payloads = [v for k, v in pairs if k == PAYLOAD_FIELD]
    if len(signatures) != 1 or len(payloads) != 1:
        raise Unauthorized("form needs exactly one bt_signature and one bt_payload")
    if not (signatures[0].isascii() and payloads[0].isascii()):  # percent-escapes of other characters
        raise Unauthorized("bt_signature and bt_payload are ASCII")
    return signatures[0], payloads[0].encode("ascii")


def _is_challenge_shaped(payload: bytes) -> bool:
    return CHALLENGE.fullmatch(payload.rstrip(b"\n").decode("ascii")) is not None


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    keys = _pairs(secret)
    # As Braintree posts it: a form (else the body would be published as it is, signature and all).
    if not request.headers.get("content-type", "").lower().startswith(FORM):
        raise Unauthorized("body is not a form")
    signature, payload = _fields(request.body)
    if not _BASE64_TEXT.fullmatch(payload) or _is_challenge_shaped(payload):
        raise Unauthorized("bt_payload is not a notification")
    matched = False
    for pair in signature.split("&")[:MAX_PAIRS]:
        public, bar, given = pair.partition("|")
        if not bar:
            continue
        for known, key in keys:
            if public != known:
                continue
            for message in (payload, payload + b"\n"):
                matched |= hmac.compare_digest(_hmac_hex(key, message), given)
    if not matched:
        raise Unauthorized("signature mismatch")
    notification = read_notification(payload)
    if notification is None or notification.timestamp is None:
        raise Unauthorized("bt_payload is not a Braintree notification with a timestamp")
    check_timestamp(notification.timestamp, now, TOLERANCE_SECONDS)
    if notification.timestamp > now + CLOCK_SKEW_SECONDS:
        raise Unauthorized("timestamp ahead of the clock")
    return "hmac-sha1"


@dataclass
class Notification:
    """What is read of a notification's XML."""

    kind: str | None = None
    timestamp: float | None = None
    timestamp_text: str | None = None
    subject_id: str | None = None
    texts: dict[tuple[str, ...], str] = field(default_factory=dict)


class _Refused(Exception):
    """A construct a notification never holds (a DOCTYPE, an entity declaration)."""


def _no_external_entity(*_: Any) -> int:
    raise _Refused


# The elements whose text is read: the notification's kind and timestamp, and its subject's entity's id.
def _wanted(path: tuple[str, ...]) -> bool:
    return path in {("notification", "kind"), ("notification", "timestamp")} or (
        len(path) == 4 and path[:2] == ("notification", "subject") and path[3] == "id"
    )


def read_notification(payload: bytes) -> Notification | None:
    """The notification a (verified) ``bt_payload`` holds, or None when it is none: not base64, too large,
    not XML, a root other than ``notification``, or a DOCTYPE or entity declaration (refused outright, so
    no entity is ever expanded)."""
    try:
        xml = base64.b64decode(payload.replace(b"\n", b""), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(xml) > MAX_XML_BYTES:
        return None
    found = Notification()
    path: list[str] = []
    text: list[str] = []
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> None:
        raise _Refused

    def start(name: str, _attrs: Any) -> None:
        if not path and name != "notification":
            raise _Refused
        path.append(name)
        text.clear()

    def end(_name: str) -> None:
        where = tuple(path)
        if _wanted(where) and where not in found.texts:
            found.texts[where] = "".join(text).strip()
        path.pop()
        text.clear()

    def chars(data: str) -> None:
        if _wanted(tuple(path)):
            text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = _no_external_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(xml, True)
    except (_Refused, expat.ExpatError, RecursionError):
        return None
    return _described(found)


def _described(found: Notification) -> Notification:
    kind = found.texts.get(("notification", "kind"))
    found.kind = kind if kind and _KIND.fullmatch(kind) else None
    stamp = found.texts.get(("notification", "timestamp"))
    found.timestamp_text = short_str(stamp)
    if stamp:
        try:
            parsed = datetime.fromisoformat(stamp)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            found.timestamp = parsed.timestamp()
    ids = [v for k, v in found.texts.items() if len(k) == 4]
    found.subject_id = short_str(ids[0]) if ids else None
    return found


def proof(request: WebhookRequest, payload: Any, form: str | None) -> bytes | None:
    """What a verified request is identified by: its ``bt_payload`` as signed (the signature pairs beside it
    are not, nor the form's order)."""
    try:
        return _fields(request.body)[1].rstrip(b"\n")
    except Unauthorized:
        return None


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    try:
        notification = read_notification(_fields(request.body)[1])
    except Unauthorized:
        notification = None
    kind = notification.kind if notification is not None else None
    return EventDescription(
        event_type=kind or UNRECOGNIZED,
        recognized=kind is not None,
        proven_type=kind or UNRECOGNIZED,  # from the signed payload
        occurred_at=notification.timestamp_text if notification is not None else None,
        subject=notification.subject_id if notification is not None else None,
    )


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """As Braintree would send it: the notification's XML (``body``, or the ``bt_payload`` of a sample's
    form), base64-encoded in lines as Braintree's libraries encode it, signed with the newest key pair. A
    notification whose timestamp would be refused at ``timestamp`` (a stored sample's) is dated at the start
    of that UTC day: a sample sent again the same day is the same notification, as Braintree's resend is.
    The URL and the request's other headers play no part."""
    xml = body
    try:
        _, payload = _fields(body)
        xml = base64.b64decode(payload.replace(b"\n", b""), validate=True)
    except (Unauthorized, binascii.Error, ValueError):
        pass
    xml = _dated(xml, timestamp)
    public, key = _pairs(secret)[0]
    encoded = base64.encodebytes(xml)
    form = urlencode({SIGNATURE_FIELD: f"{public}|{_hmac_hex(key, encoded)}", PAYLOAD_FIELD: encoded})
    return Credentials(headers={"Content-Type": FORM}, body=form.encode())


_TIMESTAMP = re.compile(rb"(<timestamp[^>]*>)([^<]*)(</timestamp>)")


def _dated(xml: bytes, at: int) -> bytes:
    """The XML with its first timestamp inside the window at ``at``, else dated at the start of its day."""
    found = _TIMESTAMP.search(xml)
    if found is None:
        return xml
    try:
        parsed = datetime.fromisoformat(found.group(2).decode().strip())
    except (UnicodeDecodeError, ValueError):
        parsed = None
    stamp = parsed.timestamp() if parsed is not None and parsed.tzinfo is not None else None
    if stamp is not None and at - TOLERANCE_SECONDS <= stamp <= at + CLOCK_SKEW_SECONDS:
        return xml
    when = datetime.fromtimestamp(at - at % 86_400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return xml[: found.start(2)] + when + xml[found.end(2) :]


def _challenge_matches(request: WebhookRequest, payload: Any) -> bool:
    return request.method == "GET" and CHALLENGE_PARAMETER in request.query


def _challenge_answer(request: WebhookRequest, payload: Any, secret: SubscriptionSecret) -> Answer:
    """``{public_key}|{hex HMAC-SHA1(SHA-1(private key), challenge)}`` with the newest key pair, only for a
    challenge of Braintree's shape (never one a notification's payload can have)."""
    challenge = request.query.get(CHALLENGE_PARAMETER, "")
    if not CHALLENGE.fullmatch(challenge):
        raise Unauthorized("bt_challenge is not 20 to 32 lowercase hex digits")
    public, key = _pairs(secret)[0]
    return Answer(200, f"{public}|{_hmac_hex(key, challenge.encode())}", "text/plain")


# Braintree's handshake: unproven (Braintree signs none), answered with the keyed HMAC of its challenge.
HANDSHAKES = (Handshake("bt_challenge", "GET", _challenge_matches, _challenge_answer, False),)


def example_secret(key: str) -> dict[str, Any]:
    """A key pair as Braintree's Control Panel shows one (the public key an id, the private one a secret)."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {"signing_secrets": [digest[:32]], "public_keys": [digest[32:48]]}
