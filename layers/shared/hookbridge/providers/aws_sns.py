"""AWS SNS (HTTPS subscriptions of SNS topics): the code its definition (``definitions/aws-sns.toml``) names.

Why code and not a definition: SNS signs no header and no body bytes, but a canonical string it builds from
the message's own fields ("Key\\nValue\\n" for Message, MessageId, Subject when present, Timestamp, TopicArn
and Type; SubscribeURL and Token in place of Subject for the confirmations), with RSA and a certificate
named by a URL inside the message, fetched at verify time: a key no secret holds, a message format and a
URL rule (the topic's own region and partition) that the definition language has no words for yet. The
parts that are not SNS's own (reading a certificate, the RSA check, the bounded fetch and its cache) are in
``certificates``, for the next sender of that kind (PayPal).

A message passes when, in this order (each refusal before any fetch, so a forged request costs none):
- the body is an SNS message (JSON with the documented fields as strings; raw message delivery sends the
  bare message, which SNS does not sign, and is refused), of a type SNS documents;
- its ``TopicArn`` is one of the secret's ``topic_arns`` (none: everything is refused);
- its ``Timestamp`` is at most ``TOLERANCE_SECONDS`` old (SNS re-sends a message with its first
  timestamp; an HTTP/S delivery policy retries for at most an hour) and at most the clock skew ahead;
- its ``SigningCertURL`` is ``https://sns.<region>.<the partition's domain>/<name>.pem``, the region and
  partition those of the topic (no user, port, query or fragment);
- ``SignatureVersion`` 1 (RSA-SHA1) or 2 (RSA-SHA256) verifies over the canonical string with that
  certificate: valid now, its subject sns.amazonaws.com (or the host itself). The certificate comes from the
  instance's cache, else one fetch (``certificates.CertificateStore``); or, when the secret pins
  certificates in ``public_keys``, from those alone and never from the network (the local stack, and an
  operator who wants no fetch at all).

A ``SubscriptionConfirmation`` is verified like a notification, and stored and published as an event of its
type. Its ``SubscribeURL`` is never fetched (nor anything else the request names but its certificate). It is
confirmed only while the operator has the subscription await it (`hookbridge subscriptions create aws-sns
... --await-handshake 15m`): then ``confirmation`` names the topic and token, both signed, and the pipeline
asks SNS's own ConfirmSubscription in the topic's region (``hookbridge.aws.confirmations``). Otherwise the
operator finds its ``Token`` (``hookbridge events list``/``show``) and confirms with ``aws sns
confirm-subscription`` (docs/senders/aws-sns.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from hookbridge.errors import Unauthorized
from hookbridge.model import (
    UNRECOGNIZED,
    Confirmation,
    Credentials,
    EventDescription,
    WebhookRequest,
    parse_json,
)
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

NOTIFICATION = "Notification"
CONFIRMATIONS = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
# The canonical string's keys, in SNS's order (Subject only when the message has one).
SIGNED_KEYS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    **dict.fromkeys(
        CONFIRMATIONS, ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    ),
}
REQUIRED = ("Message", "MessageId", "Timestamp", "TopicArn", "Type", "Signature", "SignatureVersion")
ALGORITHMS = {"1": "sha1", "2": "sha256"}
# How old a message may be: an hour of SNS's retries (the most an HTTP/S delivery policy allows) and five
# minutes of clock skew; and how far ahead of our clock: the skew alone.
CLOCK_SKEW_SECONDS = 300
TOLERANCE_SECONDS = 3600 + CLOCK_SKEW_SECONDS
# Each partition's domain: the certificate is on the SNS endpoint of the topic's own region.
PARTITION_DOMAINS = {"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}
_TOPIC_ARN = re.compile(
    r"arn:(aws|aws-us-gov|aws-cn):sns:([a-z0-9-]{3,30}):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)
_CERT_PATH = re.compile(r"/[A-Za-z0-9-]{1,100}\.pem")
SIGNING_NAME = "sns.amazonaws.com"  # the subject of SNS's signing certificates
SAMPLE_CERT_NAME = "SimpleNotificationService-hookbridge-sample.pem"

# What a subscription's secret must set (the command line refuses a secret without it): no key, as the key
# is SNS's certificate, but the topics to accept.
SECRET_REQUIRES = ("topic_arns",)

# Per instance: certificates by URL, fetched once (certificates.CertificateStore). Tests replace it.
STORE = CertificateStore()


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    message = _message(request.body)
    algorithm = ALGORITHMS.get(message["SignatureVersion"])
    if algorithm is None:
        raise Unauthorized("unknown SignatureVersion")
    if not secret.topic_arns:
        raise Unauthorized("subscription allows no topic (topic_arns)")
    if message["TopicArn"] not in secret.topic_arns:
        raise Unauthorized("topic not allowed")
    signed_at = _timestamp(message["Timestamp"])
    if signed_at > now + CLOCK_SKEW_SECONDS:  # SNS stamps a message once, when published: never ahead
        raise Unauthorized("timestamp outside tolerance")
    check_timestamp(signed_at, now, TOLERANCE_SECONDS)
    url = message["SigningCertURL"]
    host = certificate_host(url, message["TopicArn"])
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized("signature not base64") from None
    signed = canonical(message)
    names = frozenset({SIGNING_NAME, host})
    usable = usable_certificates(url, secret.public_keys, names, now, STORE)  # pinned ones never fetch
    if any(certificate.verifies(signed, signature, algorithm) for certificate in usable):
        return f"rsa-{algorithm}"
    raise Unauthorized("signature mismatch")


def _message(body: bytes) -> dict[str, str]:
    message = parse_json(body)
    if not isinstance(message, dict) or not isinstance(message.get("Type"), str):
        raise Unauthorized("not an SNS message (raw message delivery is not signed)")
    if message["Type"] not in SIGNED_KEYS:
        raise Unauthorized("not a type of SNS message")
    needed = (*REQUIRED, "SigningCertURL", *SIGNED_KEYS[message["Type"]])
    for key in needed:
        if key == "Subject" and "Subject" not in message:
            continue
        if not isinstance(message.get(key), str):
            raise Unauthorized(f"SNS message without {key}")
    return message


def canonical(message: Mapping[str, Any]) -> bytes:
    """The string SNS signs: each signed key present, then its value, each on a line."""
    keys = SIGNED_KEYS[message["Type"]]
    return "".join(f"{k}\n{message[k]}\n" for k in keys if k in message).encode("utf-8")


def _timestamp(value: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Unauthorized("timestamp unreadable") from None


def certificate_host(url: str, topic_arn: str) -> str:
    """The host of ``url`` when it is SNS's certificate URL for the topic's region; else Unauthorized (and
    nothing is fetched)."""
    topic = _TOPIC_ARN.fullmatch(topic_arn)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Unauthorized("signing certificate URL unreadable") from None
    if topic is None:
        raise Unauthorized("TopicArn unreadable")
    host = f"sns.{topic.group(2)}.{PARTITION_DOMAINS[topic.group(1)]}"
    if (
        parts.scheme != "https"
        or parts.netloc != host  # no user, no port, exactly this host (lower case, as SNS writes it)
        or port is not None
        or parts.query
        or parts.fragment
        or not _CERT_PATH.fullmatch(parts.path)
    ):
        raise Unauthorized("signing certificate URL not SNS's for the topic's region")
    return host


def describe(request: WebhookRequest, payload: Any) -> EventDescription:
    message = payload if isinstance(payload, dict) else {}
    kind = short_str(message.get("Type"))
    recognized = kind in SIGNED_KEYS
    message_id = short_str(message.get("MessageId"))
    topic = short_str(message.get("TopicArn"))
    return EventDescription(
        event_type=kind if kind and recognized else UNRECOGNIZED,
        recognized=recognized,
        event_id=message_id,
        proven_id=message_id,  # signed: the canonical string holds it
        proven_type=kind if kind and recognized else UNRECOGNIZED,
        occurred_at=short_str(message.get("Timestamp")),
        subject=short_str(message.get("Subject")),
        extra={"topic_arn": topic} if topic else {},
    )


def confirmation(payload: Any) -> Confirmation | None:
    """The subscription a verified SubscriptionConfirmation asks to confirm: its topic and token, both in the
    signed string (and the topic one the secret allows: ``verify`` refused any other). None for any other
    message."""
    if not isinstance(payload, dict) or payload.get("Type") != "SubscriptionConfirmation":
        return None
    topic, token = payload.get("TopicArn"), payload.get("Token")
    if not (isinstance(topic, str) and _TOPIC_ARN.fullmatch(topic) and isinstance(token, str) and token):
        return None
    return Confirmation(topic_arn=topic, token=token)


def sign(
    secret: SubscriptionSecret,
    body: bytes,
    timestamp: int,
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> Credentials:
    """The message as SNS would send it at ``timestamp``, signed with the secret's first private key (a test
    key: ``example_secret``), its certificate URL on the topic's regional host. For the samples, the tests
    and the command line only."""
    if not secret.private_keys:
        raise Unauthorized("no private key to sign with (private_keys)")
    message = parse_json(body)
    if not isinstance(message, dict) or str(message.get("Type")) not in SIGNED_KEYS:
        raise Unauthorized("not an SNS message")
    topic = message.get("TopicArn")
    if secret.topic_arns and topic not in secret.topic_arns:
        message["TopicArn"] = topic = secret.topic_arns[0]
    found = _TOPIC_ARN.fullmatch(str(topic))
    if found is None:
        raise Unauthorized("TopicArn unreadable")
    version = str(message.get("SignatureVersion"))
    version = version if version in ALGORITHMS else "2"
    message["SignatureVersion"] = version
    message["Timestamp"] = (
        datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    )
    message["SigningCertURL"] = (
        f"https://sns.{found.group(2)}.{PARTITION_DOMAINS[found.group(1)]}/{SAMPLE_CERT_NAME}"
    )
    n, d = private_key_from_base64(secret.private_keys[0].get_secret_value())
    signature = rsa_pkcs1v15_sign(n, d, canonical(message), ALGORITHMS[version])
    message["Signature"] = base64.b64encode(signature).decode()
    return Credentials(body=json.dumps(message, indent=2).encode())


def example_secret(key: str) -> dict[str, Any]:
    """A secret in this sender's layout for ``key``: an allowed topic, a certificate pinned in
    ``public_keys`` (so that nothing is fetched) and its private key. Made with `cryptography`, which the
    command line and the tests have and the Lambda layer does not: never called by a function."""
    certificate, private = _example_pair(key)
    return {
        "topic_arns": [f"arn:aws:sns:us-east-1:123456789012:{re.sub(r'[^A-Za-z0-9_-]', '-', key)[:40]}"],
        "public_keys": [certificate],
        "private_keys": [private],
    }


@lru_cache(maxsize=8)
def _example_pair(key: str) -> tuple[str, str]:
    return make_test_certificate(SIGNING_NAME)
