"""Adyen standard notification webhooks, against its own SDK: Adyen 16.0.0 (``Adyen.util``:
``generate_notification_sig`` and ``is_valid_hmac_notification``) is the judge, with the vectors of its tests
and documentation. Each NotificationRequestItem carries ``additionalData.hmacSignature``, base64 HMAC-SHA256
with the webhook's hex HMAC key of pspReference, originalReference, merchantAccountCode, merchantReference,
amount value and currency, eventCode and success joined by ":" (absent: empty). Every item must verify (the
SDK's is_valid_hmac_notification checks the first only). No timestamp is signed, so there is no window: a
replay is a duplicate. Adyen wants 200 ``[accepted]``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from Adyen.util import generate_notification_sig, is_valid_hmac_notification  # type: ignore[import-untyped]

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.subscription import SubscriptionSecret
from tests.support import senders
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, describe, refused, verify, webhook_request

KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"  # Adyen's docs and test_util.py
SECRET = {"signing_secrets": [KEY]}
DOCS_ITEM = {  # originalReference absent: signed as ""
    "pspReference": "7914073381342284",
    "merchantReference": "TestPayment-1407325143704",
    "merchantAccountCode": "TestMerchant",
    "amount": {"currency": "EUR", "value": 1130},
    "eventCode": "AUTHORISATION",
    "eventDate": "2019-05-06T17:15:34.121+02:00",
    "success": "true",
}
CAPTURE = DOCS_ITEM | {"pspReference": "QFQTPCQ8HXSKGK82", "originalReference": "7914073381342284"}
CAPTURE |= {"eventCode": "CAPTURE"}
KEY_2 = "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174"  # test/mocks/util/*.json
COLON = {
    "pspReference": "M8NB66SBZSGLNK82",
    "merchantAccountCode": "AntoniStroinski",
    "merchantReference": ":slashes are fun",
    "amount": {"currency": "EUR", "value": 1000},
    "eventCode": "AUTHORISATION",
    "success": "true",
    "additionalData": {"hmacSignature": "2EQYm7YJpKO4EtHSPu55SQTyWf8dkW5u2nD1tJFpViA="},
}
BACKSLASH = COLON | {"pspReference": "T7FD4VM4D3RZNN82", "merchantReference": "\\\\slashes are fun"}
BACKSLASH |= {"additionalData": {"hmacSignature": "nIgT81gaB5oJpn2jPXupDq68iRo2wUlBsuYjtYfwKqo="}}


def signed(item: dict[str, Any], key: str = KEY) -> dict[str, Any]:
    """The item as Adyen sends it: its signature by the SDK's own generate_notification_sig."""
    return item | {"additionalData": {"hmacSignature": generate_notification_sig(item, key).decode()}}


def notification(*items: dict[str, Any]) -> bytes:
    return json.dumps(
        {"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]}
    ).encode()


def test_what_adyen_signs_is_accepted_with_its_answer_and_each_item_described() -> None:
    body = notification(signed(DOCS_ITEM), signed(CAPTURE))
    assert verify("adyen", SECRET, webhook_request("adyen", {}, body)) == "hmac-sha256"
    found = answer("adyen", SECRET, {"Content-Type": "application/json"}, body)
    assert (found.status, found.content_type, found.body, len(found.stored)) == (
        200,
        "text/plain",
        "[accepted]",
        1,
    )
    elements = describe("adyen", webhook_request("adyen", {}, body)).elements
    assert [(e.event_type, e.event_id, e.subject) for e in elements] == [
        ("AUTHORISATION", "7914073381342284:AUTHORISATION:true", "7914073381342284"),
        ("CAPTURE", "QFQTPCQ8HXSKGK82:CAPTURE:true", "QFQTPCQ8HXSKGK82"),
    ]
    assert elements[1].extra["original_reference"] == "7914073381342284"


def test_the_docs_vector_signs_an_absent_original_reference_as_empty() -> None:
    expected = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="
    assert generate_notification_sig(DOCS_ITEM, KEY).decode() == expected
    text = b"7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"
    assert base64.b64encode(hmac.new(bytes.fromhex(KEY), text, hashlib.sha256).digest()).decode() == expected
    body = notification(DOCS_ITEM | {"additionalData": {"hmacSignature": expected}})
    assert verify("adyen", SECRET, webhook_request("adyen", {}, body)) == "hmac-sha256"


@pytest.mark.parametrize("item", [COLON, BACKSLASH], ids=["colon", "backslashes"])
def test_adyens_real_items_with_a_colon_or_backslashes_verify_unescaped(item: dict[str, Any]) -> None:
    assert is_valid_hmac_notification(item, KEY_2)
    body = notification(item)
    assert verify("adyen", {"signing_secrets": [KEY_2]}, webhook_request("adyen", {}, body)) == "hmac-sha256"


def test_what_our_definition_signs_is_accepted_by_adyens_verifier_item_by_item() -> None:
    body = notification(DOCS_ITEM, CAPTURE, BACKSLASH | {"additionalData": {}})
    made = providers.load("adyen").sign(SubscriptionSecret.model_validate(SECRET), body, 1_773_153_901)
    assert made.body is not None
    assert dict(made.headers) == {}
    items = [w["NotificationRequestItem"] for w in json.loads(made.body)["notificationItems"]]
    assert len(items) == 3
    assert all(is_valid_hmac_notification(item, KEY) for item in items)


def test_a_genuine_first_item_does_not_carry_a_forged_second_although_the_sdk_says_valid() -> None:
    forged = signed(CAPTURE, KEY_2)  # a key that is not the webhook's
    body = notification(signed(DOCS_ITEM), forged)
    # Adyen's own check reads notificationItems[0] only:
    assert is_valid_hmac_notification(json.loads(body), KEY) is True
    assert is_valid_hmac_notification(forged, KEY) is False
    assert refused(answer("adyen", SECRET, {}, body))


def test_success_as_a_json_boolean_is_not_the_string_adyen_signed() -> None:
    genuine = signed(DOCS_ITEM)
    changed = genuine | {"success": True}  # "true" -> true: Adyen's SDK signs it as "True"
    assert is_valid_hmac_notification(changed, KEY) is False
    found = answer("adyen", SECRET, {}, notification(changed))
    assert (found.status, found.body, len(found.stored)) == (401, '{"message":"Unauthorized"}', 0)


@pytest.mark.parametrize(
    "variant", ["other key", "amount changed", "event code changed", "reference added", "no signature"]
)
def test_forged_and_tampered_items_are_refused_with_401(variant: str) -> None:
    item = signed(DOCS_ITEM, KEY_2 if variant == "other key" else KEY)
    if variant == "amount changed":
        item["amount"] = {"currency": "EUR", "value": 11300}
    elif variant == "event code changed":
        item["eventCode"] = "REFUND"
    elif variant == "reference added":
        item["originalReference"] = "7914073381342284"
    elif variant == "no signature":
        del item["additionalData"]
    assert refused(answer("adyen", SECRET, {}, notification(item)))


def test_no_window_a_years_old_item_verifies_and_its_replay_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = notification(signed(DOCS_ITEM))
    request = webhook_request("adyen", {}, body)
    assert verify("adyen", SECRET, request, now=1557155734 + 10 * 365 * 86400) == "hmac-sha256"
    with pytest.raises(Unauthorized):
        verify("adyen", {"signing_secrets": [KEY_2]}, request, now=1557155734)
    store = MemoryStore()  # one table for both deliveries (answer() builds a fresh one per call)
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    first, replay = answer("adyen", SECRET, {}, body), answer("adyen", SECRET, {}, body)
    assert (first.body, replay.body) == ("[accepted]", "[accepted]")  # Adyen's answer to a duplicate too
    assert len(store.events) == 2
    assert store.events[0].dedupe_key == store.events[1].dedupe_key
    assert len(store.items) == 1  # the replay met the first delivery's dedupe key: a duplicate
