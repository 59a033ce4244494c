"""Docusign Connect, against its documentation: docusign-esign (the eSignature SDK) has no webhook check, so
the signature is computed here as Docusign's page "How to validate an HMAC signature" states, independently
of our signer: X-DocuSign-Signature-1 is the base64 HMAC-SHA256 of the raw body with the Connect key; with
several keys active, Connect sends one header per key (-1, -2), and one matching is enough. No timestamp is
signed and no event id sent: a redelivery is a duplicate of its content.

Searched for a library or published vector (PyPI: docusign-esign and the other Docusign SDKs; the docs,
pages and code corpora): Docusign's own code-examples (docusign/code-examples-python,
``app/connect/examples/eg001_validate_webhook_message.py``; the PHP and Node ones alike) compute the
same base64 HMAC-SHA256 of the payload, with no signature/body pair to check against."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "docusign_demo_connect_hmac_key="
SECRET = {"signing_secrets": [KEY]}
BODY = load_event("docusign", "envelope-completed")["body"].encode()


def compute_hash(key: str, body: bytes) -> str:
    """As Docusign's page writes it: base64 of HMAC-SHA256(key as UTF-8, payload)."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def test_what_connect_signs_is_accepted_stored_and_described() -> None:
    headers = {"X-DocuSign-Signature-1": compute_hash(KEY, BODY), "X-Authorization-Digest": "HMACSHA256"}
    assert verify("docusign", SECRET, webhook_request("docusign", headers, BODY)) == "hmac-sha256"
    found = answer("docusign", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("docusign", webhook_request("docusign", headers, BODY))
    assert (described.event_type, described.event_id, described.subject) == (
        "envelope-completed",
        None,
        "93b96d2f-a1f2-4c2b-b1a5-0c4b09a7f1f3",
    )


def test_during_a_key_rotation_either_header_matching_one_stored_key_passes() -> None:
    new_key = "docusign_new_connect_key="
    headers = {
        "X-DocuSign-Signature-1": compute_hash(KEY, BODY),
        "X-DocuSign-Signature-2": compute_hash(new_key, BODY),
    }
    assert answer("docusign", {"signing_secrets": [new_key]}, headers, BODY).status == 200
    assert answer("docusign", {"signing_secrets": [KEY]}, headers, BODY).status == 200
    assert refused(answer("docusign", {"signing_secrets": ["neither"]}, headers, BODY))


@pytest.mark.parametrize("variant", ["tampered body", "other key", "no signature", "hex digest"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    body, signature = BODY, compute_hash(KEY, BODY)
    if variant == "tampered body":
        body = BODY.replace(b"envelope-completed", b"envelope-voided")
    elif variant == "other key":
        signature = compute_hash("guessed", BODY)
    elif variant == "hex digest":
        signature = hmac.new(KEY.encode(), BODY, hashlib.sha256).hexdigest()
    headers = {} if variant == "no signature" else {"X-DocuSign-Signature-1": signature}
    assert refused(answer("docusign", SECRET, headers, body))


@pytest.mark.parametrize("sample", sample_names("docusign"))
def test_the_shipped_samples_are_signed_as_docusigns_page_says(sample: str) -> None:
    event, secret = load_event("docusign", sample), demo_secret("docusign")
    body = event["body"].encode()
    assert event["headers"]["x-docusign-signature-1"] == compute_hash(secret["signing_secrets"][0], body)
    assert verify("docusign", secret, webhook_request("docusign", event["headers"], body)) == "hmac-sha256"
