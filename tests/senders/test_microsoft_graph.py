"""Microsoft Graph change notifications, against Microsoft's own published material: the documented
notification ("Change notification example", /graph/change-notifications-delivery-webhooks),
the lifecycle notification's documented structure (/graph/change-notifications-lifecycle-events) and the
notificationUrl validation (a POST ?validationToken=<url-encoded token> with no body, answered 200 text/plain
with the decoded token). Graph signs nothing: each notification's clientState must be one of the
subscription's signing_secrets. Microsoft's Python SDK (msgraph-sdk) has no changeNotificationCollection
model (it generates only what the API returns), so the documented payloads are the proof."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from hookbridge import providers
from hookbridge.errors import Unauthorized
from hookbridge.providers.coverage import claim_of
from hookbridge.subscription import SubscriptionSecret
from tests.support import senders
from tests.support.fakes import MemoryStore
from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

CLIENT_STATE = "secretClientValue"  # the documented example's
SECRET = {"signing_secrets": [CLIENT_STATE]}
# The documented change notification, verbatim but for its {placeholders}.
DOCS_NOTIFICATION: dict[str, Any] = {
    "id": "lsgTZMr9KwAAA",
    "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
    "subscriptionExpirationDateTime": "2016-03-19T22:11:09.952Z",
    "clientState": "secretClientValue",
    "changeType": "created",
    "resource": "users/a1b2@84bd8158-6d4d-4958-8b9f-9d6445542f95/messages/AAMkAGUAAA=",
    "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    "resourceData": {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": "Users/a1b2@84bd8158-6d4d-4958-8b9f-9d6445542f95/Messages/AAMkAGUAAA=",
        "@odata.etag": 'W/"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf"',
        "id": "AAMkAGUAAA=",
    },
}
# The documented lifecycle notification's structure: no resource, a lifecycleEvent in place of changeType.
DOCS_LIFECYCLE: dict[str, Any] = {
    "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
    "subscriptionExpirationDateTime": "2019-03-20T11:00:00.0000000Z",
    "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    "clientState": "secretClientValue",
    "lifecycleEvent": "reauthorizationRequired",
}
UPDATED = DOCS_NOTIFICATION | {"id": "lsgTZMr9KwAAB", "changeType": "updated"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
TOKEN = "Validation: Testing client application reachability for subscription Request-Id: 9b6b4a35-8b3e"


def batch(*items: dict[str, Any], indent: int | None = 2) -> bytes:
    return json.dumps({"value": list(items)}, indent=indent).encode()


def validation_url(token: str) -> str:
    return url_for("microsoft-graph", "validationToken=" + quote(token, safe=""))


# ------------------------------------------------------------------------------- genuine notifications
def test_the_documented_notification_is_accepted_and_published_as_its_change_type() -> None:
    body = batch(DOCS_NOTIFICATION)
    assert verify("microsoft-graph", SECRET, webhook_request("microsoft-graph", JSON, body)) == "body-token"
    found = answer("microsoft-graph", SECRET, JSON, body)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    [element] = describe("microsoft-graph", webhook_request("microsoft-graph", JSON, body)).elements
    assert (element.event_type, element.event_id, element.subject) == (
        "created",
        "lsgTZMr9KwAAA",
        DOCS_NOTIFICATION["resource"],
    )
    assert element.extra == {
        "subscription_id": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
        "tenant_id": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
        "resource_id": "AAMkAGUAAA=",
    }


def test_a_batch_of_notifications_and_lifecycle_notifications_is_one_event_each() -> None:
    body = batch(DOCS_NOTIFICATION, DOCS_LIFECYCLE, UPDATED)
    found = answer("microsoft-graph", SECRET, JSON, body)
    assert (found.status, len(found.stored)) == (200, 1)
    elements = found.stored[0].elements
    assert [e.event_type for e in elements] == ["created", "reauthorizationRequired", "updated"]
    assert elements[1].subject == DOCS_LIFECYCLE["subscriptionId"]  # no resource: the subscription
    assert elements[1].event_id is None  # Graph gives lifecycle notifications no id
    assert len({e.claim for e in elements}) == 3


def test_a_rotated_subscription_accepts_the_new_and_the_old_client_state() -> None:
    rotated = {"signing_secrets": ["a-new-client-state", CLIENT_STATE]}
    body = batch(DOCS_NOTIFICATION, UPDATED | {"clientState": "a-new-client-state"})
    assert answer("microsoft-graph", rotated, JSON, body).status == 200


def test_what_our_signer_sends_is_the_documented_notification_with_the_secret_in_every_item() -> None:
    provider = providers.load("microsoft-graph")
    unsigned = [
        {k: v for k, v in item.items() if k != "clientState"} for item in (DOCS_NOTIFICATION, UPDATED)
    ]
    signed = provider.sign(SubscriptionSecret.model_validate(SECRET), batch(*unsigned), 0)
    assert signed.headers == {}
    assert signed.query == {}
    assert json.loads(signed.body or b"") == {"value": [DOCS_NOTIFICATION, UPDATED]}


# ------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "token",
    [TOKEN, "a+b/c=d%e&f", "<script>alert(1)</script>", "é ü 漢字", "x" * 512],
)
def test_the_validation_is_answered_with_the_decoded_token_exactly_and_never_stored(token: str) -> None:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    found = answer("microsoft-graph", SECRET, headers, b"", url=validation_url(token))
    assert (found.status, found.content_type, found.body, found.stored) == (200, "text/plain", token, [])
    assert (found.headers or {}).get("X-Content-Type-Options") == "nosniff"


def test_a_validation_token_with_a_body_is_a_notification_and_refused() -> None:
    for body in (b"x", batch(DOCS_NOTIFICATION | {"clientState": "guessed"})):
        found = answer("microsoft-graph", SECRET, JSON, body, url=validation_url(TOKEN))
        assert refused(found)
        assert TOKEN not in found.body


def test_a_validation_token_on_a_get_or_over_512_characters_is_not_answered() -> None:
    found = answer("microsoft-graph", SECRET, {}, b"", url=validation_url(TOKEN), method="GET")
    assert (found.status, found.stored) == (404, [])
    assert TOKEN not in found.body
    absurd = "x" * 513
    found = answer("microsoft-graph", SECRET, {}, b"", url=validation_url(absurd))
    assert refused(found)


def test_an_empty_post_without_a_validation_token_is_refused() -> None:
    assert refused(answer("microsoft-graph", SECRET, {}, b""))


# ---------------------------------------------------------------------------------------------- forged
@pytest.mark.parametrize(
    "second",
    [
        UPDATED | {"clientState": "guessed"},
        UPDATED | {"clientState": CLIENT_STATE.upper()},
        UPDATED | {"clientState": ""},
        UPDATED | {"clientState": None},
        UPDATED | {"clientState": [CLIENT_STATE]},
        {k: v for k, v in UPDATED.items() if k != "clientState"},
        "not an object",
        None,
    ],
)
def test_one_notification_without_the_client_state_refuses_the_whole_batch(second: Any) -> None:
    # Fail closed: the genuine first notification is not published beside an unproven second.
    assert refused(answer("microsoft-graph", SECRET, JSON, batch(DOCS_NOTIFICATION, second)))


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"value": []}', b'{"value": {}}', json.dumps(DOCS_NOTIFICATION).encode()],
)
def test_a_body_with_no_notification_to_prove_is_refused(body: bytes) -> None:
    assert refused(answer("microsoft-graph", SECRET, JSON, body))


def test_a_subscription_without_a_signing_secret_refuses_everything() -> None:
    with pytest.raises(Unauthorized):
        verify(
            "microsoft-graph",
            {"signing_secrets": []},
            webhook_request("microsoft-graph", JSON, batch(DOCS_NOTIFICATION)),
        )


# ------------------------------------------------------------------------------- replayed, rewrapped
def test_a_captured_batch_replayed_is_a_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()  # one table for both deliveries
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    body = batch(DOCS_NOTIFICATION, UPDATED)
    first, replay = (
        answer("microsoft-graph", SECRET, JSON, body),
        answer("microsoft-graph", SECRET, JSON, body),
    )
    assert (first.status, replay.status) == (200, 200)
    assert store.events[0].dedupe_key == store.events[1].dedupe_key
    assert len(store.items) == 1
    # Re-serialized (another indent, keys in another order): the same notifications, the same batch.
    reordered = {"value": [dict(reversed(list(DOCS_NOTIFICATION.items()))), UPDATED]}
    answer("microsoft-graph", SECRET, JSON, json.dumps(reordered, separators=(",", ":")).encode())
    assert len(store.items) == 1


def test_a_notification_rewrapped_alone_or_in_another_batch_keeps_its_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each notification is claimed by what it says (its clientState aside): the publisher takes the claim
    before publishing it, so a notification sent again in any batch is not published twice
    (tests/integration/test_replays.py drives the publisher). Alone, a batch is stored under its claim."""
    store = MemoryStore()
    monkeypatch.setattr(senders, "MemoryStore", lambda: store)
    answer("microsoft-graph", SECRET, JSON, batch(DOCS_NOTIFICATION, UPDATED))
    claims = [e.claim for e in store.events[0].elements]
    answer("microsoft-graph", SECRET, JSON, batch(UPDATED, DOCS_LIFECYCLE, UPDATED))
    again = store.events[1].elements
    assert [e.event_type for e in again] == ["updated", "reauthorizationRequired"]  # a repeat inside: once
    assert again[0].claim == claims[1]
    answer("microsoft-graph", SECRET, JSON, batch(DOCS_NOTIFICATION, indent=None))
    assert store.events[2].dedupe_key == f"microsoft-graph#demo#item#{claims[0]}"


def test_the_claim_is_no_function_of_the_client_state() -> None:
    provider = providers.load("microsoft-graph")
    assert provider.item_proof is not None
    proof = provider.item_proof(DOCS_NOTIFICATION)
    assert CLIENT_STATE.encode() not in proof
    assert claim_of(proof) == claim_of(provider.item_proof(DOCS_NOTIFICATION | {"clientState": "rotated"}))
    # Any other difference is another notification (Graph's id, an etag, a renewed expiration).
    assert claim_of(proof) != claim_of(provider.item_proof(DOCS_NOTIFICATION | {"id": "other"}))
