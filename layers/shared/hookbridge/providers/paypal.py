"""PayPal REST webhooks: the code its definition (``definitions/paypal.toml``) names.

Why code and not a definition: PayPal signs with RSA (``SHA256withRSA``) and the X.509 certificate named by
the request's ``PAYPAL-CERT-URL``, fetched at verify time, over ``{transmission id}|{transmission
time}|{webhook id}|{CRC32 of the body, unsigned decimal}``: a key no secret holds, a CRC in place of the
body and a URL rule that the definition language has no words for. What is not PayPal's own (reading a
certificate, the RSA check, the bounded fetch and its cache, pinned certificates) is in ``certificates``,
shared with AWS SNS.

A request passes when, in this order (each refusal before any fetch, so a forged request costs none):
- the secret names the webhook (``webhook_id``, as PayPal shows it), which the signed string holds;
- ``PAYPAL-AUTH-ALGO`` is ``SHA256withRSA`` (the only one PayPal documents; any other is refused);
- ``PAYPAL-TRANSMISSION-ID`` and ``PAYPAL-TRANSMISSION-TIME`` hold no ``|`` (so the signed string splits
  one way only), and the time is at most ``TOLERANCE_SECONDS`` old and at most the clock skew ahead;
- ``PAYPAL-CERT-URL`` is ``https://`` one of PayPal's API hosts (live or sandbox) with a path under
  ``/v1/notifications/certs/`` and no user, port, query or fragment;
- the signature verifies with that certificate: valid now, its subject messageverificationcerts.paypal.com
  (messageverificationcerts.sandbox.paypal.com on the sandbox hosts), the names PayPal's own Java SDK
  checks. It comes from the instance's cache, else one fetch; or, when the secret pins certificates in
  ``public_keys``, from those alone and never from the network.

What the signature proves: the transmission (its id and time) and the webhook, not the body. A CRC32 is no
cryptographic digest: whoever holds one genuine request can write another body with the same CRC. So the
body's event id is not proven; a request is identified by its signed transmission (``proof``), and the
event id is claimed by the publisher (``CLAIMS_EVENT_ID``), as for Mailgun's signed token: a captured
request with a body rewritten to the same CRC is a duplicate of the genuine one, and an event sent again
in a new transmission (the Dashboard's or the API's "resend") is stored but published once.

The time window: PayPal resends a notification it got no 2xx for "25 times over the course of three days"
(https://developer.paypal.com/api/rest/webhooks/rest/), and a resend is the same transmission: PayPal's
own event details list one transmission per webhook, its transmission_id and timestamp those of the first
attempt while its last answer came two days later (an event shown at
https://www.nopcommerce.com/pt/boards/topic/92555/paypal-errornot-a-valid-webhook-url). So a transmission
time is accepted for those three days and the clock skew, and what a request is stored under is remembered
at least that long (``REPLAY_WINDOW_SECONDS``): a resend or a replay inside the window is a duplicate, one
after it is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from hookbridge.errors import Unauthorized
from hookbridge.model import UNRECOGNIZED, Credentials, EventDescription, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.certificates import (
    CertificateStore,
    make_test_certificate,
    private_key_from_base64,
    rsa_pkcs1v15_sign,
    usable_certificates,
)
from hookbridge.providers.verification import check_timestamp
from hookbridge.subscription import SubscriptionSecret

TRANSMISSION_ID = "paypal-transmission-id"
TRANSMISSION_TIME = "paypal-transmission-time"
TRANSMISSION_SIG = "paypal-transmission-sig"
AUTH_ALGO = "paypal-auth-algo"
CERT_URL = "paypal-cert-url"
ALGORITHMS = {"SHA256withRSA": "sha256"}
LIVE_SIGNER = "messageverificationcerts.paypal.com"
SANDBOX_SIGNER = "messageverificationcerts.sandbox.paypal.com"
# PayPal's API hosts (https://developer.paypal.com/api/rest/requests/), each with the name its signing
# certificates carry.
CERT_HOSTS = {
    "api.paypal.com": LIVE_SIGNER,
    "api-m.paypal.com": LIVE_SIGNER,
    "api.sandbox.paypal.com": SANDBOX_SIGNER,
    "api-m.sandbox.paypal.com": SANDBOX_SIGNER,
}
_CERT_PATH = re.compile(r"/v1/notifications/certs/[A-Za-z0-9-]{1,100}")
_TRANSMISSION_ID = re.compile(r"[A-Za-z0-9-]{1,50}")  # PayPal's are UUIDs (at most 50: its API's limit)
CLOCK_SKEW_SECONDS = 300
TOLERANCE_SECONDS = 3 * 86_400 + CLOCK_SKEW_SECONDS  # three days of PayPal's resends, and the skew
REPLAY_WINDOW_SECONDS = TOLERANCE_SECONDS
CLAIMS_EVENT_ID = True  # the body's event id is not proven (a CRC32): claimed when published
SAMPLE_CERT_URL = "https://api-m.paypal.com/v1/notifications/certs/CERT-hookbridge-sample"

# What a subscription's secret must set (the command line refuses a secret without it).
SECRET_REQUIRES = ("webhook_id",)

# Per instance: certificates by URL, fetched once (certificates.CertificateStore). Tests replace it.
STORE = CertificateStore()


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    if not secret.webhook_id:
        raise Unauthorized("subscription names no PayPal webhook (webhook_id)")
    headers = request.headers
    algorithm = ALGORITHMS.get(headers.get(AUTH_ALGO, ""))
    if algorithm is None:
        raise Unauthorized("PAYPAL-AUTH-ALGO missing or not SHA256withRSA")
    transmission_id = headers.get(TRANSMISSION_ID, "")
    if not _TRANSMISSION_ID.fullmatch(transmission_id):
        raise Unauthorized("PAYPAL-TRANSMISSION-ID missing or unreadable")
    transmission_time = headers.get(TRANSMISSION_TIME, "")
    sent_at = _time(transmission_time)
    if sent_at > now + CLOCK_SKEW_SECONDS:
        raise Unauthorized("timestamp outside tolerance")
    check_timestamp(sent_at, now, TOLERANCE_SECONDS)
    url = headers.get(CERT_URL, "")
    signer = certificate_signer(url)
    try:
        signature = base64.b64decode(headers.get(TRANSMISSION_SIG, ""), validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized("PAYPAL-TRANSMISSION-SIG not base64") from None
    if not signature:
        raise Unauthorized("PAYPAL-TRANSMISSION-SIG missing")
    signed = expected_message(transmission_id, transmission_time, secret.webhook_id, request.body)
    usable = usable_certificates(url, secret.public_keys, frozenset({signer}), now, STORE)
    if any(certificate.verifies(signed, signature, algorithm) for certificate in usable):
        return f"rsa-{algorithm}"
    raise Unauthorized("signature mismatch")


def expected_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    """The string PayPal signs: the transmission's id and time, the webhook's id and the body's CRC32."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def _time(value: str) -> float:
    """An RFC 3339 time (PayPal's ``2015-05-18T15:45:13Z``); no ``|``, which would shift the signed parts."""
    if not value or "|" in value or len(value) > 40:
        raise Unauthorized("PAYPAL-TRANSMISSION-TIME missing or unreadable")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unauthorized("PAYPAL-TRANSMISSION-TIME missing or unreadable") from None
    if parsed.tzinfo is None:
        raise Unauthorized("PAYPAL-TRANSMISSION-TIME without a zone")
    return parsed.timestamp()


def certificate_signer(url: str) -> str:
    """The subject PayPal's certificate at ``url`` must name, when ``url`` is one of PayPal's certificate
    URLs; else Unauthorized (and nothing is fetched)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Unauthorized("PAYPAL-CERT-URL unreadable") from None
    signer = CERT_HOSTS.get(parts.netloc)  # exactly the host: no user, no port, lower case as PayPal sends it
    if (
        signer is None
        or parts.scheme != "https"
        or port is not None
        or parts.query
        or parts.fragment
        or not _CERT_PATH.fullmatch(parts.path)
    ):
        raise Unauthorized("PAYPAL-CERT-URL not PayPal's")
    return signer


def proof(request: WebhookRequest, payload: Any, form: str | None) -> bytes:
    """What identifies a verified request: its signed transmission (the webhook's id is the
    subscription's), not the body, which only a CRC covers."""
    headers = request.headers
    return (
        f"{headers.get(TRANSMISSION_ID)}|{headers.get(TRANSMISSION_TIME)}|{zlib.crc32(request.body)}".encode()
    )


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    event = payload if isinstance(payload, dict) else {}
    kind = short_str(event.get("event_type"))
    resource = event.get("resource")
    subject = short_str(resource.get("id")) if isinstance(resource, dict) else None
    resource_type = short_str(event.get("resource_type"))
    return EventDescription(
        event_type=kind or UNRECOGNIZED,
        recognized=kind is not None,
        event_id=short_str(event.get("id")),
        proven_id=None,  # a CRC32 proves no field of the body (the module's docstring)
        proven_type=None,
        occurred_at=short_str(event.get("create_time")),
        subject=subject,
        extra={"resource_type": resource_type} if resource_type else {},
    )


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """The headers PayPal would send with ``body`` at ``timestamp``, signed with the secret's first private
    key (a test key: ``example_secret``). For the samples, the tests and the command line only."""
    if not secret.private_keys:
        raise Unauthorized("no private key to sign with (private_keys)")
    if not secret.webhook_id:
        raise Unauthorized("no webhook_id to sign for")
    sent_at = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    transmission_id = _transmission_id(body, timestamp)
    n, d = private_key_from_base64(secret.private_keys[0].get_secret_value())
    signature = rsa_pkcs1v15_sign(
        n, d, expected_message(transmission_id, sent_at, secret.webhook_id, body), "sha256"
    )
    return Credentials(
        headers={
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": SAMPLE_CERT_URL,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-TRANSMISSION-TIME": sent_at,
        }
    )


def _transmission_id(body: bytes, timestamp: int) -> str:
    """A UUID-shaped id of one transmission, derived from what is sent (so a sample is reproducible)."""
    text = hashlib.sha256(timestamp.to_bytes(8, signed=True) + body).hexdigest()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"


def example_secret(key: str) -> dict[str, Any]:
    """A secret in this sender's layout for ``key``: a webhook id, a certificate pinned in ``public_keys``
    (so that nothing is fetched) and its private key. Made with `cryptography`, which the command line and
    the tests have and the Lambda layer does not: never called by a function."""
    certificate, private = _example_pair(key)
    webhook_id = hashlib.sha256(key.encode()).hexdigest()[:17].upper()  # PayPal's are 17 letters and digits
    return {"webhook_id": webhook_id, "public_keys": [certificate], "private_keys": [private]}


@lru_cache(maxsize=8)
def _example_pair(key: str) -> tuple[str, str]:
    return make_test_certificate(LIVE_SIGNER)
