"""Microsoft Graph change notifications, against Microsoft's own published material: the documented
notification ("Change notification example", /graph/change-notifications-delivery-webhooks),
the lifecycle notification's documented structure (/graph/change-notifications-lifecycle-events) and the
notificationUrl validation (a POST ?validationToken=<url-encoded token> with no body, answered 200 text/plain
with the decoded token). Graph signs nothing: each notification's clientState must be one of the
subscription's signing_secrets. Microsoft's Python SDK (msgraph-sdk) has no changeNotificationCollection
model (it generates only what the API returns), so the documented payloads are the proof.
Rich notifications' validationTokens: tokens with the documented claims, signed with PyJWT (as Microsoft's
samples use their platform's JWT library) under keys made here, every one the function accepts accepted
by PyJWT under Microsoft's documented checks, and every attack refused by both."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from hookbridge import providers
from hookbridge.errors import Unauthorized, Unavailable
from hookbridge.providers import jwks, microsoft_graph
from hookbridge.providers.coverage import claim_of
from hookbridge.providers.jwks import JwksStore, jwk_of
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


# --------------------------------------------------------------- rich notifications: validationTokens
# Proven with PyJWT, as Microsoft's validation samples do with their platform's JWT library: tokens signed by
# it with keys made here (`cryptography`), and every token the function accepts is one PyJWT accepts under
# the documented checks (RS256, the app id as audience, the tenant's issuer, exp), Graph's publisher as azp.
APP_ID = "8e460676-ae3f-4b1e-8790-ee0fb5d6148f"
TENANT = DOCS_NOTIFICATION["tenantId"]
GRAPH_KID = "nOo3ZDrODXEK1jKWhXslHR_KXEg"
RICH_SECRET: dict[str, Any] = {**SECRET, "audience": APP_ID}  # keys from the (faked) JWKS
MS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
FORGED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NOW = float(int(time.time()))


def _jwk(key: rsa.RSAPrivateKey, kid: str = GRAPH_KID) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return jwk_of(kid, numbers.n, numbers.e)


MS_JWKS = json.dumps({"keys": [_jwk(MS_KEY)]}).encode()
PINNED_SECRET: dict[str, Any] = {**RICH_SECRET, "public_keys": [json.dumps(_jwk(MS_KEY))]}


def graph_claims(**changed: Any) -> dict[str, Any]:
    """The documented validation token's claims (a v2 token for the app, from Graph's publisher), at NOW."""
    made = {
        "aud": APP_ID,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 3600,
        "azp": microsoft_graph.GRAPH_PUBLISHER,
        "azpacr": "2",
        "oid": "1e7d79fa-7893-4d50-bdde-164260d9c5ba",
        "sub": "1e7d79fa-7893-4d50-bdde-164260d9c5ba",
        "tid": TENANT,
        "ver": "2.0",
    }
    made.update(changed)
    return {k: v for k, v in made.items() if v is not None}


def graph_token(claims: dict[str, Any], key: rsa.RSAPrivateKey = MS_KEY, kid: str = GRAPH_KID) -> str:
    return pyjwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def rich(*tokens: Any, items: tuple[dict[str, Any], ...] = (DOCS_NOTIFICATION,)) -> bytes:
    return json.dumps({"value": list(items), "validationTokens": list(tokens)}).encode()


class JwksGetter:
    """Microsoft identity's JWKS fetch, faked: answers the test's keys, counts what it is asked."""

    def __init__(self, served: bytes = MS_JWKS) -> None:
        self.served = served
        self.asked: list[str] = []

    def __call__(self, url: str) -> tuple[bytes, dict[str, str]]:
        self.asked.append(url)
        return self.served, {"cache-control": "public, max-age=86400"}


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> JwksGetter:
    found = JwksGetter()
    monkeypatch.setattr(microsoft_graph, "STORE", JwksStore(microsoft_graph.JWKS_URL, get=found))
    return found


def rich_verify(body: bytes, secret: dict[str, Any] = RICH_SECRET, now: float = NOW) -> str:
    return verify("microsoft-graph", secret, webhook_request("microsoft-graph", JSON, body), now=now)


def pyjwt_accepts(token: str) -> bool:
    """Microsoft's documented checks, by PyJWT: the key, RS256, audience, expiry, then the tenant's issuer,
    Graph's publisher as azp (or appid), and the tenant the notification is for."""
    try:
        claims = pyjwt.decode(
            token,
            MS_KEY.public_key(),
            algorithms=["RS256"],
            audience=APP_ID,
            leeway=300,
            options={"require": ["exp", "iss", "aud", "tid"]},
        )
    except pyjwt.PyJWTError:
        return False
    tenant = claims["tid"]
    issuers = (f"https://sts.windows.net/{tenant}/", f"https://login.microsoftonline.com/{tenant}/v2.0")
    publisher = claims.get("azp", claims.get("appid"))
    return claims["iss"] in issuers and publisher == microsoft_graph.GRAPH_PUBLISHER and tenant == TENANT


def test_a_rich_delivery_with_genuine_tokens_is_accepted_and_the_keys_fetched_once(keys: JwksGetter) -> None:
    token = graph_token(graph_claims())
    assert pyjwt_accepts(token)
    assert rich_verify(rich(token)) == microsoft_graph.VERIFIED_BY
    assert rich_verify(rich(token)) == microsoft_graph.VERIFIED_BY
    assert keys.asked == ["https://login.microsoftonline.com/common/discovery/v2.0/keys"]
    found = answer("microsoft-graph", PINNED_SECRET, JSON, rich(token))
    assert (found.status, len(found.stored)) == (200, 1)


def test_a_v1_token_with_appid_and_the_v2_issuer_form_are_accepted(keys: JwksGetter) -> None:
    v1 = graph_claims(azp=None, appid=microsoft_graph.GRAPH_PUBLISHER, ver="1.0")
    v2 = graph_claims(iss=f"https://login.microsoftonline.com/{TENANT}/v2.0")
    for claims in (v1, v2):
        assert pyjwt_accepts(graph_token(claims))
        assert rich_verify(rich(graph_token(claims))) == microsoft_graph.VERIFIED_BY


def test_pinned_keys_mean_no_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    getter = JwksGetter()
    monkeypatch.setattr(microsoft_graph, "STORE", JwksStore(microsoft_graph.JWKS_URL, get=getter))
    assert rich_verify(rich(graph_token(graph_claims())), PINNED_SECRET) == microsoft_graph.VERIFIED_BY
    with pytest.raises(Unauthorized):
        rich_verify(rich(graph_token(graph_claims(), FORGED_KEY)), PINNED_SECRET)
    assert getter.asked == []


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join([part(json.dumps(header).encode()), part(json.dumps(claims).encode()), part(signature)])


def _hs256_with_the_public_key(claims: dict[str, Any]) -> str:
    """The algorithm confusion: HS256 keyed with the public key's PEM."""
    public = MS_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": GRAPH_KID, "typ": "JWT"}
    unsigned = _unsigned(header, claims).rsplit(".", 1)[0]
    mac = hmac.new(public, unsigned.encode(), hashlib.sha256).digest()
    return unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_unsigned({"alg": "none", "kid": GRAPH_KID}, graph_claims()) + "x", id="alg-none"),
        pytest.param(_hs256_with_the_public_key(graph_claims()), id="alg-hs256"),
        pytest.param(graph_token(graph_claims(aud="00000003-0000-0000-c000-000000000000")), id="wrong-aud"),
        pytest.param(graph_token(graph_claims(azp="11111111-2222-3333-4444-555555555555")), id="wrong-azp"),
        pytest.param(graph_token(graph_claims(azp=None)), id="no-azp"),
        pytest.param(graph_token(graph_claims(exp=int(NOW) - 400)), id="expired"),
        pytest.param(graph_token(graph_claims(exp=None)), id="no-exp"),
        pytest.param(graph_token(graph_claims(nbf=int(NOW) + 900)), id="not-yet"),
        pytest.param(graph_token(graph_claims(iss="https://sts.windows.net/attacker/")), id="wrong-iss"),
        pytest.param(graph_token(graph_claims(iss="https://evil.example/", tid=None)), id="no-tid"),
        pytest.param(
            graph_token(
                graph_claims(
                    tid="aaaaaaaa-0000-0000-0000-000000000000",
                    iss="https://sts.windows.net/aaaaaaaa-0000-0000-0000-000000000000/",
                )
            ),
            id="other-tenant",
        ),
        pytest.param(graph_token(graph_claims(), FORGED_KEY), id="forged-key"),
        pytest.param(graph_token(graph_claims())[:-4] + "AAAA", id="signature-changed"),
        pytest.param("not.a.token", id="garbage"),
    ],
)
def test_a_bad_token_refuses_the_whole_delivery_before_anything_is_stored(
    keys: JwksGetter, token: str
) -> None:
    genuine = graph_token(graph_claims())
    assert not pyjwt_accepts(token)
    with pytest.raises(Unauthorized):
        rich_verify(rich(genuine, token))
    assert refused(answer("microsoft-graph", PINNED_SECRET, JSON, rich(genuine, token), now=NOW))


def test_claims_are_refused_before_any_fetch(keys: JwksGetter) -> None:
    for claims in (graph_claims(aud="x"), graph_claims(azp="x"), graph_claims(exp=int(NOW) - 400)):
        with pytest.raises(Unauthorized):
            rich_verify(rich(graph_token(claims, kid="made-up")))
    assert keys.asked == []


def test_a_flood_of_unknown_kids_costs_the_budget_and_no_fetch_beyond(keys: JwksGetter) -> None:
    assert rich_verify(rich(graph_token(graph_claims()))) == microsoft_graph.VERIFIED_BY  # keys now cached
    for i in range(20):
        with pytest.raises((Unauthorized, Unavailable)):
            rich_verify(rich(graph_token(graph_claims(), FORGED_KEY, kid=f"made-up-{i}")))
    assert len(keys.asked) == 1 + jwks.UNKNOWN_KID_BUDGET


def test_a_notification_of_a_tenant_without_its_token_refuses_the_delivery(keys: JwksGetter) -> None:
    other = DOCS_NOTIFICATION | {"tenantId": "aaaaaaaa-0000-0000-0000-000000000000"}
    with pytest.raises(Unauthorized):
        rich_verify(rich(graph_token(graph_claims()), items=(DOCS_NOTIFICATION, other)))
    with pytest.raises(Unauthorized):
        rich_verify(
            rich(graph_token(graph_claims()), items=({k: v for k, v in UPDATED.items() if k != "tenantId"},))
        )


@pytest.mark.parametrize("tokens", [[], None, "a.b.c", [1], ["x"] * 21])
def test_validation_tokens_present_but_not_a_list_of_tokens_is_refused(keys: JwksGetter, tokens: Any) -> None:
    body = json.dumps({"value": [DOCS_NOTIFICATION], "validationTokens": tokens}).encode()
    with pytest.raises(Unauthorized):
        rich_verify(body)
    assert keys.asked == []


def test_a_subscription_without_an_app_id_refuses_every_rich_delivery(keys: JwksGetter) -> None:
    with pytest.raises(Unauthorized):
        rich_verify(rich(graph_token(graph_claims())), SECRET)
    assert keys.asked == []


def test_tokens_removed_from_a_rich_delivery_leave_a_basic_one_proven_by_its_client_state(
    keys: JwksGetter,
) -> None:
    # What stripping the tokens buys: a delivery proven as any basic notification is (the clientState),
    # no more; with the wrong clientState it is refused as before. Documented in the definition.
    assert rich_verify(batch(DOCS_NOTIFICATION)) == "body-token"
    wrong = DOCS_NOTIFICATION | {"clientState": "guessed"}
    with pytest.raises(Unauthorized):
        rich_verify(batch(wrong))
    with pytest.raises(Unauthorized):  # and genuine tokens do not make up for a wrong clientState
        rich_verify(rich(graph_token(graph_claims()), items=(wrong,)))
    assert keys.asked == []
