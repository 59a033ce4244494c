"""The error contract, run as a user would: exit 2 usage, 1 refused/not found, 3 AWS or the network; one
line on stderr that says what to do; a traceback only with --debug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hookbridge import providers
from tests.cli.conftest import Dev, Result, free_port, one_line_error, run, user_environment

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]


def slow(*cases: tuple[list[str], str]) -> list[Any]:
    """Cases for the slow set (`pytest -m slow`): a `hookbridge` process each, seconds apiece."""
    return [pytest.param(*case, marks=pytest.mark.slow) for case in cases]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["send", "acme", "x", "--local"],
            f"unknown provider 'acme': use one of {', '.join(providers.names())}",
        ),
        (["events", "list", "acme", "demo", "--local"], "unknown provider 'acme'"),
        (["subscriptions", "list", "--locale"], "No such option"),
        # The quick run keeps one of each kind above; these, in the slow set, each command's own checks.
        *slow(
            (
                ["send", "zippex", "delivery.teleported", "--local"],
                "no sample 'delivery.teleported' for zippex",
            ),
            (
                ["events", "list", "zippex", "demo", "--since", "yesterday", "--local"],
                "--since 'yesterday' is not",
            ),
            (["subscriptions", "create", "zippex", "no/slash", "--local"], "invalid subscription name"),
            (["subscriptions", "rotate", "zippex", "demo", "--kind", "password", "--local"], "--kind"),
            (["events", "show", "not-a-key", "--local"], "needs its provider and subscription"),
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(hb: Any, args: list[str], says: str) -> None:
    result = hb(*args)
    assert result.code == 2, result
    line = one_line_error(result)
    assert says in line
    assert "hookbridge.providers" not in line  # no internal module path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["send", "zippex", "delivery.created", "--subscription", "nosuch", "--local"],
            "no secret hookbridge/zippex/nosuch",
        ),
        (["events", "list", "zippex", "nosuch", "--local"], "no subscription zippex/nosuch"),
        *slow(
            (["events", "replay", "zippex", "nosuch", "--local"], "no subscription zippex/nosuch"),
            (["events", "show", "zippex", "demo", "0" * 32, "--local"], "no event 00000000"),
            (["events", "show", "zippex#demo#id#nope", "--local"], "no event with key zippex#demo#id#nope"),
            (["subscriptions", "delete", "zippex", "nosuch", "--local"], "no subscription zippex/nosuch"),
            (
                ["subscriptions", "rotate", "zippex", "nosuch", "--local"],
                "no secret hookbridge/zippex/nosuch",
            ),
        ),
    ],
)
def test_not_found_exits_1_with_one_line(hb: Any, args: list[str], says: str) -> None:
    result = hb(*args)
    assert result.code == 1, result
    assert says in one_line_error(result)


def test_forgetting_local_says_to_add_it(home: Path, dev: Dev) -> None:
    # A shell with no AWS configuration at all: no request can leave this machine.
    result = run(home, "subscriptions", "list", env=user_environment(home))
    assert result.code == 2, result
    assert "add --local" in one_line_error(result)


def test_no_dev_running_says_to_start_it(tmp_path: Path) -> None:
    result = run(tmp_path, "subscriptions", "list", "--local", "--aws-port", str(free_port()))
    assert result.code == 3, result
    assert "is `hookbridge dev` running?" in one_line_error(result)
    # With no announcement a command tries the default port instead, where a user may have a dev running:
    # tests/cli/test_local_ports.py checks that choice without touching the port.


def test_debug_shows_the_traceback_anywhere_on_the_line(hb: Any) -> None:
    result: Result = hb("events", "list", "zippex", "nosuch", "--local", "--debug")
    assert result.code == 1
    assert "Traceback" in result.err
    assert result.err.strip().splitlines()[-1].startswith("hookbridge: no subscription")


def test_a_rejected_webhook_exits_1(hb: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "secret.json"
    wrong.write_text('{"signing_secrets": ["whsec_wrong"]}')
    result = hb("send", "zippex", "delivery.created", "--secret-file", str(wrong), "--local")
    assert result.code == 1
    assert result.out.startswith("401 ")
    assert "the secret does not match" in one_line_error(result)
