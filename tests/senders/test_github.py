"""GitHub, proven against the worked example in its documentation, JSON and form deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest

from hookbridge.errors import Unauthorized
from hookbridge.providers import load
from tests.support.senders import describe, request, secret

# docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries, "Testing the webhook payload
# validation": this secret and payload give this X-Hub-Signature-256.
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_PAYLOAD = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_documented_example_verifies() -> None:
    headers = {"X-Hub-Signature-256": GITHUB_SIGNATURE, "X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1"}
    req = request("github", headers, GITHUB_PAYLOAD)
    assert load("github").verify(req, secret("rotated-in", GITHUB_SECRET), 0) == "hmac-sha256"
    described = describe("github", req)
    # Genuine but not JSON: stored as unrecognized under its type, deduplicated on the delivery id.
    assert (described.event_type, described.event_id, described.recognized) == ("ping", "d-1", False)


def test_github_signs_the_documented_example() -> None:
    assert load("github").sign(secret(GITHUB_SECRET), GITHUB_PAYLOAD, 0).headers["X-Hub-Signature-256"] == (
        GITHUB_SIGNATURE
    )


@pytest.mark.parametrize(
    "signature",
    [
        GITHUB_SIGNATURE.removeprefix("sha256="),  # no prefix
        "sha1=" + GITHUB_SIGNATURE.removeprefix("sha256="),
        GITHUB_SIGNATURE[:-1] + "8",
        "",
    ],
)
def test_github_anything_but_the_documented_signature_is_refused(signature: str) -> None:
    with pytest.raises(Unauthorized):
        load("github").verify(
            request("github", {"X-Hub-Signature-256": signature}, GITHUB_PAYLOAD), secret(GITHUB_SECRET), 0
        )


def test_github_changed_payload_is_refused() -> None:
    with pytest.raises(Unauthorized, match="mismatch"):
        load("github").verify(
            request("github", {"X-Hub-Signature-256": GITHUB_SIGNATURE}, b"Hello, World?"),
            secret(GITHUB_SECRET),
            0,
        )


# GitHub's form deliveries (content type application/x-www-form-urlencoded): payload=<the JSON, encoded>.
GITHUB_FORM_JSON = {"zen": "Keep it logically awesome.", "hook_id": 1, "repository": {"full_name": "o/r"}}
GITHUB_FORM = urlencode({"payload": json.dumps(GITHUB_FORM_JSON)}).encode()


def test_github_form_deliveries_are_verified_over_the_form_bytes_and_read_from_payload() -> None:
    """GitHub signs the body as sent (its docs: the HMAC of the request body), here the encoded form; the
    event is the JSON in its payload field, which is what reaches the bus."""
    signature = "sha256=" + hmac.new(b"gh-secret", GITHUB_FORM, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Hub-Signature-256": signature,
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "a1b2c3d4-0000-11ee-8c99-0242ac120002",
    }
    req = request("github", headers, GITHUB_FORM)
    assert load("github").verify(req, secret("gh-secret"), 0) == "hmac-sha256"
    payload, form = load("github").parse(req)
    assert (payload, form) == (GITHUB_FORM_JSON, "payload")
    assert load("github").describe(req, payload).subject == "o/r"
    inner = hmac.new(b"gh-secret", json.dumps(GITHUB_FORM_JSON).encode(), hashlib.sha256).hexdigest()
    with pytest.raises(Unauthorized):  # the JSON inside is not what GitHub signed
        load("github").verify(
            request("github", {**headers, "X-Hub-Signature-256": f"sha256={inner}"}, GITHUB_FORM),
            secret("gh-secret"),
            0,
        )
