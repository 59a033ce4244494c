"""Postmark, against its documentation and the HTTP client library that does what it describes: Postmark
signs nothing; its page "Protecting your webhook" has the webhook URL carry basic auth,
``https://<username>:<password>@example.com/webhook``. requests 2.34 (``PreparedRequest``) turns such a URL
into the Authorization header a client sends, as RFC 7617 says: that header must pass with the
subscription's ``basic_auth``, and nothing else. Postmark sends no event id: a redelivery is a duplicate of
its content."""

from __future__ import annotations

import pytest
import requests

from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

SECRET = {"basic_auth": [{"username": "postmark-demo", "password": "postmark_demo_webhook_password"}]}
BODY = load_event("postmark", "Bounce")["body"].encode()


def as_postmark_sends(url_with_credentials: str, body: bytes) -> dict[str, str]:
    """The headers of a POST to the URL as registered at Postmark, credentials in it (requests' own
    handling of a URL's userinfo)."""
    prepared = requests.Request(
        "POST", url_with_credentials, data=body, headers={"Content-Type": "application/json"}
    ).prepare()
    return {k: v for k, v in prepared.headers.items() if k in ("Authorization", "Content-Type")}


def test_the_url_postmark_documents_carries_credentials_that_are_accepted_stored_and_described() -> None:
    headers = as_postmark_sends(
        "https://postmark-demo:postmark_demo_webhook_password@example.com/webhooks/postmark/demo", BODY
    )
    assert headers["Authorization"].startswith("Basic ")
    assert verify("postmark", SECRET, webhook_request("postmark", headers, BODY)) == "basic-auth"
    found = answer("postmark", SECRET, headers, BODY)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("postmark", webhook_request("postmark", headers, BODY))
    assert (described.event_type, described.event_id, described.subject, described.occurred_at) == (
        "Bounce",
        None,
        "883953f4-6105-42a2-a16a-77a8eac79483",
        "2026-03-10T14:44:50Z",
    )


def test_a_password_with_reserved_characters_is_percent_encoded_in_the_url_and_still_matches() -> None:
    secret = {"basic_auth": [{"username": "hooks", "password": "p@ss:w/rd"}]}
    headers = as_postmark_sends("https://hooks:p%40ss%3Aw%2Frd@example.com/webhooks/postmark/demo", BODY)
    assert answer("postmark", secret, headers, BODY).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://postmark-demo:guessed@example.com/webhooks/postmark/demo",
        "https://someone:postmark_demo_webhook_password@example.com/webhooks/postmark/demo",
        "https://example.com/webhooks/postmark/demo",
    ],
    ids=["wrong password", "wrong user", "no credentials"],
)
def test_wrong_or_missing_credentials_are_refused_with_401(url: str) -> None:
    assert refused(answer("postmark", SECRET, as_postmark_sends(url, BODY), BODY))


def test_a_redelivered_event_is_a_duplicate_of_its_content() -> None:
    headers = as_postmark_sends(
        "https://postmark-demo:postmark_demo_webhook_password@example.com/webhooks/postmark/demo", BODY
    )
    described = describe("postmark", webhook_request("postmark", headers, BODY))
    assert described.event_id is None  # no id: the pipeline identifies it by the body's digest


@pytest.mark.parametrize("sample", sample_names("postmark"))
def test_the_shipped_samples_carry_the_demo_credentials(sample: str) -> None:
    event, secret = load_event("postmark", sample), demo_secret("postmark")
    user = secret["basic_auth"][0]
    expected = as_postmark_sends(
        f"https://{user['username']}:{user['password']}@example.com/webhooks/postmark/demo", b""
    )["Authorization"]
    assert event["headers"]["authorization"] == expected
    request = webhook_request("postmark", event["headers"], event["body"].encode())
    assert verify("postmark", secret, request) == "basic-auth"
