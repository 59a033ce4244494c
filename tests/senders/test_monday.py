"""monday.com board webhooks, against its documentation and PyJWT, the library monday's "Authorization
header" page names for Python: a webhook created with an integration app's token carries ``Authorization``,
a JWT signed HS256 with the app's Signing Secret, with accountId, userId, aud (the endpoint's URL), exp and
iat; monday asks apps to check aud and exp. PyJWT ``decode(token, secret, algorithms=["HS256"],
audience=url)`` accepts the tokens our signer makes, and tokens made as monday describes them verify here.

A plain webhook (the Automations Center's recipe, or ``create_webhook`` with a personal token) carries no
JWT, and monday documents nothing else that proves it: it is refused, its challenge too (fail closed). The
JWT covers no body: it proves the sender holds the secret, as a token would. Creating a webhook POSTs
``{"challenge": c}``, answered with the same JSON, never stored."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt as pyjwt
import pytest

from hookbridge import providers
from hookbridge.subscription import SubscriptionSecret
from tests.support.senders import answer, describe, refused, url_for, verify, webhook_request

SIGNING_SECRET = "monday_demo_app_signing_secret_0123"
SECRET = {"signing_secrets": [SIGNING_SECRET]}
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
BODY = json.dumps(
    {
        "event": {
            "userId": 4012689,
            "originalTriggerUuid": None,
            "boardId": 1771812698,
            "pulseId": 1772099344,
            "pulseName": "New lead",
            "groupId": "topics",
            "app": "monday",
            "type": "create_pulse",
            "triggerTime": "2026-03-10T14:45:01.000Z",
            "subscriptionId": 238045832,
            "triggerUuid": "b5ed2e17c530f43668de130142445cba",
        }
    }
).encode()


def monday_token(*, secret: str = SIGNING_SECRET, at: float | None = None, **claims: Any) -> str:
    """A token as monday's page shows one (five minutes from iat to exp), with PyJWT."""
    issued = int(time.time() if at is None else at)
    payload = {
        "accountId": 1825528,
        "userId": 4012689,
        "aud": url_for("monday"),
        "exp": issued + 300,
        "shortLivedToken": "SHORT_LIVED_TOKEN_HERE",
        "iat": issued,
    }
    payload.update(claims)
    return pyjwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


def test_an_app_webhook_is_accepted_stored_once_and_described() -> None:
    headers = {"Authorization": monday_token()}
    assert verify("monday", SECRET, webhook_request("monday", headers, BODY)) == "jwt-hs256"
    found = answer("monday", SECRET, headers, BODY)
    assert (found.status, found.json()["status"], len(found.stored)) == (200, "accepted", 1)
    described = describe("monday", webhook_request("monday", headers, BODY))
    assert (described.event_type, described.event_id) == ("create_pulse", "b5ed2e17c530f43668de130142445cba")
    again = answer("monday", SECRET, headers, BODY)
    assert again.status == 200


def test_a_bearer_prefix_is_read_as_well() -> None:
    headers = {"Authorization": f"Bearer {monday_token()}"}
    assert answer("monday", SECRET, headers, BODY).status == 200


def test_pyjwt_accepts_what_our_signer_makes_with_monday_s_checks() -> None:
    secret = SubscriptionSecret.model_validate(SECRET)
    now = int(time.time())
    credentials = providers.load("monday").sign(secret, BODY, now, url_for("monday"), {})
    token = credentials.headers["Authorization"]
    claims = pyjwt.decode(
        token, SIGNING_SECRET, algorithms=["HS256"], audience=url_for("monday"), options={"require": ["exp"]}
    )
    assert claims["iat"] == now
    assert claims["exp"] > now


def test_the_challenge_is_echoed_as_the_same_json_and_never_stored() -> None:
    body = json.dumps({"challenge": CHALLENGE}).encode()
    found = answer("monday", SECRET, {"Authorization": monday_token()}, body)
    assert (found.status, found.json(), found.stored) == (200, {"challenge": CHALLENGE}, [])


def test_a_plain_webhook_without_a_jwt_is_refused_its_challenge_too() -> None:
    """Nothing proves a plain webhook: refused (fail closed), so creating one fails at monday."""
    assert refused(answer("monday", SECRET, {}, BODY))
    assert refused(answer("monday", SECRET, {}, json.dumps({"challenge": CHALLENGE}).encode()))


@pytest.mark.parametrize(
    "variant",
    ["other secret", "expired", "no exp", "other audience", "no iat", "alg none", "alg HS512", "garbage"],
)
def test_forged_and_stale_tokens_are_refused_with_401(variant: str) -> None:
    token = {
        "other secret": lambda: monday_token(secret="guessed_signing_secret_0123456789"),
        "expired": lambda: monday_token(exp=int(time.time()) - 1),
        "no exp": lambda: monday_token(exp=None),
        "other audience": lambda: monday_token(aud="https://attacker.example/webhooks/monday/demo"),
        "no iat": lambda: monday_token(iat=None),
        "alg none": lambda: pyjwt.encode(
            {"iat": int(time.time()), "exp": int(time.time()) + 300}, None, "none"
        ),
        "alg HS512": lambda: pyjwt.encode(
            {"iat": int(time.time()), "exp": int(time.time()) + 300, "aud": url_for("monday")},
            SIGNING_SECRET * 3,
            algorithm="HS512",
        ),
        "garbage": lambda: "not.a.jwt",
    }[variant]()
    assert refused(answer("monday", SECRET, {"Authorization": token}, BODY))
