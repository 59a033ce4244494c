"""HubSpot webhooks (signature v3), against its own SDK: hubspot-api-client 12.0.0
(``hubspot.utils.signature.Signature``) is the judge. ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256 with
the app's client secret of method + URI + body + ``X-HubSpot-Request-Timestamp`` (milliseconds), the URI with
twelve percent-escapes decoded (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B; HubSpot's page lists them,
the SDK leaves the decoding to its caller) while the request arrives escaped. Window: 300 seconds, as
HubSpot's documentation; its SDK checks only the past (a timestamp from the future passes it), we refuse both
ways. A request is a batch: one element per event."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable

import pytest
from hubspot.exceptions import InvalidSignatureTimestampError  # type: ignore[import-untyped]
from hubspot.utils.signature import Signature  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import (
    HOST,
    answer,
    describe,
    frozen_datetime,
    refused,
    url_for,
    verify,
    webhook_request,
)

CLIENT_SECRET = "hubspot-demo-client-secret-0000-000000000000"  # events/hubspot/demo-secret.json
SECRET = {"signing_secrets": [CLIENT_SECRET]}
BODY = json.dumps(
    [
        {"eventId": 3816279340, "subscriptionId": 25, "portalId": 33, "appId": 1160452,
         "occurredAt": 1462216307945, "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
         "objectId": 1246965, "propertyName": "lifecyclestage", "propertyValue": "subscriber"},
        {"eventId": 1839372339, "subscriptionId": 22, "portalId": 33, "appId": 1160452,
         "occurredAt": 1462216307945, "subscriptionType": "contact.creation", "attemptNumber": 0,
         "objectId": 1246978, "changeSource": "IMPORT"},
    ],
    separators=(",", ":"),
).encode()  # fmt: skip
AT_MS = 1_773_153_901_000
ESCAPED = "email=a%40b.com&all=%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B&kept=a%20b%26c"
DECODED = "email=a@b.com&all=:/?@!$'()*,;&kept=a%20b%26c"  # what HubSpot signs: %20 and %26 stay


def hubspot_headers(uri: str, at_ms: int, secret: str = CLIENT_SECRET, body: bytes = BODY) -> dict[str, str]:
    """As HubSpot signs: the SDK's own Signature.get_signature, v3, over the decoded URI."""
    signature = Signature.get_signature(secret, body.decode(), "v3", uri, "POST", str(at_ms))
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(at_ms)}


def sdk_accepts(headers: dict[str, str], uri: str) -> bool:
    return bool(
        Signature.is_valid(
            signature=headers["X-HubSpot-Signature-v3"],
            client_secret=CLIENT_SECRET,
            request_body=BODY.decode(),
            http_uri=uri,
            signature_version="v3",
            timestamp=headers["X-HubSpot-Request-Timestamp"],
        )
    )


@pytest.fixture
def sdk_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The SDK's clock, set by the test (it reads ``datetime.now`` from its module)."""

    return lambda now: monkeypatch.setattr(
        importlib.import_module("hubspot.utils.signature"), "datetime", frozen_datetime(now)
    )


def test_what_hubspot_signs_is_accepted_and_a_batch_is_two_elements() -> None:
    headers = hubspot_headers(url_for("hubspot"), int(time.time() * 1000))
    assert sdk_accepts(headers, url_for("hubspot"))
    assert verify("hubspot", SECRET, webhook_request("hubspot", headers, BODY)) == "hmac-sha256"
    found = answer("hubspot", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    elements = describe("hubspot", webhook_request("hubspot", headers, BODY)).elements
    assert [(e.event_type, e.event_id, e.subject) for e in elements] == [
        ("contact.propertyChange", "3816279340", "1246965"),
        ("contact.creation", "1839372339", "1246978"),
    ]


def test_hubspot_signs_the_decoded_uri_of_a_request_that_arrives_escaped() -> None:
    headers = hubspot_headers(url_for("hubspot", DECODED), int(time.time() * 1000))
    found = answer("hubspot", SECRET, headers, BODY, url=url_for("hubspot", ESCAPED))
    assert (found.status, found.json()["status"]) == (200, "accepted")
    escaped_signature = hubspot_headers(url_for("hubspot", ESCAPED), int(time.time() * 1000))
    assert refused(answer("hubspot", SECRET, escaped_signature, BODY, url=url_for("hubspot", ESCAPED)))


def test_what_our_definition_signs_is_accepted_by_hubspots_sdk() -> None:
    at = int(time.time())
    made = providers.load("hubspot").sign(
        SubscriptionSecret.model_validate(SECRET), BODY, at, url_for("hubspot", ESCAPED)
    )
    assert made.body is None
    assert made.headers["X-HubSpot-Request-Timestamp"] == str(at * 1000)
    assert sdk_accepts(dict(made.headers), f"https://{HOST}/webhooks/hubspot/demo?{DECODED}")


@pytest.mark.parametrize(("offset", "within"), [(-301, False), (-300, True), (300, True), (301, False)])
def test_the_window_is_300_seconds_either_way(offset: int, within: bool) -> None:
    request = webhook_request("hubspot", hubspot_headers(url_for("hubspot"), AT_MS), BODY)
    if within:
        assert verify("hubspot", SECRET, request, now=AT_MS / 1000 + offset) == "hmac-sha256"
    else:
        with pytest.raises(Unauthorized):
            verify("hubspot", SECRET, request, now=AT_MS / 1000 + offset)


@pytest.mark.parametrize(("age", "within"), [(300, False), (299, True), (-301, True), (-3600, True)])
def test_hubspots_sdk_checks_only_the_past_under_300_seconds(
    sdk_now: Callable[[float], None], age: int, within: bool
) -> None:
    """HubSpot's SDK refuses a timestamp 300 s old or older (its `<`, where ours allows exactly 300) and
    accepts any from the future, which we refuse beyond 300 s."""
    headers = hubspot_headers(url_for("hubspot"), AT_MS)
    sdk_now(AT_MS / 1000 + age)  # the timestamp signed `age` seconds ago (negative: ahead)
    if within:
        assert sdk_accepts(headers, url_for("hubspot"))
    else:
        with pytest.raises(InvalidSignatureTimestampError):
            sdk_accepts(headers, url_for("hubspot"))


def test_the_docs_v1_and_v2_vectors_are_another_scheme_version_and_not_accepted() -> None:
    docs_secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
    v1_body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
        b'"changeFlag":"NEW","appId":54321}]'
    )
    v1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    assert Signature.get_signature(docs_secret, v1_body.decode(), "v1") == v1
    v2 = Signature.get_signature(
        docs_secret, '{"example_field":"example_value"}', "v2", "https://www.example.com/webhook_uri", "POST"
    )
    assert v2 == "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
    headers = {"X-HubSpot-Signature": v1, "X-HubSpot-Signature-Version": "v1"}
    assert refused(answer("hubspot", {"signing_secrets": [docs_secret]}, headers, v1_body))


@pytest.mark.parametrize(
    "variant",
    [
        "other secret",
        "tampered body",
        "timestamp changed",
        "other url",
        "stale",
        "from the future",
        "no signature",
    ],
)
def test_forged_tampered_and_stale_requests_are_refused_with_401(variant: str) -> None:
    now_ms, body, uri = int(time.time() * 1000), BODY, url_for("hubspot")
    headers = hubspot_headers(uri, now_ms, "guessed" if variant == "other secret" else CLIENT_SECRET)
    if variant == "tampered body":
        body = BODY.replace(b"subscriber", b"customer")
    elif variant == "timestamp changed":
        headers["X-HubSpot-Request-Timestamp"] = str(now_ms - 1)
    elif variant == "other url":
        headers = hubspot_headers(uri.replace("/demo", "/other"), now_ms)
    elif variant in ("stale", "from the future"):
        headers = hubspot_headers(uri, now_ms + (-400_000 if variant == "stale" else 400_000))
    elif variant == "no signature":
        del headers["X-HubSpot-Signature-v3"]
    assert refused(answer("hubspot", SECRET, headers, body))
