"""Mollie (next-gen webhooks), against its own SDK: mollie-api-py 1.10 (Mollie's Python SDK, generated for
Mollie; ``mollie.utils.webhooks.SignatureValidator``) signs (``create_signature``) and judges
(``validate_payload``, which raises ``InvalidSignatureException`` when every signature given fails). The
scheme, as its page "Webhooks: Best practices" states it too: HMAC-SHA256 of the raw body with the
subscription's shared secret, hex, in ``X-Mollie-Signature`` after ``sha256=``; while a secret rotates
Mollie signs with both (the header repeated, which API Gateway joins with commas; the SDK takes the
values as a list). No timestamp is signed: the event's own id is the dedupe key. (The older
mollie-api-python verifies no webhook.)"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from mollie.utils.webhooks import InvalidSignatureException, SignatureValidator

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, verify, webhook_request

SHARED_SECRET = "mollie_demo_shared_secret"
SECRET = {"signing_secrets": [SHARED_SECRET]}
BODY = json.dumps(
    {
        "resource": "event",
        "id": "event_GvJ8WHrp5isUdRub9CJyH",
        "type": "payment-link.paid",
        "entityId": "pl_qng5gbbv8NAZ5gpM5ZYgx",
        "createdAt": "2024-12-16T15:57:04.0Z",
        "_embedded": {"entity": {"resource": "payment-link", "id": "pl_qng5gbbv8NAZ5gpM5ZYgx"}},
    }
).encode()


def mollie_signature(body: bytes, secret: str = SHARED_SECRET) -> str:
    """As the page's Python example computes it (hmac.new(secret, payload, sha256).hexdigest())."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_an_event_is_accepted_stored_and_described() -> None:
    headers = {"X-Mollie-Signature": mollie_signature(BODY)}
    assert verify("mollie", SECRET, webhook_request("mollie", headers, BODY)) == "hmac-sha256"
    found = answer("mollie", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("mollie", webhook_request("mollie", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "payment-link.paid",
        "event_GvJ8WHrp5isUdRub9CJyH",
        "pl_qng5gbbv8NAZ5gpM5ZYgx",
        "2024-12-16T15:57:04.0Z",
    )


def test_during_a_rotation_either_signature_of_the_repeated_header_passes() -> None:
    joined = mollie_signature(BODY, "the-old-secret") + "," + mollie_signature(BODY)
    assert verify("mollie", SECRET, webhook_request("mollie", {"X-Mollie-Signature": joined}, BODY)) == (
        "hmac-sha256"
    )


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no signature", "without sha256=", "a classic webhook"]
)
def test_forged_tampered_and_unsigned_requests_are_refused_with_401(variant: str) -> None:
    signature, body = mollie_signature(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"pl_qng5", b"pl_xxxx")
    elif variant == "other secret":
        signature = mollie_signature(BODY, "guessed")
    elif variant == "without sha256=":
        signature = signature.removeprefix("sha256=")
    headers = {} if variant in ("no signature", "a classic webhook") else {"X-Mollie-Signature": signature}
    if variant == "a classic webhook":  # a payment's webhookUrl: a form with its id, unsigned
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = b"id=tr_d0b0E3EA3v"
    assert refused(answer("mollie", SECRET, headers, body))


# ---------------------------------------------------------------------------------------- Mollie's own SDK


def sdk_accepts(body: bytes, signatures: list[str], secrets: list[str] | None = None) -> bool:
    """Mollie's SDK's verdict on a request's signature headers, as a receiver calls it."""
    try:
        return SignatureValidator(secrets or [SHARED_SECRET]).validate_payload(body.decode(), signatures)
    except InvalidSignatureException:
        return False


def test_what_the_sdk_signs_we_accept_and_store() -> None:
    signature = "sha256=" + SignatureValidator.create_signature(BODY.decode(), SHARED_SECRET)
    assert sdk_accepts(BODY, [signature])
    headers = {"X-Mollie-Signature": signature}
    assert verify("mollie", SECRET, webhook_request("mollie", headers, BODY)) == "hmac-sha256"
    found = answer("mollie", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)


def test_what_our_definition_signs_the_sdk_accepts() -> None:
    signed = providers.load("mollie").sign(SubscriptionSecret.model_validate(SECRET), BODY, 0, "", {})
    [value] = [v for k, v in signed.headers.items() if k.lower() == "x-mollie-signature"]
    assert sdk_accepts(BODY, [value])


def test_during_a_rotation_the_sdk_and_we_accept_the_same_repeated_header() -> None:
    old = "sha256=" + SignatureValidator.create_signature(BODY.decode(), "the-old-secret")
    new = "sha256=" + SignatureValidator.create_signature(BODY.decode(), SHARED_SECRET)
    assert sdk_accepts(BODY, [old, new])
    joined = {"X-Mollie-Signature": f"{old},{new}"}  # API Gateway's join of a repeated header
    assert verify("mollie", SECRET, webhook_request("mollie", joined, BODY)) == "hmac-sha256"
    assert not sdk_accepts(BODY, [old])
    assert refused(answer("mollie", SECRET, {"X-Mollie-Signature": old}, BODY))


@pytest.mark.parametrize("variant", ["tampered body", "other secret"])
def test_what_the_sdk_refuses_we_refuse(variant: str) -> None:
    signature = "sha256=" + SignatureValidator.create_signature(BODY.decode(), SHARED_SECRET)
    body, secrets = BODY, [SHARED_SECRET]
    if variant == "tampered body":
        body = BODY.replace(b"pl_qng5", b"pl_xxxx")
    else:
        secrets = ["guessed"]
    assert not sdk_accepts(body, [signature], secrets)
    assert refused(answer("mollie", {"signing_secrets": secrets}, {"X-Mollie-Signature": signature}, body))


def test_the_sdk_takes_no_signature_as_a_classic_webhook_which_we_refuse() -> None:
    """The SDK answers False, not an exception, to a request without a signature (a classic webhook, which
    carries only an id to fetch): the receiver decides. We receive next-gen webhooks only, and refuse it."""
    assert SignatureValidator([SHARED_SECRET]).validate_payload(BODY.decode(), None) is False
    assert refused(answer("mollie", SECRET, {}, BODY))
