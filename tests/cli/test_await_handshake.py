"""`hookbridge subscriptions create ... --await-handshake` run as a user would, against `hookbridge dev`: the
subscription awaits its secret, Asana's handshake (sent over HTTP to the local stack) hands it over once, and
every other such handshake changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.cli.conftest import Dev, one_line_error, run, start_dev, wait_for
from tests.support.events import demo_secret, load_event

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]

LEARNED = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"  # Asana's docs' example


def post(dev: Dev, subscription: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, Any, str]:
    request = urllib.request.Request(  # noqa: S310 - the local stack
        f"{dev.base_url}/webhooks/asana/{subscription}", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def test_an_awaiting_subscription_learns_its_secret_once_from_the_handshake(hb: Any, dev: Dev) -> None:
    created = hb(
        "subscriptions", "create", "asana", "awaits", "--await-handshake", "15m", "--local", "--json"
    )
    assert created.code == 0, created
    until = datetime.fromisoformat(created.json["awaiting_handshake_until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    name = created.json["secret"]
    stored = dev.secret(name)
    assert set(stored) == {"awaiting_handshake"}  # no value: only the leave to learn one

    answered: list[tuple[int, Any, str]] = []

    def served() -> bool:  # a name the function does not know yet is 404, and changes nothing
        answered.append(post(dev, "awaits", {"X-Hook-Secret": LEARNED}))
        return answered[-1][0] != 404

    wait_for(served, 30)
    status, headers, _ = answered[-1]
    assert (status, headers["X-Hook-Secret"]) == (200, LEARNED)  # Asana's example answer
    assert dev.secret(name) == {"signing_secrets": [LEARNED]}

    # A second handshake, an outsider's, changes nothing and is refused.
    status, headers, body = post(dev, "awaits", {"X-Hook-Secret": "planted"})
    assert (status, headers.get("X-Hook-Secret"), "planted" in body) == (401, None, False)
    assert dev.secret(name) == {"signing_secrets": [LEARNED]}

    # Asana's events, signed with the learned secret, are accepted.
    event = load_event("asana", "task.changed")
    body_bytes = event["body"].encode()
    signature = hmac.new(LEARNED.encode(), body_bytes, hashlib.sha256).hexdigest()
    status, _, body = post(dev, "awaits", {"X-Hook-Signature": signature}, body_bytes)
    assert (status, json.loads(body)["status"]) == (200, "accepted")


def test_a_handshake_for_a_subscription_not_awaiting_changes_nothing(hb: Any, dev: Dev) -> None:
    """The demo subscription `hookbridge dev` seeds has its secret: a handshake cannot replace it."""
    secret_name = next(
        s["Name"]
        for s in dev.client("secretsmanager").list_secrets()["SecretList"]
        if s["Name"].endswith("/asana/demo")
    )
    before = dev.secret(secret_name)
    status, headers, _ = post(dev, "demo", {"X-Hook-Secret": "planted"})
    assert (status, headers.get("X-Hook-Secret")) == (401, None)
    assert dev.secret(secret_name) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["stripe", "no-handshake", "--await-handshake", "15m"], "stripe has no handshake to await"),
        (["aws-sns", "no-topics", "--await-handshake", "15m"], "confirms only the topics aws-sns's secret"),
        (["asana", "too-long", "--await-handshake", "3d"], "a window of 1m to 24h"),
        (["asana", "too-short", "--await-handshake", "10s"], "a window of 1m to 24h"),
    ],
)
def test_await_handshake_is_refused_where_it_cannot_hold(
    hb: Any, dev: Dev, args: list[str], says: str
) -> None:
    bad = hb("subscriptions", "create", *args, "--local")
    assert bad.code == 2, bad
    assert says in one_line_error(bad)
    assert "Traceback" not in bad.err


def test_await_handshake_with_a_secret_file_is_refused(hb: Any, dev: Dev, tmp_path: Any) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"signing_secrets": ["given"]}')
    bad = hb(
        "subscriptions", "create", "asana", "both", "--await-handshake", "15m", "--secret-file", str(secret),
        "--local",
    )  # fmt: skip
    assert bad.code == 2, bad
    assert "--await-handshake learns the secret" in one_line_error(bad)


def test_an_sns_subscription_awaiting_confirms_its_topics_confirmation_at_sns(
    tmp_path: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The topics come from --secret-file as for any SNS subscription; within the window, the function asks
    SNS (the local stack's) to confirm a signed SubscriptionConfirmation of an allowed topic, and says so
    in its audit log, never with the token."""
    home = tmp_path_factory.mktemp("verbose-home")
    dev = start_dev(home, "--verbose")  # the functions' audit log is shown with --verbose

    def hb(*args: str) -> Any:
        return run(home, *args)

    try:
        confirmed_at_sns(dev, hb, tmp_path)
    finally:
        dev.stop()


def confirmed_at_sns(dev: Dev, hb: Any, tmp_path: Any) -> None:
    secret_file = tmp_path / "sns.json"
    secret_file.write_text(json.dumps(demo_secret("aws-sns")))
    topic = dev.client("sns").create_topic(Name="hookbridge-demo")["TopicArn"]
    created = hb(
        "subscriptions", "create", "aws-sns", "confirms", "--secret-file", str(secret_file),
        "--await-handshake", "15m", "--local", "--json",
    )  # fmt: skip
    assert created.code == 0, created
    stored = dev.secret(created.json["secret"])
    assert stored["topic_arns"] == [topic]
    assert datetime.fromisoformat(stored["awaiting_handshake"]["until"]) > datetime.now(UTC)

    sent: list[Any] = []

    def delivered() -> bool:  # a name the function does not know yet is 404
        sent.append(
            hb("send", "aws-sns", "SubscriptionConfirmation", "--subscription", "confirms", "--local")
        )
        return sent[-1].code == 0

    wait_for(delivered, 30)
    token = json.loads(load_event("aws-sns", "SubscriptionConfirmation")["body"])["Token"]

    def audited() -> bool:
        return any("subscription_confirmed" in line and "confirms" in line for line in list(dev.output))

    wait_for(audited, 20)
    # The confirmation is stored and published (the operator's to read); the functions' logs never hold it.
    logs = [line for line in list(dev.output) if '"bus"' not in line[:10]]
    assert not any(token in line for line in logs)
