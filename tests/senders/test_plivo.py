"""Plivo's signature V3, against its own SDK: plivo 4.63.0's ``plivo.utils.validate_v3_signature`` is the
judge (and its ``construct_post_url`` the canonical string). X-Plivo-Signature-V3 is base64 HMAC-SHA256, with
the Auth Token, of the URL Plivo called with its query decoded and sorted, then (for a POST with parameters)
the form's parameters sorted, each name followed by its value, then "." and X-Plivo-Signature-V3-Nonce;
several signatures may come comma-separated. No timestamp: a captured request verifies again and is a
duplicate of its MessageUUID (or CallUUID) and status."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from plivo.utils import validate_v3_signature  # type: ignore[import-untyped]
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event
from tests.support.senders import Answer, answer, describe, refused, url_for, verify, webhook_request

TOKEN = "MAODUZYTQ0Y2FMYJBLOW"  # an auth token's shape
SECRET = {"signing_secrets": [TOKEN]}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NONCE = "05429567804466091622"
BODY = (
    b"From=14155550100&MessageUUID=0936ec98-7c4c-11e4-9bd8-22000afa12b9&PartInfo=1+of+1&Status=delivered"
    b"&To=14155550199&Units=1"
)
CUSTOM_URL = "https://hooks.example.com/webhooks/plivo/demo"


def params(body: bytes) -> dict[str, Any]:
    """The form's parameters as a web framework hands them to the SDK (a list for a repeated name)."""
    found = parse_qs(body.decode(), keep_blank_values=True)
    return {k: v if len(v) > 1 else v[0] for k, v in found.items()}


def plivo_signs(url: str, body: bytes, nonce: str = NONCE, token: str = TOKEN) -> str:
    """What Plivo sends for a POST of this form to this URL (the SDK's own construction)."""
    signed = construct_post_url(url, params(body)).decode()
    return str(get_signature_v3(token.encode(), signed, nonce.encode()).decode())


def headers_for(signature: str, nonce: str = NONCE) -> dict[str, str]:
    return {**FORM, "X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}


def stored(found: Answer) -> tuple[int, int]:
    return found.status, len(found.stored)


@pytest.mark.parametrize("query", ["", "b=2&a=1", "a=1&a=0&c=x+y"], ids=["no-query", "query", "repeated"])
def test_a_callback_plivo_signs_verifies_and_is_stored_once(query: str) -> None:
    url = url_for("plivo", query)
    signature = plivo_signs(url, BODY)
    assert validate_v3_signature("POST", url, NONCE, TOKEN, signature, params(BODY))
    request = webhook_request("plivo", headers_for(signature), BODY, url=url)
    assert verify("plivo", SECRET, request) == "hmac-sha256"
    assert stored(answer("plivo", SECRET, headers_for(signature), BODY, url=url)) == (200, 1)
    found = describe("plivo", request)
    uuid = "0936ec98-7c4c-11e4-9bd8-22000afa12b9"
    assert (found.event_type, found.event_id, found.subject) == ("delivered", f"{uuid}:delivered", uuid)


def test_any_of_several_signatures_passes_and_parameters_may_come_in_any_order() -> None:
    url = url_for("plivo")
    genuine = plivo_signs(url, BODY)
    other = plivo_signs(url, BODY, token="an-older-token")
    assert validate_v3_signature("POST", url, NONCE, TOKEN, f"{other},{genuine}", params(BODY))
    reordered = b"&".join(sorted(BODY.split(b"&"), reverse=True))
    for body in (BODY, reordered):
        assert stored(answer("plivo", SECRET, headers_for(f"{other},{genuine}"), body)) == (200, 1)
    assert refused(answer("plivo", SECRET, headers_for(other), BODY))


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("a parameter", {"body": BODY.replace(b"delivered", b"failed")}),
        ("a parameter added", {"body": BODY + b"&Extra=1"}),
        ("the nonce", {"nonce": "05429567804466091623"}),
        ("the query", {"url": url_for("plivo", "a=1")}),
        ("the path (another subscription)", {"url": url_for("plivo").replace("/demo", "/prod")}),
        ("the host", {"url": CUSTOM_URL}),
        ("the scheme", {"url": url_for("plivo").replace("https:", "http:")}),
    ],
)
def test_every_signed_part_is_proven(what: str, change: dict[str, Any]) -> None:
    """A captured request changed anywhere Plivo signs is refused (the SDK agrees)."""
    signature = plivo_signs(url_for("plivo"), BODY)
    body, nonce, url = (
        change.get("body", BODY),
        change.get("nonce", NONCE),
        change.get("url", url_for("plivo")),
    )
    assert not validate_v3_signature("POST", url, nonce, TOKEN, signature, params(body)), what
    with pytest.raises(Unauthorized):
        verify("plivo", SECRET, webhook_request("plivo", headers_for(signature, nonce), body, url=url))
    if "/demo" in url:  # the handler answers the demo subscription
        assert refused(answer("plivo", SECRET, headers_for(signature, nonce), body, url=url)), what


def test_what_is_not_signed_is_refused_or_changes_nothing() -> None:
    """The body is signed only as a form: another content type is refused, not verified as a bare URL. A
    replay (same signature and nonce) verifies and is a duplicate; so is Plivo's retry with a new nonce."""
    url = url_for("plivo")
    signature = plivo_signs(url, BODY)
    as_json = {**headers_for(signature), "Content-Type": "application/json"}
    assert refused(answer("plivo", SECRET, as_json, BODY))
    with pytest.raises(Unauthorized):
        verify("plivo", SECRET, webhook_request("plivo", as_json, b'{"Status":"delivered"}', url=url))
    with pytest.raises(Unauthorized):  # no nonce, no signature
        verify("plivo", SECRET, webhook_request("plivo", {**FORM, "X-Plivo-Signature-V3": signature}, BODY))
    with pytest.raises(Unauthorized):
        verify("plivo", SECRET, webhook_request("plivo", {**FORM, "X-Plivo-Signature-V3-Nonce": NONCE}, BODY))
    with pytest.raises(Unauthorized):  # no auth token: fail closed
        verify("plivo", {"signing_secrets": []}, webhook_request("plivo", headers_for(signature), BODY))
    request = webhook_request("plivo", headers_for(signature), BODY)
    retried_nonce = "99999999999999999999"
    retried = webhook_request(
        "plivo", headers_for(plivo_signs(url, BODY, retried_nonce), retried_nonce), BODY
    )
    assert [describe("plivo", r).event_id for r in (request, retried)] == [
        "0936ec98-7c4c-11e4-9bd8-22000afa12b9:delivered"
    ] * 2


def test_behind_a_custom_domain_the_secrets_url_is_the_one_signed() -> None:
    signature = plivo_signs(CUSTOM_URL, BODY)
    with_url = {**SECRET, "url": CUSTOM_URL}
    assert stored(answer("plivo", with_url, headers_for(signature), BODY)) == (200, 1)
    assert refused(answer("plivo", SECRET, headers_for(signature), BODY))


@pytest.mark.parametrize("sample", ["delivered", "completed"])
def test_the_samples_are_genuine_plivo_requests(sample: str) -> None:
    event = load_event("plivo", sample)
    headers, body = event["headers"], event["body"].encode()
    url = f"https://{headers['host']}{event['rawPath']}"
    token = demo_secret("plivo")["signing_secrets"][0]
    assert validate_v3_signature(
        "POST",
        url,
        headers["x-plivo-signature-v3-nonce"],
        token,
        headers["x-plivo-signature-v3"],
        params(body),
    )


@pytest.mark.parametrize("query", ["", "x=1&b=%2F"], ids=["no-query", "query"])
@pytest.mark.parametrize("secret", [SECRET, {**SECRET, "url": CUSTOM_URL}], ids=["rebuilt-url", "secret-url"])
def test_what_our_definition_signs_the_sdk_validates(query: str, secret: dict[str, Any]) -> None:
    posted = url_for("plivo", query)
    signed = providers.load("plivo").sign(
        SubscriptionSecret.model_validate(secret),
        BODY,
        int(time.time()),
        posted,
        {"content-type": FORM["Content-Type"]},
    )
    nonce, signature = signed.headers["X-Plivo-Signature-V3-Nonce"], signed.headers["X-Plivo-Signature-V3"]
    called = (secret.get("url") or url_for("plivo")) + (f"?{query}" if query else "")
    assert validate_v3_signature("POST", called, nonce, TOKEN, signature, params(BODY))
    assert stored(answer("plivo", secret, {**FORM, **signed.headers}, BODY, url=posted)) == (200, 1)
    again = providers.load("plivo").sign(SubscriptionSecret.model_validate(secret), BODY, 0, posted, FORM)
    assert again.headers["X-Plivo-Signature-V3-Nonce"] != nonce  # a new nonce for each request


def test_an_empty_body_signs_the_url_alone() -> None:
    url = url_for("plivo", urlencode({"CallUUID": "c-1", "CallStatus": "ringing"}))
    signature = str(
        get_signature_v3(TOKEN.encode(), construct_post_url(url, {}).decode(), NONCE.encode()).decode()
    )
    assert validate_v3_signature("POST", url, NONCE, TOKEN, signature, {})
    request = webhook_request("plivo", headers_for(signature), b"", url=url)
    assert verify("plivo", SECRET, request) == "hmac-sha256"


def test_a_captured_request_re_split_verifies_but_is_the_same_request() -> None:
    """Plivo runs names and values together with nothing between them, so moving a boundary keeps the
    signature ({"Status": "delivered"} and {"Statusdeliv": "ered"} sign alike; the SDK agrees). No value is
    therefore proven on its own: the request is identified by the run as signed, with neither nonce nor host,
    and the MessageUUID and status are metadata, never the dedupe key. A re-split capture and Plivo's retry
    with a new nonce are one request."""
    url = url_for("plivo")
    signature = plivo_signs(url, BODY)
    re_split = BODY.replace(b"Status=delivered", b"Statusdeliv=ered")
    assert validate_v3_signature("POST", url, NONCE, TOKEN, signature, params(re_split))
    loaded = providers.load("plivo")
    retry_nonce = "11111111111111111111"
    requests = [
        webhook_request("plivo", headers_for(signature), BODY),
        webhook_request("plivo", headers_for(signature), re_split),
        webhook_request("plivo", headers_for(plivo_signs(url, BODY, retry_nonce), retry_nonce), BODY),
    ]
    identities = set()
    for request in requests:
        assert verify("plivo", SECRET, request) == "hmac-sha256"
        payload, form = loaded.parse(request)
        found = loaded.describe(request, payload)
        assert (found.proven_id, found.proven_type) == (None, None)
        identities.add(loaded.proof(request, payload, form))
    assert len(identities) == 1
    assert describe("plivo", requests[0]).event_id == "0936ec98-7c4c-11e4-9bd8-22000afa12b9:delivered"
