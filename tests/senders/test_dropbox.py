"""Dropbox, against its documentation: Dropbox's Python SDK (dropbox-sdk-python) has no module that checks a
webhook, and its page publishes no worked example with a secret. "Webhooks" (developers/reference/webhooks)
states the scheme, computed here independently of our definition: ``X-Dropbox-Signature`` = hex
HMAC-SHA256 of the entire request body with the app secret. Adding the URI sends one unsigned ``GET
?challenge=``: the challenge echoed as the body with ``Content-Type: text/plain`` and
``X-Content-Type-Options: nosniff``, never stored. A notification names only the accounts that changed: no
id, no time, and the next change to the same accounts is the same body."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

APP_SECRET = "dropbox_demo_app_secret"
SECRET = {"signing_secrets": [APP_SECRET]}
BODY = json.dumps(
    {"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345]}}
).encode()
CHALLENGE = "pI1UCqTiHMUhgkcx0e2fg8FUq7YdtNcxzJOs1Efl3ZI"


def dropbox_headers(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"X-Dropbox-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_a_notification_is_accepted_stored_and_described() -> None:
    headers = dropbox_headers(BODY)
    assert verify("dropbox", SECRET, webhook_request("dropbox", headers, BODY)) == "hmac-sha256"
    found = answer("dropbox", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    assert describe("dropbox", webhook_request("dropbox", headers, BODY)).event_type == "list_folder"


def test_the_challenge_is_echoed_as_plain_text_with_nosniff_and_never_stored() -> None:
    found = answer("dropbox", SECRET, {}, b"", url=url_for("dropbox", f"challenge={CHALLENGE}"), method="GET")
    assert (found.status, found.content_type, found.body, found.stored) == (200, "text/plain", CHALLENGE, [])
    assert found.headers is not None
    assert found.headers["X-Content-Type-Options"] == "nosniff"


def test_a_challenge_never_answers_with_the_secret_nor_as_html() -> None:
    """Dropbox signs no challenge, so anyone may send one: the answer is the request's value alone, as text
    a browser does not run, and nothing is stored or refused-counted as a webhook."""
    script = "<script>alert(1)</script>"
    found = answer("dropbox", SECRET, {}, b"", url=url_for("dropbox", f"challenge={script}"), method="GET")
    assert (found.status, found.content_type, found.body, found.stored) == (200, "text/plain", script, [])
    assert APP_SECRET not in found.body


def test_a_get_without_a_challenge_is_refused_and_one_to_no_subscription_is_not_found() -> None:
    found = answer("dropbox", SECRET, {}, b"", method="GET")
    assert (found.status, found.stored) == (401, [])
    elsewhere = url_for("dropbox", f"challenge={CHALLENGE}").replace("/demo?", "/other?")
    missing = answer("dropbox", SECRET, {}, b"", url=elsewhere, method="GET")
    assert (missing.status, CHALLENGE in missing.body) == (404, False)


def test_a_repeated_notification_is_a_duplicate_only_within_a_second() -> None:
    """The next change to the same accounts is the same body: identical content is a duplicate for 1 s."""
    from hookbridge import providers

    assert providers.load("dropbox").dedupe_window_seconds == 1


@pytest.mark.parametrize("variant", ["tampered body", "other secret", "no signature", "base64", "sha1"])
def test_forged_and_tampered_requests_are_refused_with_401(variant: str) -> None:
    headers, body = dropbox_headers(BODY), BODY
    if variant == "tampered body":
        body = BODY.replace(b"12345", b"12346")
    elif variant == "other secret":
        headers = dropbox_headers(BODY, "guessed")
    elif variant == "no signature":
        headers = {}
    elif variant == "base64":
        import base64

        digest = hmac.new(APP_SECRET.encode(), BODY, hashlib.sha256).digest()
        headers["X-Dropbox-Signature"] = base64.b64encode(digest).decode()
    else:
        headers["X-Dropbox-Signature"] = hmac.new(APP_SECRET.encode(), BODY, hashlib.sha1).hexdigest()
    assert refused(answer("dropbox", SECRET, headers, body))
