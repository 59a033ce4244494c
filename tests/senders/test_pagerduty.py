"""PagerDuty (V3 webhook subscriptions), against its published vector: PagerDuty publishes no Python library
that verifies a webhook; its Go library go-pagerduty (webhookv3/webhookv3_test.go, TestVerifySignature)
publishes a secret, a body and the ``X-PagerDuty-Signature`` it carries, and one that must fail. Its
webhookv3.VerifySignature reads the header as a comma-separated list, ignores what does not start with
``v1=`` and accepts any one matching (a rotation). The sample
``events/pagerduty/incident.priority_updated.json`` is that vector: its demo secret is the vector's secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from hookbridge.errors import Unauthorized
from tests.support.senders import answer, describe, refused, verify, webhook_request

# go-pagerduty's vector (webhookv3_test.go): the secret, the valid and the mismatching signature.
VECTOR_SECRET = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
VECTOR_VALID = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
VECTOR_MISMATCH = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"
SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events/pagerduty/incident.priority_updated.json").read_text()
)
BODY = SAMPLE["body"].encode()  # the vector's body, byte for byte
SECRET = {"signing_secrets": [VECTOR_SECRET]}


def test_the_vectors_body_and_secret_are_the_samples() -> None:
    assert BODY.startswith(b'{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK"')
    assert SAMPLE["headers"]["x-pagerduty-signature"] == VECTOR_VALID
    assert "v1=" + hmac.new(VECTOR_SECRET.encode(), BODY, hashlib.sha256).hexdigest() == VECTOR_VALID


def test_the_vectors_valid_signature_is_accepted_stored_and_described() -> None:
    headers = {"X-PagerDuty-Signature": VECTOR_VALID, "X-Webhook-Id": "5ac64822-4adc-4fda-ade0-410becf0de4f"}
    assert verify("pagerduty", SECRET, webhook_request("pagerduty", headers, BODY)) == "hmac-sha256"
    found = answer("pagerduty", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("pagerduty", webhook_request("pagerduty", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "incident.priority_updated",
        "01BWDWL3NYY7LUFPZCC28QUCMK",
        "PGR0VU2",
        "2021-04-26T17:36:27.458Z",
    )
    assert described.extra["resource_type"] == "incident"
    assert described.extra["service_id"] == "PF9KMXH"


def test_the_vectors_mismatch_is_refused() -> None:
    with pytest.raises(Unauthorized):
        verify(
            "pagerduty",
            SECRET,
            webhook_request("pagerduty", {"X-PagerDuty-Signature": VECTOR_MISMATCH}, BODY),
        )


@pytest.mark.parametrize(
    "header",
    [
        f"v1=dummy,{VECTOR_VALID}",  # a rotation: any one matching passes
        f"{VECTOR_MISMATCH},{VECTOR_VALID}",
        f"v2=abcdef,{VECTOR_VALID}",  # another version is ignored
    ],
)
def test_any_v1_signature_of_the_list_matching_passes_as_go_pagerduty_reads_it(header: str) -> None:
    request = webhook_request("pagerduty", {"X-PagerDuty-Signature": header}, BODY)
    assert verify("pagerduty", SECRET, request) == "hmac-sha256"


@pytest.mark.parametrize(
    "variant", ["tampered body", "other secret", "no header", "without v1=", "only another version"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    header, body, secret = VECTOR_VALID, BODY, SECRET
    if variant == "tampered body":
        body = BODY.replace(b'"P1"', b'"P5"')
    elif variant == "other secret":
        secret = {"signing_secrets": ["guessed"]}
    elif variant == "without v1=":
        header = VECTOR_VALID.removeprefix("v1=")
    elif variant == "only another version":
        header = VECTOR_VALID.replace("v1=", "v2=")
    headers = {} if variant == "no header" else {"X-PagerDuty-Signature": header}
    assert refused(answer("pagerduty", secret, headers, body))
