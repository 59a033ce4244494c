"""Telegram, against the Bot API's documentation: Telegram signs nothing; setWebhook's ``secret_token`` comes
back on every update in X-Telegram-Bot-Api-Secret-Token ("1-256 characters. Only characters A-Z, a-z, 0-9,
_ and - are allowed"), compared with the subscription's tokens. An Update is one of its optional fields,
whose name is the type; update_id is its unique id, the dedupe key (a repeated update keeps it)."""

from __future__ import annotations

import json

import pytest

from tests.support.events import demo_secret, load_event, sample_names
from tests.support.senders import answer, describe, refused, verify, webhook_request

TOKEN = "telegram_demo_secret_token-1"
SECRET = {"tokens": [TOKEN]}
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MESSAGE = load_event("telegram", "message")["body"].encode()


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("message", ("message", "10000", "1111111")),
        ("callback_query", ("callback_query", "10001", "1111111")),
    ],
)
def test_an_update_with_the_secret_token_is_accepted_stored_and_described(
    sample: str, expected: tuple[str, str, str]
) -> None:
    body = load_event("telegram", sample)["body"].encode()
    headers = {HEADER: TOKEN}
    assert verify("telegram", SECRET, webhook_request("telegram", headers, body)) == "token"
    found = answer("telegram", SECRET, headers, body)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("telegram", webhook_request("telegram", headers, body))
    assert (described.event_type, described.event_id, described.subject) == expected


def test_a_repeated_update_keeps_its_update_id_and_is_one_event() -> None:
    repeated = json.dumps(json.loads(MESSAGE), separators=(",", ":")).encode()  # same update, other bytes
    ids = {
        describe("telegram", webhook_request("telegram", {HEADER: TOKEN}, b)).proven_id
        for b in (MESSAGE, repeated)
    }
    assert ids == {"10000"}


@pytest.mark.parametrize(
    "headers",
    [{}, {HEADER: "guessed"}, {HEADER: TOKEN + "x"}, {HEADER: TOKEN[:-1]}, {"X-Telegram-Secret": TOKEN}],
    ids=["none", "wrong", "longer", "shorter", "other header"],
)
def test_without_the_secret_token_an_update_is_refused_with_401(headers: dict[str, str]) -> None:
    assert refused(answer("telegram", SECRET, headers, MESSAGE))


@pytest.mark.parametrize("sample", sample_names("telegram"))
def test_the_shipped_samples_carry_the_demo_token(sample: str) -> None:
    event, secret = load_event("telegram", sample), demo_secret("telegram")
    assert event["headers"]["x-telegram-bot-api-secret-token"] == secret["tokens"][0]
    request = webhook_request("telegram", event["headers"], event["body"].encode())
    assert verify("telegram", secret, request) == "token"
