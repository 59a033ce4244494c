"""SendGrid's signed Event Webhook, against its own SDK: sendgrid 6.12.5's
``sendgrid.helpers.eventwebhook.EventWebhook`` (over cryptography 50.0.2) is the judge, with the worked
vector of its unit tests. X-Twilio-Email-Event-Webhook-Signature is the base64 DER ECDSA P-256/SHA-256
signature of X-Twilio-Email-Event-Webhook-Timestamp followed by the body, its trailing CRLF included; the
Verification Key is base64 DER SubjectPublicKeyInfo. SendGrid sets no window (its docs name none and the
SDK checks none): the 2020 vector verifies today, and a replayed batch is a duplicate (the same
sg_event_ids). A request is a batch: one event per element."""

from __future__ import annotations

import base64
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

# sendgrid-python test/unit/test_eventwebhook.py
SDK_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+"
    "2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SDK_SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
)
SDK_TIMESTAMP = "1600112502"
SDK_PAYLOAD = (
    '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address",'
    '"sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",'
    '"sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",'
    '"smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n'
)
SECRET = {"public_keys": [SDK_KEY]}
SIGNATURE, TIMESTAMP = "X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"
# A P-256 key of our own (fixed, so every run signs with the same one), and another to forge with.
OURS, FORGER = (
    ec.derive_private_key(0x5EED_5E9D_9A1D, ec.SECP256R1()),
    ec.derive_private_key(7, ec.SECP256R1()),
)


def public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(spki).decode()


def sendgrid_headers(body: bytes, at: int | str, key: ec.EllipticCurvePrivateKey = OURS) -> dict[str, str]:
    """As SendGrid signs: ECDSA P-256 with SHA-256 over the timestamp then the body, DER, base64."""
    signature = key.sign(str(at).encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        SIGNATURE: base64.b64encode(signature).decode(),
        TIMESTAMP: str(at),
    }


def sdk_accepts(headers: dict[str, str], body: bytes, key: str) -> bool:
    return bool(EventWebhook(key).verify_signature(body.decode(), headers[SIGNATURE], headers[TIMESTAMP]))


def test_the_sdks_vector_is_accepted_stored_and_described_as_one_event() -> None:
    headers = {"Content-Type": "application/json", SIGNATURE: SDK_SIGNATURE, TIMESTAMP: SDK_TIMESTAMP}
    body = SDK_PAYLOAD.encode()
    assert sdk_accepts(headers, body, SDK_KEY)
    at = int(SDK_TIMESTAMP)
    assert (
        verify("sendgrid", SECRET, webhook_request("sendgrid", headers, body), now=at) == "ecdsa-p256-sha256"
    )
    found = answer("sendgrid", SECRET, headers, body, now=at)
    assert (found.status, found.content_type, found.json()["status"], len(found.stored)) == (
        200,
        "application/json",
        "accepted",
        1,
    )
    described = describe("sendgrid", webhook_request("sendgrid", headers, body))
    assert [(e.event_type, e.event_id, e.pointer) for e in described.elements] == [
        ("dropped", "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA", (0,))
    ]
    # The trailing CRLF is signed: the same body without it is another body.
    assert not sdk_accepts(headers, body.rstrip(b"\r\n"), SDK_KEY)
    assert refused(answer("sendgrid", SECRET, headers, body.rstrip(b"\r\n")))


def test_a_batch_signed_as_sendgrid_signs_is_one_element_per_event() -> None:
    body = load_event("sendgrid", "batch")["body"].encode()
    headers, secret = sendgrid_headers(body, int(time.time())), {"public_keys": [public_b64(OURS)]}
    assert sdk_accepts(headers, body, public_b64(OURS))
    found = answer("sendgrid", secret, headers, body)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("sendgrid", webhook_request("sendgrid", headers, body))
    assert [(e.event_type, e.event_id) for e in described.elements] == [
        ("processed", "rbtnWrG1DVDGGGFHFyun0A"),
        ("deferred", "t7LEShmowp86DTdUW8M-GQ"),
        ("delivered", "rWVYmVk90MjZJ9iohOBa3w"),
    ]
    assert [e.event_id for e in found.stored[0].elements] == [e.event_id for e in described.elements]


@pytest.mark.parametrize(
    "private_format",
    [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL],
    ids=["pkcs8", "sec1"],
)
def test_what_our_definition_signs_the_sdk_verifies(private_format: serialization.PrivateFormat) -> None:
    der = OURS.private_bytes(serialization.Encoding.DER, private_format, serialization.NoEncryption())
    secret = {"public_keys": [public_b64(OURS)], "private_keys": [base64.b64encode(der).decode()]}
    body, at = SDK_PAYLOAD.encode(), int(time.time())
    signed = providers.load("sendgrid").sign(SubscriptionSecret.model_validate(secret), body, at, "", {})
    assert (dict(signed.query), signed.body, signed.headers[TIMESTAMP]) == ({}, None, str(at))
    assert sdk_accepts(dict(signed.headers), body, public_b64(OURS))
    found = answer("sendgrid", secret, {"Content-Type": "application/json", **signed.headers}, body)
    assert (found.status, found.json()["status"]) == (200, "accepted")


def test_public_keys_rotate_any_one_verifies() -> None:
    body = SDK_PAYLOAD.encode()
    keys = [public_b64(FORGER), "not a key", public_b64(OURS)]
    request = webhook_request("sendgrid", sendgrid_headers(body, int(time.time())), body)
    assert verify("sendgrid", {"public_keys": keys}, request) == "ecdsa-p256-sha256"


@pytest.mark.parametrize(
    "variant",
    [
        "other key",
        "tampered body",
        "tampered timestamp",
        "no signature",
        "no timestamp",
        "not base64",
        "bad key",
    ],
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    at, body, secret = int(time.time()), SDK_PAYLOAD.encode(), {"public_keys": [public_b64(OURS)]}
    headers = sendgrid_headers(body, at, FORGER if variant == "other key" else OURS)
    if variant == "tampered body":
        body = body.replace(b"Bounced", b"Bouncy")
    elif variant == "tampered timestamp":
        headers[TIMESTAMP] = str(at + 1)
    elif variant == "no signature":
        del headers[SIGNATURE]
    elif variant == "no timestamp":
        del headers[TIMESTAMP]
    elif variant == "not base64":
        headers[SIGNATURE] = "%" + headers[SIGNATURE][1:]
    elif variant == "bad key":
        secret = {"public_keys": [SDK_KEY[:-8]]}
    if variant in ("other key", "tampered body", "tampered timestamp"):
        assert not sdk_accepts(headers, body, public_b64(OURS))
    assert refused(answer("sendgrid", secret, headers, body))


@pytest.mark.parametrize(("age", "accepted"), [(86_399, True), (-86_399, True), (86_401, False)])
def test_our_window_of_a_day_covers_sendgrids_retries(age: int, accepted: bool) -> None:
    """SendGrid sets none; ours is 24 h, the span of its retries: the SDK's vector, signed in 2020, verifies
    within a day of its timestamp and is refused after (the table remembers a batch at least that long)."""
    request = webhook_request(
        "sendgrid", {SIGNATURE: SDK_SIGNATURE, TIMESTAMP: SDK_TIMESTAMP}, SDK_PAYLOAD.encode()
    )
    now = int(SDK_TIMESTAMP) + age
    if accepted:
        assert verify("sendgrid", SECRET, request, now=now) == "ecdsa-p256-sha256"
    else:
        with pytest.raises(Unauthorized, match="timestamp outside tolerance"):
            verify("sendgrid", SECRET, request, now=now)


@pytest.mark.parametrize("sample", sample_names("sendgrid"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("sendgrid", sample), demo_secret("sendgrid")
    headers = {SIGNATURE: event["headers"][SIGNATURE.lower()], TIMESTAMP: event["headers"][TIMESTAMP.lower()]}
    body = event["body"].encode()
    assert sdk_accepts(headers, body, secret["public_keys"][0])
    at = int(headers[TIMESTAMP])
    assert (
        verify("sendgrid", secret, webhook_request("sendgrid", headers, body), now=at) == "ecdsa-p256-sha256"
    )
