"""Shopify, proven against the verification code in its documentation and a header its official library
validated."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from hookbridge.errors import Unauthorized
from hookbridge.providers import load
from tests.support.senders import describe, request, secret

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
