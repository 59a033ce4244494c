"""Telegram, against the Bot API's documentation: Telegram signs nothing; setWebhook's ``secret_token`` comes
back on every update in X-Telegram-Bot-Api-Secret-Token ("1-256 characters. Only characters A-Z, a-z, 0-9,
_ and - are allowed"), compared with the subscription's tokens. An Update is one of its optional fields,
whose name is the type; update_id is its unique id, the dedupe key (a repeated update keeps it).

Proven against python-telegram-bot (the maintained Python library; a dev dependency): its webhook server's
``TelegramHandler`` (``telegram.ext._utils.webhookhandler``, run with ``secret_token`` set, as
``Application.run_webhook`` does) accepts and parses what we accept, and refuses with 403 what we refuse. It
is driven in-process with a request object (no socket)."""

from __future__ import annotations

import asyncio
import json
from unittest.mock import MagicMock

import pytest
import tornado.httputil
import tornado.web
from telegram import Bot, Update
from telegram.ext._utils.webhookhandler import TelegramHandler

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


def python_telegram_bot(headers: dict[str, str], body: bytes) -> tuple[int, Update | None]:
    """What python-telegram-bot's webhook handler answers, and the Update it queues (None when refused)."""
    request = tornado.httputil.HTTPServerRequest(
        headers=tornado.httputil.HTTPHeaders(
            {"Host": "hooks.example.test", "Content-Type": "application/json", **headers}
        ),
        body=body,
        connection=MagicMock(),
        start_line=tornado.httputil.RequestStartLine("POST", "/telegram", "HTTP/1.1"),
    )
    queue: asyncio.Queue[Update] = asyncio.Queue()
    handler = TelegramHandler(
        tornado.web.Application(), request, bot=Bot("123456:demo"), update_queue=queue, secret_token=TOKEN
    )
    # Run without an event loop (whose self-pipe is a socket the guard refuses): its one await, a put on an
    # unbounded queue, never suspends, so the coroutine ends at its first step.
    step = handler.post()
    try:
        step.send(None)
    except StopIteration:
        pass
    except tornado.web.HTTPError as refusal:
        return refusal.status_code, None
    return handler.get_status(), queue.get_nowait()


@pytest.mark.parametrize("sample", ["message", "callback_query"])
def test_python_telegram_bot_accepts_what_we_accept_with_the_same_update_id(sample: str) -> None:
    body = load_event("telegram", sample)["body"].encode()
    status, update = python_telegram_bot({HEADER: TOKEN}, body)
    assert status == 200
    assert update is not None
    found = answer("telegram", SECRET, {HEADER: TOKEN}, body)
    assert (found.status, len(found.stored)) == (200, 1)
    described = describe("telegram", webhook_request("telegram", {HEADER: TOKEN}, body))
    assert (described.event_id, described.event_type) == (str(update.update_id), sample)
    assert getattr(update, sample) is not None


@pytest.mark.parametrize(
    "headers",
    [{}, {HEADER: "guessed"}, {HEADER: TOKEN + "x"}, {HEADER: TOKEN[:-1]}, {"X-Telegram-Secret": TOKEN}],
    ids=["none", "wrong", "longer", "shorter", "other header"],
)
def test_python_telegram_bot_refuses_what_we_refuse(headers: dict[str, str]) -> None:
    assert python_telegram_bot(headers, MESSAGE) == (403, None)
    assert refused(answer("telegram", SECRET, headers, MESSAGE))
