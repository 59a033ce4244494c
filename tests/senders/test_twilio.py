"""Twilio, against its own SDK: twilio 9.13.0's ``twilio.request_validator.RequestValidator`` is the judge,
with the worked vectors of its unit tests (the same values as Twilio's "Webhooks security" page).
X-Twilio-Signature is base64 HMAC-SHA1, with the Auth Token, of the URL Twilio called followed by the form's
parameters sorted by name (a name given twice: once per value, values sorted); a JSON body is signed through
the URL instead, which then carries ``bodySHA256``. The validator tries the URL with and without its
default port. Twilio signs no timestamp and sets no window: a replay verifies, and is a duplicate of its
sid and status."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import parse_qsl

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import Answer, answer, describe, refused, url_for, verify, webhook_request

TOKEN = "12345"  # the SDK tests' Auth Token
CUSTOM_URL = "https://mycompany.com/myapp.php"  # where the SDK's vectors were sent: a custom domain
SECRET = {"signing_secrets": [TOKEN], "url": CUSTOM_URL}
QUERY = "foo=1&bar=2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BODY = b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
SDK_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_SIGNATURE = "a9nBmqA0ju/hNViExpshrM61xv4="
TWIML_STORED = (200, "text/xml", "<Response/>", 1)
OUR_URL, OUR_URL_443 = url_for("twilio"), url_for("twilio").replace(".test/", ".test:443/")


def params(body: bytes) -> MultiDict[str]:
    """The form's parameters as a web framework hands them to the SDK (every value of a repeated name)."""
    return MultiDict(parse_qsl(body.decode(), keep_blank_values=True))


def post(secret: dict[str, Any], headers: dict[str, str], body: bytes, query: str = QUERY) -> Answer:
    return answer("twilio", secret, headers, body, url=url_for("twilio", query))


def twiml(found: Answer) -> tuple[int, str, str, int]:
    return found.status, found.content_type, found.body, len(found.stored)


@pytest.mark.parametrize(
    ("signature", "secret_url", "signed_url"),
    [
        (SDK_SIGNATURE, CUSTOM_URL, CUSTOM_URL),
        ("kvajT1Ptam85bY51eRf/AJRuM3w=", CUSTOM_URL, "https://mycompany.com:443/myapp.php"),
        (SDK_SIGNATURE, "https://mycompany.com:443/myapp.php", CUSTOM_URL),
        (
            "0ZXoZLH/DfblKGATFgpif+LLRf4=",
            "http://mycompany.com/myapp.php",
            "http://mycompany.com:80/myapp.php",
        ),
    ],
    ids=["as-published", "signed-with-443", "secret-with-443", "http-signed-with-80"],
)
def test_the_sdks_form_vectors_verify_behind_a_custom_domain(
    signature: str, secret_url: str, signed_url: str
) -> None:
    """The function sees another Host than the one Twilio called: the secret's url says which."""
    validator = RequestValidator(TOKEN)
    assert validator.compute_signature(f"{signed_url}?{QUERY}", params(BODY)) == signature
    assert validator.validate(f"{secret_url}?{QUERY}", params(BODY), signature)
    secret, headers = {**SECRET, "url": secret_url}, {**FORM, "X-Twilio-Signature": signature}
    request = webhook_request("twilio", headers, BODY, url=url_for("twilio", QUERY))
    assert verify("twilio", secret, request) == "hmac-sha1"
    assert twiml(post(secret, headers, BODY)) == TWIML_STORED
    # Without the secret's url, the URL rebuilt from the Host the function sees is not the one signed.
    assert refused(post({"signing_secrets": [TOKEN]}, headers, BODY))


def test_repeated_keys_are_signed_once_per_value_values_sorted() -> None:
    body, signature = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234", "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert RequestValidator(TOKEN).validate(f"{CUSTOM_URL}?{QUERY}", params(body), signature)
    headers = {**FORM, "X-Twilio-Signature": signature}
    for sent in (body, b"Digits=1234&Sid=CA123&Digits=5678&SidAccount=AC123"):  # any order on the wire
        assert twiml(post(SECRET, headers, sent)) == TWIML_STORED
    assert refused(post(SECRET, headers, b"Sid=CA123&SidAccount=AC123&Digits=5678"))  # one value dropped


def test_the_sdks_json_body_vector_is_signed_through_body_sha256() -> None:
    query = f"{QUERY}&bodySHA256={hashlib.sha256(JSON_BODY).hexdigest()}"
    assert query.endswith("=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
    assert RequestValidator(TOKEN).validate(f"{CUSTOM_URL}?{query}", JSON_BODY.decode(), JSON_SIGNATURE)
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": JSON_SIGNATURE}
    request = webhook_request("twilio", headers, JSON_BODY, url=url_for("twilio", query))
    assert verify("twilio", SECRET, request) == "hmac-sha1"
    assert twiml(post(SECRET, headers, JSON_BODY, query)) == TWIML_STORED
    assert refused(post(SECRET, headers, JSON_BODY.replace(b"value", b"valuE"), query))  # not its digest
    assert refused(post(SECRET, headers, JSON_BODY))  # a JSON body without bodySHA256 is not signed


@pytest.mark.parametrize(
    ("sample", "sid", "status"),
    [
        ("delivered", "SM1f0e8ae6ade43cb3c0ce4525424e404f", "delivered"),
        ("completed", "CA5f2a4c1d3b6e8f0a9c7b5d3e1f2a4c6b", "completed"),
        ("received", "SM9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "received"),
    ],
)
@pytest.mark.parametrize(
    ("signed_url", "posted_url"),
    [(OUR_URL, OUR_URL), (OUR_URL_443, OUR_URL), (OUR_URL, OUR_URL_443)],
    ids=["same-url", "signed-with-443", "posted-with-443"],
)
def test_callbacks_the_sdk_signs_for_our_url_are_answered_and_described(
    sample: str, sid: str, status: str, signed_url: str, posted_url: str
) -> None:
    body = load_event("twilio", sample)["body"].encode()
    secret = {"signing_secrets": ["twilio-auth-token"]}  # no url: the URL is the Host and path received
    signature = RequestValidator("twilio-auth-token").compute_signature(signed_url, params(body))
    headers = {**FORM, "X-Twilio-Signature": signature}
    assert twiml(answer("twilio", secret, headers, body, url=posted_url)) == TWIML_STORED
    found = describe("twilio", webhook_request("twilio", headers, body, url=posted_url))
    assert (found.event_type, found.event_id, found.subject) == (status, f"{sid}:{status}", sid)


@pytest.mark.parametrize("secret", [{"signing_secrets": [TOKEN]}, SECRET], ids=["rebuilt-url", "secret-url"])
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_what_our_definition_signs_the_sdk_validates(secret: dict[str, Any], content_type: str) -> None:
    is_form = content_type == FORM["Content-Type"]
    body, posted = (BODY if is_form else JSON_BODY), url_for("twilio", QUERY)
    signed = providers.load("twilio").sign(
        SubscriptionSecret.model_validate(secret),
        body,
        int(time.time()),
        posted,
        {"content-type": content_type},
    )
    signature = signed.headers["X-Twilio-Signature"]
    twilio_called = f"{secret.get('url') or OUR_URL}?{QUERY}"
    if is_form:
        assert dict(signed.query) == {}
        assert RequestValidator(TOKEN).validate(twilio_called, params(body), signature)
    else:
        assert dict(signed.query) == {"bodySHA256": hashlib.sha256(body).hexdigest()}
        digest = f"&bodySHA256={signed.query['bodySHA256']}"
        assert RequestValidator(TOKEN).validate(twilio_called + digest, body.decode(), signature)
        posted += digest
    found = answer("twilio", secret, {"Content-Type": content_type, **signed.headers}, body, url=posted)
    assert twiml(found) == TWIML_STORED


@pytest.mark.parametrize(
    "variant",
    ["other token", "tampered parameter", "added parameter", "tampered query", "other path", "no signature"],
)
def test_forged_and_tampered_requests_are_refused_with_401_as_the_sdk_refuses_them(variant: str) -> None:
    signature, body, query, secret = SDK_SIGNATURE, BODY, QUERY, dict(SECRET)
    if variant == "other token":
        signature = RequestValidator("54321").compute_signature(f"{CUSTOM_URL}?{QUERY}", params(BODY))
    elif variant == "tampered parameter":
        body = BODY.replace(b"Digits=1234", b"Digits=1235")
    elif variant == "added parameter":
        body = BODY + b"&Extra=1"
    elif variant == "tampered query":
        query = "foo=1&bar=3"
    elif variant == "other path":
        secret["url"] = "https://mycompany.com/other.php"
    headers = {**FORM} if variant == "no signature" else {**FORM, "X-Twilio-Signature": signature}
    if variant != "no signature":
        assert not RequestValidator(TOKEN).validate(f"{secret['url']}?{query}", params(body), signature)
    assert refused(post(secret, headers, body, query))


def test_a_form_body_that_is_not_utf8_is_refused_as_the_sdk_refuses_it() -> None:
    """A form's parameters are signed, whatever bytes carry them. Here the SDK's genuine signature is
    replayed with its parameters moved into the query (Twilio's signed string is then the same, for an
    empty form) and a body of the attacker's: made of UTF-8 it is refused; with one byte that is not UTF-8
    it must be refused too (the SDK, given the parameters a framework decodes from it, refuses it).
    (Checked at verify level: ``answer`` sends bodies as text; the handler, given the body base64-encoded
    as API Gateway sends bytes, stores what verify passes.)"""
    shifted = f"{QUERY}CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
    headers = {**FORM, "X-Twilio-Signature": SDK_SIGNATURE}
    utf8 = b"MessageStatus=delivered&MessageSid=SMforged"
    with pytest.raises(Unauthorized):
        verify("twilio", SECRET, webhook_request("twilio", headers, utf8, url=url_for("twilio", shifted)))
    not_utf8 = utf8 + b"&Note=\xff"
    framework_params = MultiDict(parse_qsl(not_utf8.decode("utf-8", "replace"), keep_blank_values=True))
    assert not RequestValidator(TOKEN).validate(f"{CUSTOM_URL}?{shifted}", framework_params, SDK_SIGNATURE)
    with pytest.raises(Unauthorized):
        verify("twilio", SECRET, webhook_request("twilio", headers, not_utf8, url=url_for("twilio", shifted)))


def test_no_window_an_old_signature_still_verifies() -> None:
    """Twilio signs no time: the same request verifies years later (the store sees a duplicate sid+status)."""
    headers = {**FORM, "X-Twilio-Signature": SDK_SIGNATURE}
    request = webhook_request("twilio", headers, BODY, url=url_for("twilio", QUERY), at=0)
    assert verify("twilio", SECRET, request, now=time.time() + 10 * 365 * 86_400) == "hmac-sha1"


@pytest.mark.parametrize("sample", sample_names("twilio"))
def test_the_shipped_samples_are_genuine_to_the_sdk_and_to_us(sample: str) -> None:
    event, secret = load_event("twilio", sample), demo_secret("twilio")
    url, body = f"https://{event['headers']['host']}{event['rawPath']}", event["body"].encode()
    signature = event["headers"]["x-twilio-signature"]
    assert RequestValidator(secret["signing_secrets"][0]).validate(url, params(body), signature)
    assert verify("twilio", secret, webhook_request("twilio", event["headers"], body, url=url)) == "hmac-sha1"


def test_a_captured_callback_re_split_verifies_but_is_the_same_request() -> None:
    """Twilio runs the form's names and values together with nothing between them, so moving a boundary
    keeps the signature (MessageSid=SM1 and MessageStatus=delivered sign as one field,
    MessageSid=SM1MessageStatusdelivered; the SDK agrees). No value is proven on its own: the sid and status
    are metadata, never the dedupe key, and a re-split capture is the same request. Before, the id made of
    them was the key: an outsider holding one callback had it stored and published again under another id."""
    body = load_event("twilio", "delivered")["body"].encode()
    re_split = body.replace(b"&MessageStatus=delivered", b"MessageStatusdelivered")
    assert dict(params(re_split))["MessageSid"].endswith("MessageStatusdelivered")
    signature = RequestValidator("twilio-auth-token").compute_signature(OUR_URL, params(body))
    assert RequestValidator("twilio-auth-token").validate(OUR_URL, params(re_split), signature)
    secret = {"signing_secrets": ["twilio-auth-token"]}
    headers = {**FORM, "X-Twilio-Signature": signature}
    loaded = providers.load("twilio")
    identities = set()
    for sent in (body, re_split):
        request = webhook_request("twilio", headers, sent)
        assert verify("twilio", secret, request) == "hmac-sha1"
        payload, form = loaded.parse(request)
        found = loaded.describe(request, payload)
        assert found.proven_id is None
        identities.add((found.proven_type, loaded.proof(request, payload, form)))
    assert len(identities) == 1
    sid = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert describe("twilio", webhook_request("twilio", headers, body)).event_id == f"{sid}:delivered"
