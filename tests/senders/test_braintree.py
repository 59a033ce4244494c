"""Braintree, against its own Python library (``braintree`` on PyPI, the dev group):
``WebhookTesting.sample_notification`` makes genuine ``bt_signature``/``bt_payload`` pairs, which verify
here; ``WebhookNotification.parse`` accepts what our signer makes; and our answer to ``GET ?bt_challenge=``
equals ``webhook_notification.verify(challenge)``.

The challenge answer is a signing oracle (a keyed HMAC of whatever is asked): it is answered only for
Braintree's shape of challenge (20 to 32 lowercase hex digits), and a ``bt_payload`` of that shape is
refused however it is signed; an attacker holding an answer cannot turn it into an accepted notification.
A notification has no id: it is identified by its payload as signed, so a resend, or one rewrapped with its
signature pairs reordered or extended, is a duplicate, and one re-timed without the key is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import braintree  # type: ignore[import-untyped]
import pytest

from hookbridge import providers
from hookbridge.providers import braintree as ours
from hookbridge.providers.bodies import published
from hookbridge.subscription import SubscriptionSecret
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, refused, url_for

PUBLIC_KEY = "bt_demo_public_key"
PRIVATE_KEY = "bt_demo_private_key_0123456789"
SECRET = {"signing_secrets": [PRIVATE_KEY], "public_keys": [PUBLIC_KEY]}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def gateway(public: str = PUBLIC_KEY, private: str = PRIVATE_KEY) -> Any:
    config = braintree.Configuration(
        environment=braintree.Environment.Sandbox,
        merchant_id="hookbridge_merchant",
        public_key=public,
        private_key=private,
    )
    return braintree.BraintreeGateway(config)


def sample(kind: str, entity_id: str = "my_id", **keys: str) -> dict[str, Any]:
    made: dict[str, Any] = gateway(**keys).webhook_testing.sample_notification(kind, entity_id)
    return made


def form(fields: dict[str, Any]) -> bytes:
    return urlencode(fields).encode()


def hmac_hex(private: str, message: bytes) -> str:
    key = hashlib.sha1(private.encode()).digest()  # noqa: S324 - Braintree's key derivation
    return hmac.new(key, message, hashlib.sha1).hexdigest()


def signed(xml: bytes, private: str = PRIVATE_KEY, public: str = PUBLIC_KEY) -> bytes:
    payload = base64.encodebytes(xml)
    return form({"bt_signature": f"{public}|{hmac_hex(private, payload)}", "bt_payload": payload})


def notification_xml(kind: str = "check", when: float | None = None) -> bytes:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if when is None else when))
    return (
        f'<notification><timestamp type="datetime">{stamp}</timestamp><kind>{kind}</kind>'
        "<subject><check type='boolean'>true</check></subject></notification>"
    ).encode()


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("subscription_charged_successfully", "my_id"),
        ("disbursement", "my_id"),
        ("dispute_opened", "my_id"),
        ("transaction_settled", "my_id"),
        ("check", None),
    ],
)
def test_braintrees_own_sample_notifications_verify_and_are_stored_by_kind(
    kind: str, subject: str | None
) -> None:
    found = answer("braintree", SECRET, FORM, form(sample(kind)))
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    [stored] = found.stored
    assert (stored.event_type, stored.verified_by) == (kind, "hmac-sha1")
    assert stored.subject == subject


def test_our_signer_is_accepted_by_braintrees_parse() -> None:
    provider = providers.load("braintree")
    secret = SubscriptionSecret.model_validate(SECRET)
    xml = base64.decodebytes(sample("subscription_went_past_due")["bt_payload"])
    credentials = provider.sign(secret, xml, int(time.time()))
    assert credentials.body is not None
    fields = dict(parse_qsl(credentials.body.decode()))
    parsed = gateway().webhook_notification.parse(fields["bt_signature"], fields["bt_payload"])
    assert (parsed.kind, parsed.subscription.id) == ("subscription_went_past_due", "my_id")
    # And a sample's form is re-dated and re-signed the same way (hookbridge send, the events/ samples).
    again = provider.sign(secret, form(sample("check")), int(time.time()))
    assert again.body is not None
    fields = dict(parse_qsl(again.body.decode()))
    assert gateway().webhook_notification.parse(fields["bt_signature"], fields["bt_payload"]).kind == "check"
    assert answer("braintree", SECRET, FORM, again.body).status == 200


@pytest.mark.parametrize("challenge", ["20f9f8ed05f77439fe955c977e4c8a53", "0123456789abcdef0123"])
def test_the_challenge_answer_equals_braintrees_verify(challenge: str) -> None:
    found = answer(
        "braintree", SECRET, {}, b"", url=url_for("braintree", f"bt_challenge={challenge}"), method="GET"
    )
    expected = gateway().webhook_notification.verify(challenge)
    assert (found.status, found.content_type, found.body, found.stored) == (200, "text/plain", expected, [])


@pytest.mark.parametrize(
    "challenge",
    ["", "ABCDEF0123456789ABCD", "0123456789abcdef012", "0" * 33, "<script>x</script>", "a" * 20 + "\n"],
)
def test_a_challenge_of_any_other_shape_is_refused_and_signs_nothing(challenge: str) -> None:
    url = url_for("braintree", urlencode({"bt_challenge": challenge}))
    found = answer("braintree", SECRET, {}, b"", url=url, method="GET")
    assert (found.status, found.stored) == (401, [])
    assert PUBLIC_KEY not in found.body


@pytest.mark.parametrize("newline", ["", "\n"])
def test_a_challenge_answer_cannot_be_turned_into_an_accepted_notification(newline: str) -> None:
    """The attacker asks for the answer to a challenge of their choosing and posts it as a signature over
    a payload that is that challenge: the HMAC matches, and the payload's shape is refused still."""
    challenge = "deadbeefcafe0123456789abcdef0123"
    url = url_for("braintree", f"bt_challenge={challenge}")
    oracle = answer("braintree", SECRET, {}, b"", url=url, method="GET")
    assert oracle.status == 200
    body = form({"bt_signature": oracle.body, "bt_payload": challenge + newline})
    assert refused(answer("braintree", SECRET, FORM, body))
    # Nor does its answer sign anything else: a notification is never of a challenge's shape.
    other = form({"bt_signature": oracle.body, "bt_payload": base64.encodebytes(notification_xml())})
    assert refused(answer("braintree", SECRET, FORM, other))


def test_a_resent_or_rewrapped_notification_is_a_duplicate_never_published_twice() -> None:
    genuine = sample("subscription_charged_successfully")
    first = answer_many(
        [
            form(genuine),
            form(genuine),  # Braintree's retry: the same payload
            form({"bt_payload": genuine["bt_payload"], "bt_signature": genuine["bt_signature"]}),  # reordered
            form({**genuine, "bt_signature": f"other|{'0' * 40}&{genuine['bt_signature']}"}),  # a pair added
            form({**genuine, "bt_signature": genuine["bt_signature"] + "&"}),
            form({**genuine, "bt_payload": genuine["bt_payload"].rstrip(b"\n")}),  # signed with its newline
            form(genuine) + b"&utm=1",  # a field no one signs
        ]
    )
    assert [status for status, _ in first] == ["accepted"] + ["duplicate"] * 6
    assert len({event_id for _, event_id in first}) == 1


def answer_many(bodies: list[bytes]) -> list[tuple[str, str]]:
    """Each body through one ingest handler with one store, in order: (status, stored id)."""
    store = MemoryStore()
    found = [answer("braintree", SECRET, FORM, body, store=store).json() for body in bodies]
    return [(row["status"], row["id"]) for row in found]


@pytest.mark.parametrize(
    "variant",
    [
        "payload changed",
        "re-timed",
        "other private key",
        "other public key",
        "no signature",
        "second payload",
        "sha256",
        "too old",
        "ahead",
        "doctype",
        "not a notification",
        "non-ascii signature",
        "non-ascii payload",
    ],
)
def test_forged_tampered_and_stale_notifications_are_refused_with_401(variant: str) -> None:
    genuine = sample("disbursement")
    body = form(genuine)
    if variant == "payload changed":
        xml = base64.decodebytes(genuine["bt_payload"]).replace(b"my_id", b"your_id")
        body = form({**genuine, "bt_payload": base64.encodebytes(xml)})
    elif variant == "re-timed":
        xml = notification_xml("disbursement", time.time() - 60)
        body = form({**genuine, "bt_payload": base64.encodebytes(xml)})
    elif variant == "other private key":
        body = form(sample("disbursement", private="guessed"))
    elif variant == "other public key":
        body = form(sample("disbursement", public="someone_else"))
    elif variant == "no signature":
        body = form({"bt_payload": genuine["bt_payload"]})
    elif variant == "second payload":
        body = (
            form(genuine) + b"&" + form({"bt_payload": base64.encodebytes(notification_xml("dispute_won"))})
        )
    elif variant == "sha256":
        sha256 = hmac.new(
            hashlib.sha256(PRIVATE_KEY.encode()).digest(), genuine["bt_payload"], hashlib.sha256
        )
        body = form({**genuine, "bt_signature": f"{PUBLIC_KEY}|{sha256.hexdigest()}"})
    elif variant == "too old":
        body = signed(notification_xml(when=time.time() - 25 * 3600 - 60))
    elif variant == "ahead":
        body = signed(notification_xml(when=time.time() + 600))
    elif variant == "doctype":
        laughs = b'<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        body = signed(laughs + notification_xml().replace(b"<kind>check", b"<kind>&b;check"))
    elif variant == "non-ascii signature":
        body = form({**genuine, "bt_signature": f"{PUBLIC_KEY}|\u00e9"})
    elif variant == "non-ascii payload":
        body = form({**genuine, "bt_payload": "\u00e9"})
    else:
        body = signed(b"<html><timestamp>2026-01-01T00:00:00Z</timestamp></html>")
    assert refused(answer("braintree", SECRET, FORM, body))


def test_a_notification_posted_as_anything_but_a_form_is_refused() -> None:
    body = form(sample("check"))
    for headers in ({}, {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}):
        assert refused(answer("braintree", SECRET, headers, body))


def test_a_subscription_whose_keys_do_not_pair_up_refuses_everything() -> None:
    body = form(sample("check"))
    for broken in ({"signing_secrets": [PRIVATE_KEY]}, {"signing_secrets": [PRIVATE_KEY], "public_keys": []}):
        assert refused(answer("braintree", broken, FORM, body))
    # Each pair is checked with its own key: the private key of another position never signs for this one.
    swapped = {"signing_secrets": ["new_private", PRIVATE_KEY], "public_keys": [PUBLIC_KEY, "older_public"]}
    assert refused(answer("braintree", swapped, FORM, body))
    rotated = {"signing_secrets": ["new_private", PRIVATE_KEY], "public_keys": ["new_public", PUBLIC_KEY]}
    assert answer("braintree", rotated, FORM, body).status == 200


def test_the_published_payload_is_bt_payload_never_the_signature() -> None:
    genuine = sample("check")
    text = published(form(genuine), "bt_payload")
    assert text is not None
    assert genuine["bt_signature"].split("|")[1] not in text
    assert "raw" in text


def test_xml_is_read_only_after_the_signature_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[bytes] = []
    monkeypatch.setattr(ours, "read_notification", lambda payload: read.append(payload))
    genuine = sample("check")
    assert refused(
        answer("braintree", SECRET, FORM, form({**genuine, "bt_signature": f"{PUBLIC_KEY}|{'0' * 40}"}))
    )
    assert read == []
