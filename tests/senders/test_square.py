"""Square, against its own SDK: squareup 46.0.0.20260916's ``square.utils.webhooks_helper.verify_signature``
is the judge, with the two worked vectors of its tests. x-square-hmacsha256-signature is base64 HMAC-SHA256,
with the subscription's Signature Key used as text, of the notification URL exactly as registered followed
by the body. The function sees its own Host, so the secret's ``url`` holds the registered URL when that is
another one; without it the URL is rebuilt from the Host and path received. Square signs no timestamp and
sets no window: an old signature verifies, and a replay is a duplicate of its event_id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from square.utils.webhooks_helper import verify_signature

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

HEADER = "x-square-hmacsha256-signature"
# square-python-sdk's own integration test of webhooks_helper (its test_webhooks_helper.py)
KEY, URL = "Ibxx_5AKakO-3qeNVR61Dw", "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
BODY = (
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
    '"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z",'
    '"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}'
)
SIGNATURE = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="
SECRET = {"signing_secrets": [KEY], "url": URL}
VECTORS = [
    (
        KEY,
        URL,
        BODY,
        SIGNATURE,
        (
            "webhooks.test_notification",
            "ac3ac95b-f97d-458c-a6e6-18981597e05f",
            "bc368e64-01aa-407e-b46e-3231809b1129",
        ),
    ),
    (
        "signature-key",
        "https://webhook.site/webhooks",
        '{"data":{"type":"webhooks","id":">id<"}}',
        "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
        ("unrecognized", None, ">id<"),  # no type: stored as unrecognized, never thrown away
    ),
]


def sdk_accepts(body: str, signature: str, key: str = KEY, url: str = URL) -> bool:
    return verify_signature(
        request_body=body, signature_header=signature, signature_key=key, notification_url=url
    )


@pytest.mark.parametrize(
    ("key", "url", "body", "signature", "described"), VECTORS, ids=["test-notification", "id"]
)
def test_the_sdks_vectors_verify_when_the_secret_holds_the_notification_url(
    key: str, url: str, body: str, signature: str, described: tuple[str, str | None, str]
) -> None:
    assert sdk_accepts(body, signature, key, url)
    secret, headers = (
        {"signing_secrets": [key], "url": url},
        {"Content-Type": "application/json", HEADER: signature},
    )
    assert verify("square", secret, webhook_request("square", headers, body.encode())) == "hmac-sha256"
    found = answer("square", secret, headers, body.encode())
    assert (found.status, found.content_type, found.json()["status"], len(found.stored)) == (
        200,
        "application/json",
        "accepted",
        1,
    )
    found_description = describe("square", webhook_request("square", headers, body.encode()))
    assert (found_description.event_type, found_description.event_id, found_description.subject) == described
    # The URL the function sees is not the one Square signed: without the secret's url, refused.
    assert refused(answer("square", {"signing_secrets": [key]}, headers, body.encode()))


def test_the_url_must_be_the_registered_one_byte_for_byte() -> None:
    headers = {HEADER: SIGNATURE}
    for other in (URL + "/", URL.replace("https:", "http:"), URL.replace("webhook.site", "Webhook.site")):
        assert not sdk_accepts(BODY, SIGNATURE, url=other)
        assert refused(answer("square", {**SECRET, "url": other}, headers, BODY.encode()))


def test_without_a_url_in_the_secret_the_url_is_the_host_and_path_received() -> None:
    body = load_event("square", "payment.updated")["body"]
    secret = {"signing_secrets": [KEY]}
    signed = providers.load("square").sign(
        SubscriptionSecret.model_validate(secret), body.encode(), int(time.time()), url_for("square")
    )
    assert (dict(signed.query), signed.body) == ({}, None)
    assert sdk_accepts(body, signed.headers[HEADER], url=url_for("square"))
    found = answer("square", secret, {"Content-Type": "application/json", **signed.headers}, body.encode())
    assert (found.status, found.json()["status"]) == (200, "accepted")
    described = describe("square", webhook_request("square", signed.headers, body.encode()))
    assert (described.event_type, described.event_id, described.subject, described.extra["merchant_id"]) == (
        "payment.updated",
        "6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
        "hYy9pRFVxpDsO1FB05SunFWUe9JZY",
        "6SSW7HV8K2ST5",
    )
    # Posted elsewhere (another Host, or with a query), it is not what was signed.
    assert refused(answer("square", secret, signed.headers, body.encode(), url=url_for("square", "x=1")))
    other_host = url_for("square").replace("hooks.example.test", "evil.example.test")
    assert refused(answer("square", secret, signed.headers, body.encode(), url=other_host))


def test_what_our_definition_signs_with_the_secrets_url_the_sdk_verifies() -> None:
    signed = providers.load("square").sign(
        SubscriptionSecret.model_validate(SECRET), BODY.encode(), int(time.time()), url_for("square")
    )
    assert signed.headers[HEADER] == SIGNATURE  # HMAC is deterministic: the SDK test's very signature
    assert sdk_accepts(BODY, signed.headers[HEADER])


@pytest.mark.parametrize(
    "variant", ["other key", "key base64-decoded", "tampered body", "no signature", "sha1 header"]
)
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    body, signature = BODY, SIGNATURE
    if variant == "other key":
        signature = base64.b64encode(
            hmac.new(b"guessed", (URL + BODY).encode(), hashlib.sha256).digest()
        ).decode()
    elif variant == "key base64-decoded":  # it looks like base64url, but Square uses it as text
        key = base64.urlsafe_b64decode(KEY + "==")
        signature = base64.b64encode(hmac.new(key, (URL + BODY).encode(), hashlib.sha256).digest()).decode()
    elif variant == "tampered body":
        body = BODY.replace("MLEFBHHSJGVHD", "MLEFBHHSJGVHE")
    headers = {HEADER: signature}
    if variant == "no signature":
        headers = {}
    elif variant == "sha1 header":  # the retired v1 scheme's header is not this one
        headers = {"x-square-signature": signature}
    if variant in ("other key", "key base64-decoded", "tampered body"):
        assert not sdk_accepts(body, signature)
    assert refused(answer("square", SECRET, headers, body.encode()))


def test_no_window_an_old_signature_still_verifies() -> None:
    """Square signs no time: the SDK's 2022 vector verifies ten years on (a replay is a duplicate of its
    event_id)."""
    request = webhook_request("square", {HEADER: SIGNATURE}, BODY.encode())
    assert verify("square", SECRET, request, now=time.time() + 10 * 365 * 86_400) == "hmac-sha256"


@pytest.mark.parametrize("sample", sample_names("square"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("square", sample), demo_secret("square")
    url, headers = f"https://{event['headers']['host']}{event['rawPath']}", event["headers"]
    assert sdk_accepts(event["body"], headers[HEADER], secret["signing_secrets"][0], url)
    request = webhook_request("square", headers, event["body"].encode(), url=url)
    assert verify("square", secret, request) == "hmac-sha256"
