"""`hookbridge dev --providers`: the local stack deployed as the template is with that Providers parameter,
and the commands that act on a sender refusing one the stack does not receive from, in one line."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Dev, one_line_error, run, start_dev

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def dev(home: Path) -> Iterator[Dev]:
    running = start_dev(home, "--providers", "stripe,github")
    try:
        yield running
    finally:
        running.stop()


def test_it_serves_the_chosen_senders_only(home: Path, dev: Dev) -> None:
    assert {d["provider"] for d in dev.started["demo"]} == {"stripe", "github"}
    assert run(home, "send", "stripe", "payment_intent.succeeded", "--local").code == 0
    assert run(home, "send", "github", "push", "--local").code == 0
    # A route the stack does not have is API Gateway's 404, whatever is stored.
    url = f"{dev.base_url}/webhooks/zippex/demo"
    request = urllib.request.Request(url, data=b"{}", method="POST")  # noqa: S310 - http, the local stack
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - http, the local stack
    assert answer.value.code == 404


@pytest.mark.parametrize(
    "command",
    [
        ("send", "zippex", "delivery.delivered", "--local"),
        ("subscriptions", "create", "zinc", "shop-eu", "--local"),
        ("load", "--provider", "zonos", "--duration", "1"),
    ],
)
def test_a_sender_it_does_not_receive_from_is_refused_in_one_line(
    home: Path, dev: Dev, command: tuple[str, ...]
) -> None:
    result = run(home, *command)
    assert result.code == 1
    line = one_line_error(result)
    assert "does not receive from" in line
    assert "--providers" in line  # what to do next
    assert "shop-eu" not in str(dev.client("dynamodb").scan(TableName="hookbridge-subscriptions"))


def test_an_unknown_sender_is_a_usage_error(home: Path) -> None:
    result = run(home, "dev", "--providers", "stripe,acme", "--aws-port", "1", "--http-port", "2")
    assert result.code == 2
    assert "acme is not a sender" in one_line_error(result)
