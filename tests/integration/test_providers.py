"""Every provider, every sample: stored once, published once to a consumer rule, in the envelope; a
handshake answered as its sender requires and never stored; a batch published as one event per element.

What each sample must produce is written out here from the senders' documentation, not derived from the
definitions under test."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest

from hookbridge import providers
from hookbridge.providers.bodies import WITHHELD
from tests.support.events import demo_secret, sample_names, signed
from tests.support.stack import PREFIX, Handler, Stack

HANDSHAKES = {
    ("slack", "url_verification"),
    ("discord", "ping"),
    ("intercom", "ping"),
    ("zoom", "endpoint.url_validation"),
    ("twitch", "webhook_callback_verification"),
    ("meta", "subscribe"),
    ("line", "verify"),  # LINE's Verify button: an empty batch, answered and never stored
    ("dropbox", "challenge"),  # an unsigned GET ?challenge=, echoed
    ("trello", "head"),  # an unsigned HEAD when the webhook is created
    ("okta", "verification"),  # a GET carrying the hook's Authorization header
    ("monday", "url_verification"),  # {"challenge": c} with the app's JWT, echoed as the same JSON
    ("braintree", "bt_challenge"),  # an unsigned GET ?bt_challenge=, answered with the key pair's HMAC
    ("microsoft-graph", "validation"),  # an unproven bodiless POST ?validationToken=, echoed
}
# Handshakes the sender proves nothing of: answered from the request alone (no forged variant to refuse).
UNPROVEN = {
    ("dropbox", "challenge"),
    ("trello", "head"),
    ("braintree", "bt_challenge"),
    ("microsoft-graph", "validation"),
}
# Handshakes that hand the signing secret over: answered only while awaited (tests/senders/test_asana.py).
LEARNING = {("asana", "hook_secret"), ("notion", "verification")}
_ALL_SAMPLES = [
    (p, n) for p in providers.names() for n in sample_names(p) if (p, n) not in HANDSHAKES | LEARNING
]
# The quick run stores and publishes each sender's first sample; every other sample is in the slow set.
SAMPLES = [
    pytest.param(p, n, marks=pytest.mark.slow) if any(q == p for q, _ in _ALL_SAMPLES[:i]) else (p, n)
    for i, (p, n) in enumerate(_ALL_SAMPLES)
]
# Zinc publishes its deprecated URL names under the current ones.
PUBLISHED_AS = {"order_placed": "request_succeeded", "order_failed": "request_failed"}
# What a request of several events is published as: (detail-type, the element's place in the body).
BATCHES: dict[tuple[str, str], list[tuple[str, tuple[str | int, ...]]]] = {
    ("sendgrid", "batch"): [("processed", (0,)), ("deferred", (1,)), ("delivered", (2,))],
    ("sendgrid", "dropped"): [("dropped", (0,))],
    ("hubspot", "batch"): [("contact.propertyChange", (0,)), ("contact.creation", (1,))],
    ("hubspot", "contact.creation"): [("contact.creation", (0,))],
    ("adyen", "batch"): [
        ("CAPTURE", ("notificationItems", 0, "NotificationRequestItem")),
        ("REFUND", ("notificationItems", 1, "NotificationRequestItem")),
    ],
    ("adyen", "AUTHORISATION"): [("AUTHORISATION", ("notificationItems", 0, "NotificationRequestItem"))],
    ("meta", "messages"): [("messages", ("entry", 0, "changes", 0))],
    ("meta", "statuses"): [
        ("messages", ("entry", 0, "changes", 0)),
        ("messages", ("entry", 0, "changes", 1)),
    ],
    ("meta", "messenger_message"): [("message", ("entry", 0, "messaging", 0))],
    ("line", "batch"): [("follow", ("events", 0)), ("postback", ("events", 1))],
    ("line", "message"): [("message", ("events", 0))],
    ("okta", "batch"): [
        ("user.lifecycle.create", ("data", "events", 0)),
        ("group.user_membership.add", ("data", "events", 1)),
    ],
    ("okta", "user.session.start"): [("user.session.start", ("data", "events", 0))],
    ("asana", "task.changed"): [("task:changed", ("events", 0)), ("story:added", ("events", 1))],
    ("microsoft-graph", "created"): [("created", ("value", 0))],
    ("microsoft-graph", "reauthorizationRequired"): [("reauthorizationRequired", ("value", 0))],
}
# Senders that want an answer of their own shape to an accepted event: (status, content type, body).
ANSWERS = {
    "adyen": (200, "text/plain", "[accepted]"),
    "discord": (204, "application/json", ""),
    "twilio": (200, "text/xml", "<Response/>"),
}
# The event type of a sample named otherwise (a form's, a Twilio status's).
NAMED_BY_SAMPLE = {
    ("slack", "slash_command"): "/webhook-collect",
    # Types with a ":" (Bitbucket's, Jira's) name their samples with "_": a path stays a path.
    ("bitbucket", "repo_push"): "repo:push",
    ("bitbucket", "pullrequest_created"): "pullrequest:created",
    ("jira", "jira_issue_created"): "jira:issue_created",
    ("dropbox", "other_account"): "list_folder",  # a second notification, for another account
}


def published_data(provider: str, name: str, body: str) -> Any:
    """The JSON a consumer gets: the body; a form's fields; Slack interactivity's JSON field."""
    if provider in ("twilio", "plivo") or (provider, name) == ("slack", "slash_command"):
        return dict(parse_qsl(body, keep_blank_values=True))
    if provider == "braintree":  # its bt_payload, never its signature
        return {"raw": dict(parse_qsl(body))["bt_payload"]}
    if (provider, name) == ("slack", "block_actions"):
        return json.loads(dict(parse_qsl(body))["payload"])
    if provider == "microsoft-graph":  # each notification's clientState (the shared value) withheld
        return {
            **json.loads(body),
            "value": [n | {"clientState": WITHHELD} for n in json.loads(body)["value"]],
        }
    return json.loads(body)


def at(value: Any, pointer: tuple[str | int, ...]) -> Any:
    for step in pointer:
        value = value[step]
    return value


@pytest.mark.parametrize(("provider", "name"), SAMPLES)
def test_sample_is_stored_once_and_published_once(
    stack: Stack,
    ingest_function: Callable[[str], Handler],
    publisher_handler: Handler,
    invoke: Any,
    provider: str,
    name: str,
) -> None:
    stack.add_secret(provider, "demo", demo_secret(provider))
    handler = ingest_function(provider)
    event = signed(provider, name)

    first = invoke(handler, event)
    again = invoke(handler, event)
    [item] = stack.items()
    record_id = item["id"]["S"]
    if provider in ANSWERS:
        status, content_type, body = ANSWERS[provider]
        for answer in (first, again):
            assert (answer["statusCode"], answer["headers"]["Content-Type"], answer["body"]) == (
                status,
                content_type,
                body,
            )
    else:
        assert first["statusCode"] == 200, first
        assert json.loads(first["body"]) == {"status": "accepted", "id": record_id}
        assert json.loads(again["body"]) == {"status": "duplicate", "id": record_id}

    assert invoke(publisher_handler, stack.stream_event()) == {"batchItemFailures": []}
    messages = stack.bus_messages()
    data = published_data(provider, name, event["body"])
    expected = BATCHES.get((provider, name)) or [(NAMED_BY_SAMPLE.get((provider, name), name), ())]
    assert [m["detail-type"] for m in messages] == [PUBLISHED_AS.get(t, t) for t, _ in expected]
    for index, (message, (_, pointer)) in enumerate(zip(messages, expected, strict=True)):
        assert message["source"] == f"{PREFIX}.{provider}"
        assert message["detail"]["data"] == at(data, pointer)
        metadata = message["detail"]["metadata"]
        assert (metadata["provider"], metadata["subscription"]) == (provider, "demo")
        assert metadata["recognized"] is True
        if (provider, name) in BATCHES:
            assert metadata["id"] == f"{record_id}-{index}"
            assert (metadata["batch_id"], metadata["batch_index"]) == (record_id, str(index))
        else:
            assert metadata["id"] == record_id
    if (provider, name) in BATCHES:
        event_ids = [m["detail"]["metadata"]["event_id"] for m in messages]
        assert all(event_ids)
        assert len(set(event_ids)) == len(event_ids)


def _zoom_token(plain: str) -> str:
    key = demo_secret("zoom")["signing_secrets"][0].encode()
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()


# (status, content type, body) exactly as each sender's documentation requires.
HANDSHAKE_ANSWERS = {
    # Braintree's: {public_key}|hex HMAC-SHA1(SHA-1(private key), challenge), with the demo key pair.
    ("braintree", "bt_challenge"): (
        200,
        "text/plain",
        "bt_demo_public_key|0cb311a349b9dec4c51fc95aeef833e87921b511",
    ),
    ("slack", "url_verification"): (
        200,
        "text/plain",
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    ),
    ("discord", "ping"): (204, "application/json", ""),
    ("intercom", "ping"): (200, "application/json", ""),
    ("twitch", "webhook_callback_verification"): (200, "text/plain", "pogchamp-kappa-360noscope-vohiyo"),
    ("meta", "subscribe"): (200, "text/plain", "1158201444"),
    ("line", "verify"): (200, None, ""),  # LINE asks only for a 200
    ("dropbox", "challenge"): (200, "text/plain", "pI1UCqTiHMUhgkcx0e2fg8FUq7YdtNcxzJOs1Efl3ZI"),
    ("trello", "head"): (200, None, ""),  # Trello asks only for a 200
    ("okta", "verification"): (
        200,
        "application/json",
        '{"verification": "PhYyfDIJuWSt7cmg6pBhxHXqZrjcFKLV7WMd3yr7Xq0Z"}',
    ),
    ("monday", "url_verification"): (
        200,
        "application/json",
        '{"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    ),
    ("microsoft-graph", "validation"): (
        200,
        "text/plain",
        "Validation: Testing client application reachability for subscription Request-Id: "
        "9b6b4a35-8b3e-4e5d-9f0a-3c2d1e0f9a8b",
    ),
}


@pytest.mark.parametrize(("provider", "name"), sorted(HANDSHAKES))
def test_a_handshake_is_answered_as_the_sender_requires_and_never_stored(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, provider: str, name: str
) -> None:
    stack.add_secret(provider, "demo", demo_secret(provider))
    answer = invoke(ingest_function(provider), signed(provider, name))
    status, content_type = answer["statusCode"], answer["headers"].get("Content-Type")
    if provider == "zoom":
        assert (status, content_type) == (200, "application/json")
        plain = "qgg8vlvZRS6UYooatFL8Aw"
        assert json.loads(answer["body"]) == {"plainToken": plain, "encryptedToken": _zoom_token(plain)}
    else:
        assert (status, content_type, answer["body"]) == HANDSHAKE_ANSWERS[provider, name]
    assert stack.items() == []
    assert stack.bus_messages() == []


@pytest.mark.parametrize(("provider", "name"), sorted(HANDSHAKES - {("meta", "subscribe")} - UNPROVEN))
def test_a_forged_handshake_is_refused_and_answers_nothing(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, provider: str, name: str
) -> None:
    """A handshake is answered only once verified: a forged challenge learns nothing (Zoom's answer is an
    HMAC with the secret)."""
    stack.add_secret(provider, "demo", demo_secret(provider))
    event = signed(provider, name)
    if provider in ("okta", "monday"):  # a proof in the Authorization header (Okta's GET; monday's JWT)
        event["headers"]["authorization"] = "guessed"
    else:
        event["body"] = event["body"].replace('"', "'", 1) if provider != "discord" else event["body"] + " "
    answer = invoke(ingest_function(provider), event)
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"]) == {"message": "Unauthorized"}
    assert stack.items() == []


@pytest.mark.parametrize(("token", "status"), [("meta_demo_verify_token", 200), ("guessed", 403), ("", 403)])
def test_meta_subscribe_answers_only_the_verify_token_in_the_secret(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any, token: str, status: int
) -> None:
    stack.add_secret("meta", "demo", demo_secret("meta"))
    event = signed("meta", "subscribe")
    event["queryStringParameters"]["hub.verify_token"] = token
    event["rawQueryString"] = event["rawQueryString"].replace("meta_demo_verify_token", token)
    answer = invoke(ingest_function("meta"), event)
    assert answer["statusCode"] == status
    if status == 200:
        assert answer["body"] == "1158201444"
    else:
        assert "1158201444" not in answer["body"]
    assert stack.items() == []


def test_a_get_on_a_sender_without_a_get_handshake_is_not_found(
    stack: Stack, ingest_function: Callable[[str], Handler], invoke: Any
) -> None:
    stack.add_secret("slack", "demo", demo_secret("slack"))
    event = signed("slack", "app_mention")
    event["requestContext"]["http"]["method"] = "GET"
    answer = invoke(ingest_function("slack"), event)
    assert answer["statusCode"] in (404, 405)
    assert stack.items() == []
