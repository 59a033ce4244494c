"""The four senders by definition, proven against each sender's own code or published example, never only
against our own signer: Standard Webhooks (the `standardwebhooks` package), Stripe (the `stripe` package),
GitHub (the worked example in its docs), Shopify (the verification code in its docs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest, parse_json
from hookbridge.providers import load
from hookbridge.subscription import SubscriptionSecret


def request(
    provider: str, headers: dict[str, str], body: bytes, received_at: float | None = None
) -> WebhookRequest:
    at = time.time() if received_at is None else received_at
    return WebhookRequest(
        provider, "prod", {k.lower(): v for k, v in headers.items()}, {}, {}, body, int(at * 1000)
    )


def secret(*values: str) -> SubscriptionSecret:
    return SubscriptionSecret.model_validate({"signing_secrets": list(values)})


def describe(provider: str, req: WebhookRequest) -> Any:
    return load(provider).describe(req, parse_json(req.body))


# ---------------------------------------------------------------------------------- Standard Webhooks
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the form the spec shows: whsec_ + base64 of the key
SW_BODY = b'{"type":"user.created","timestamp":"2026-03-10T14:44:59Z","data":{"id":"usr_1"}}'


def sw_headers(msg_id: str, at: int, signature: str) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def test_standard_webhooks_accepts_what_the_reference_library_signs() -> None:
    now = int(time.time())
    signature = Webhook(WHSEC).sign(
        "msg_2Lh9KRb0pzN4LePd3XiA4", datetime.fromtimestamp(now, UTC), SW_BODY.decode()
    )
    req = request("standard-webhooks", sw_headers("msg_2Lh9KRb0pzN4LePd3XiA4", now, signature), SW_BODY, now)
    assert load("standard-webhooks").verify(req, secret(WHSEC), now) == "hmac-sha256"
    described = describe("standard-webhooks", req)
    assert (described.event_type, described.event_id, described.recognized) == (
        "user.created",
        "msg_2Lh9KRb0pzN4LePd3XiA4",
        True,
    )


def test_standard_webhooks_reference_library_accepts_what_we_sign() -> None:
    now = int(time.time())
    credentials = load("standard-webhooks").sign(secret(WHSEC), SW_BODY, now)
    assert Webhook(WHSEC).verify(SW_BODY, dict(credentials.headers)) is not None


def test_standard_webhooks_any_listed_v1_signature_passes_and_other_versions_are_ignored() -> None:
    now = int(time.time())
    good = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode())
    other = Webhook("whsec_" + base64.b64encode(b"another key").decode()).sign(
        "msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode()
    )
    listed = f"v1a,{good.split(',')[1]} {other} {good}"  # an unknown version, a rotated-out key, the real one
    Webhook(WHSEC).verify(SW_BODY, sw_headers("msg_1", now, listed))  # the oracle agrees it is genuine
    assert load("standard-webhooks").verify(
        request("standard-webhooks", sw_headers("msg_1", now, listed), SW_BODY), secret(WHSEC), now
    )
    with pytest.raises(Unauthorized):
        load("standard-webhooks").verify(
            request("standard-webhooks", sw_headers("msg_1", now, f"v2,{good.split(',')[1]}"), SW_BODY),
            secret(WHSEC),
            now,
        )


@pytest.mark.parametrize("skew", [-301, 301])
def test_standard_webhooks_timestamps_outside_five_minutes_are_refused_like_the_reference(skew: int) -> None:
    now = int(time.time())
    signed_at = now + skew
    signature = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(signed_at, UTC), SW_BODY.decode())
    headers = sw_headers("msg_1", signed_at, signature)
    with pytest.raises(WebhookVerificationError, match="too"):
        Webhook(WHSEC).verify(SW_BODY, headers)
    with pytest.raises(Unauthorized, match="tolerance"):
        load("standard-webhooks").verify(request("standard-webhooks", headers, SW_BODY), secret(WHSEC), now)


def test_standard_webhooks_the_id_is_signed() -> None:
    now = int(time.time())
    signature = Webhook(WHSEC).sign("msg_1", datetime.fromtimestamp(now, UTC), SW_BODY.decode())
    with pytest.raises(Unauthorized, match="mismatch"):
        load("standard-webhooks").verify(
            request("standard-webhooks", sw_headers("msg_2", now, signature), SW_BODY), secret(WHSEC), now
        )


# -------------------------------------------------------------------------------------------- Stripe
STRIPE_SECRET = "whsec_test_secret_5e3bd5ac4d1b"
STRIPE_BODY = (
    b'{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","created":1773153898,'
    b'"type":"invoice.paid","data":{"object":{"id":"in_1"}}}'
)


def test_stripe_accepts_what_the_stripe_library_signs() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now)
    req = request("stripe", {"Stripe-Signature": header}, STRIPE_BODY)
    assert load("stripe").verify(req, secret(STRIPE_SECRET), now) == "hmac-sha256"
    described = describe("stripe", req)
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "invoice.paid",
        "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "in_1",
        "2026-03-10T14:44:58Z",
    )


def test_the_stripe_library_accepts_what_we_sign() -> None:
    now = int(time.time())
    header = load("stripe").sign(secret(STRIPE_SECRET), STRIPE_BODY, now).headers["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)


def test_stripe_several_signatures_and_a_v0_pass_like_the_library() -> None:
    now = int(time.time())
    genuine = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now)
    v1 = genuine.split("v1=")[1]
    header = f"t={now},v1={'0' * 64},v0={'1' * 64},v1={v1}"
    assert stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)
    assert load("stripe").verify(
        request("stripe", {"Stripe-Signature": header}, STRIPE_BODY), secret(STRIPE_SECRET), now
    )


def test_stripe_stale_signature_is_refused_like_the_library() -> None:
    now = int(time.time())
    header = stripe.WebhookSignature.generate_signature_header(STRIPE_BODY.decode(), STRIPE_SECRET, now - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(STRIPE_BODY, header, STRIPE_SECRET, tolerance=300)
    with pytest.raises(Unauthorized, match="tolerance"):
        load("stripe").verify(
            request("stripe", {"Stripe-Signature": header}, STRIPE_BODY), secret(STRIPE_SECRET), now
        )


# -------------------------------------------------------------------------------------------- GitHub
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


# ------------------------------------------------------------------------------------------- Shopify
SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
SHOPIFY_BODY = b'{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508"}'


def shopify_docs_verify(data: bytes, hmac_header: str) -> bool:
    """Shopify's own example (shopify.dev, "Verify the webhook", Python): the oracle."""
    digest = hmac.new(SHOPIFY_SECRET.encode("utf-8"), data, hashlib.sha256).digest()
    computed_hmac = base64.b64encode(digest)
    return hmac.compare_digest(computed_hmac, hmac_header.encode("utf-8"))


def shopify_headers(signature: str) -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": "2026-03-10T14:44:59.873Z",
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
    }


def test_shopify_docs_code_accepts_what_we_sign_and_we_accept_it() -> None:
    signature = load("shopify").sign(secret(SHOPIFY_SECRET), SHOPIFY_BODY, 0).headers["X-Shopify-Hmac-Sha256"]
    assert shopify_docs_verify(SHOPIFY_BODY, signature)
    req = request("shopify", shopify_headers(signature), SHOPIFY_BODY)
    assert load("shopify").verify(req, secret(SHOPIFY_SECRET), 0) == "hmac-sha256"
    described = describe("shopify", req)
    assert (described.event_type, described.event_id, described.subject, described.extra["shop_domain"]) == (
        "orders/create",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "gid://shopify/Order/820982911946154508",
        "demo-shop.myshopify.com",
    )


def test_shopify_a_signature_the_docs_code_refuses_we_refuse() -> None:
    forged = base64.b64encode(hmac.new(b"other secret", SHOPIFY_BODY, hashlib.sha256).digest()).decode()
    assert not shopify_docs_verify(SHOPIFY_BODY, forged)
    with pytest.raises(Unauthorized, match="mismatch"):
        load("shopify").verify(
            request("shopify", shopify_headers(forged), SHOPIFY_BODY), secret(SHOPIFY_SECRET), 0
        )


# Checked with Shopify's official library, @shopify/shopify-api 12.3.0 on Node 20:
# shopifyApi({apiSecretKey: SHOPIFY_SECRET, ...}).webhooks.validate({rawBody: SHOPIFY_BODY, rawRequest})
# with these headers answered {"valid": true, ...}; with the first character changed, "invalid_hmac".
SHOPIFY_LIBRARY_VALID = "m5EXBmhzuYhI+hCZsaaLfUXKso3mT/3OpKFdv5E/Qa0="


def test_shopify_a_header_the_official_library_validated_verifies_and_is_what_we_sign() -> None:
    req = request("shopify", shopify_headers(SHOPIFY_LIBRARY_VALID), SHOPIFY_BODY)
    assert load("shopify").verify(req, secret(SHOPIFY_SECRET), 0) == "hmac-sha256"
    assert load("shopify").sign(secret(SHOPIFY_SECRET), SHOPIFY_BODY, 0).headers["X-Shopify-Hmac-Sha256"] == (
        SHOPIFY_LIBRARY_VALID
    )
    with pytest.raises(Unauthorized):
        load("shopify").verify(
            request("shopify", shopify_headers("n" + SHOPIFY_LIBRARY_VALID[1:]), SHOPIFY_BODY),
            secret(SHOPIFY_SECRET),
            0,
        )


def test_shopify_events_deliveries_with_only_the_newer_header_names_verify_and_describe() -> None:
    """Shopify's Events deliveries name their headers shopify-* (no x-): the same HMAC of the body."""
    signature = base64.b64encode(
        hmac.new(SHOPIFY_SECRET.encode(), SHOPIFY_BODY, hashlib.sha256).digest()
    ).decode()
    assert shopify_docs_verify(SHOPIFY_BODY, signature)
    headers = {
        "shopify-hmac-sha256": signature,
        "shopify-topic": "orders/create",
        "shopify-event-id": "0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8",
        "shopify-triggered-at": "2026-03-10T14:44:59.873Z",
    }
    req = request("shopify", headers, SHOPIFY_BODY)
    assert load("shopify").verify(req, secret(SHOPIFY_SECRET), 0) == "hmac-sha256"
    described = describe("shopify", req)
    assert (described.event_type, described.event_id, described.occurred_at) == (
        "orders/create",
        "0f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8",
        "2026-03-10T14:44:59.873Z",
    )
    forged = {**headers, "shopify-hmac-sha256": "n" + signature[1:]}
    with pytest.raises(Unauthorized):
        load("shopify").verify(request("shopify", forged, SHOPIFY_BODY), secret(SHOPIFY_SECRET), 0)


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


@pytest.mark.parametrize("host", ["[", "hooks.example.test:99999", "a b"])
@pytest.mark.parametrize("provider", ["twilio", "square", "hubspot"])
def test_a_host_header_that_is_no_host_is_refused_not_an_error(provider: str, host: str) -> None:
    """A sender that signs the URL: the URL is rebuilt from the Host, which anyone can send (it raised
    ValueError from urlsplit, a 500, before)."""
    from tests.support.senders import answer, refused

    signed = {
        "Host": host,
        "X-Twilio-Signature": "eA==",
        "x-square-hmacsha256-signature": "eA==",
        "X-HubSpot-Signature-v3": "eA==",
        "X-HubSpot-Request-Timestamp": str(int(time.time() * 1000)),
    }
    assert refused(answer(provider, {"signing_secrets": ["k"]}, signed, b"{}"))
