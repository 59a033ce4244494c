"""`hookbridge subscriptions` run as a user would: everything checked before the first write, complete
URLs, rotation of every credential kind in two steps, deletes that never leave half a change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hookbridge import providers
from tests.cli.conftest import Dev, one_line_error
from tests.support.fake_providers import fake_provider_server

# Minutes of subprocesses against a dev stack: the slow set (`pytest -m slow`), which CI runs.
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]


def names(hb: Any) -> set[str]:
    return {
        f"{r['provider']}/{r['subscription']}" for r in hb("subscriptions", "list", "--local", "--json").lines
    }


def has_secret(dev: Dev, name: str) -> bool:
    try:
        described = dev.client("secretsmanager").describe_secret(SecretId=name)
    except ClientError:
        return False
    return "DeletedDate" not in described


@pytest.mark.parametrize(
    ("content", "extra", "says"),
    [
        (None, [], "cannot read --secret-file"),
        ("{not json", [], "is not JSON"),
        ('{"tokens": "one"}', [], "does not have a secret's layout: tokens"),
        (
            '{"signing_secrets": ["x"]}',
            [],
            "holds nothing zinc verifies requests with: add tokens or basic_auth",
        ),
        ('{"tokens": ["t"]}', ["--quiet-period", "-5"], "quiet_period_seconds"),
    ],
)
def test_create_checks_everything_before_writing(
    hb: Any, dev: Dev, tmp_path: Path, content: str | None, extra: list[str], says: str
) -> None:
    secret = tmp_path / "secret.json"
    if content is not None:
        secret.write_text(content)
    name = f"checked-{abs(hash(says)) % 10_000}"
    bad = hb("subscriptions", "create", "zinc", name, "--secret-file", str(secret), *extra, "--local")
    assert bad.code == 2, bad
    line = one_line_error(bad)
    assert says in line
    assert "Traceback" not in bad.err
    assert f"zinc/{name}" not in names(hb)
    assert not has_secret(dev, f"hookbridge/zinc/{name}")
    # Nothing was written, so the corrected command succeeds (no "exists").
    secret.write_text('{"tokens": ["t"]}')
    good = hb("subscriptions", "create", "zinc", name, "--secret-file", str(secret), "--local")
    assert good.code == 0, good
    assert has_secret(dev, f"hookbridge/zinc/{name}")


def test_create_prints_complete_urls(hb: Any, tmp_path: Path) -> None:
    zinc = tmp_path / "zinc.json"
    zinc.write_text('{"tokens": ["t"]}')
    created = hb("subscriptions", "create", "zinc", "urls", "--secret-file", str(zinc), "--local", "--json")
    assert created.code == 0, created
    urls = created.json["urls"]
    assert len(urls) == 6
    assert all(u.startswith("http://127.0.0.1:") and u.endswith("?token=<token>") for u in urls)
    assert any("/webhooks/zinc/urls/request_succeeded?" in u for u in urls)

    zonos = hb(
        "subscriptions",
        "create",
        "zonos",
        "urls",
        "--secret-file",
        "events/zonos/demo-secret.json",
        "--local",
        "--json",
    )
    assert zonos.code == 0, zonos
    assert {u.rsplit("?type=", 1)[1] for u in zonos.json["urls"]} >= {"ORDER_CREATED", "SHIPMENT_CANCELED"}
    # Piped into another program, a table or a line never cuts a URL.
    human = hb(
        "subscriptions", "create", "zencargo", "a-rather-long-subscription-name-to-show-it-whole", "--local"
    )
    assert "/webhooks/zencargo/a-rather-long-subscription-name-to-show-it-whole" in human.out
    assert "…" not in human.out


def test_create_refuses_an_existing_secret_before_writing_the_record(
    hb: Any, dev: Dev, tmp_path: Path
) -> None:
    dev.client("secretsmanager").create_secret(
        Name="hookbridge/zippex/orphan", SecretString='{"signing_secrets": ["a"]}'
    )
    secret = tmp_path / "s.json"
    secret.write_text('{"signing_secrets": ["b"]}')
    result = hb("subscriptions", "create", "zippex", "orphan", "--secret-file", str(secret), "--local")
    assert result.code == 1
    assert "secret hookbridge/zippex/orphan exists" in one_line_error(result)
    assert "zippex/orphan" not in names(hb)
    assert dev.secret("hookbridge/zippex/orphan") == {"signing_secrets": ["a"]}


def test_rotating_a_zinc_token_then_dropping_the_old_one(hb: Any, dev: Dev, tmp_path: Path) -> None:
    secret = tmp_path / "zinc.json"
    secret.write_text('{"tokens": ["old-token"]}')
    assert hb("subscriptions", "create", "zinc", "rot", "--secret-file", str(secret), "--local").code == 0
    rotated = hb("subscriptions", "rotate", "zinc", "rot", "--local", "--json", stdin="new-token\n")
    assert rotated.code == 0, rotated
    assert rotated.json["kind"] == "tokens"
    assert rotated.json["secret"] == {"tokens": ["<new>", "<kept #1>"]}
    assert "new-token" not in rotated.out + rotated.err
    assert dev.secret("hookbridge/zinc/rot")["tokens"] == ["new-token", "old-token"]
    # The new token is accepted by ingest (the old one is, too, until dropped).
    for token in ("new-token", "old-token"):
        only = tmp_path / f"{token}.json"
        only.write_text(json.dumps({"tokens": [token]}))
        sent = hb(
            "send", "zinc", "case_updated", "--subscription", "rot", "--secret-file", str(only), "--local"
        )
        assert sent.out.startswith("200 "), sent
    refused = hb("subscriptions", "rotate", "zinc", "rot", "--drop-old", "--local", stdin="oops\n")
    assert refused.code == 2
    assert "--drop-old takes no new value" in one_line_error(refused)
    assert dev.secret("hookbridge/zinc/rot")["tokens"] == ["new-token", "old-token"]
    dropped = hb("subscriptions", "rotate", "zinc", "rot", "--drop-old", "--local", "--json")
    assert dropped.code == 0, dropped
    assert dropped.json["changed"] is True
    assert dev.secret("hookbridge/zinc/rot")["tokens"] == ["new-token"]


def test_rotating_each_kind_the_secret_holds(hb: Any, dev: Dev, tmp_path: Path) -> None:
    secret = tmp_path / "zonos.json"
    secret.write_text(Path("events/zonos/demo-secret.json").read_text())
    assert hb("subscriptions", "create", "zonos", "rot", "--secret-file", str(secret), "--local").code == 0
    ambiguous = hb("subscriptions", "rotate", "zonos", "rot", "--local", stdin="x\n")
    assert ambiguous.code == 2
    assert "pass --kind" in one_line_error(ambiguous)

    before = dev.secret("hookbridge/zonos/rot")
    dry = hb(
        "subscriptions",
        "rotate",
        "zonos",
        "rot",
        "--kind",
        "tokens",
        "--dry-run",
        "--local",
        "--json",
        stdin="t2\n",
    )
    assert dry.code == 0, dry
    assert dry.json["changed"] is False
    assert dry.json["secret"]["tokens"] == ["<new>", "<kept #1>"]
    assert dry.json["secret"]["signing_secrets"] == ["<kept #1>"]
    assert "t2" not in dry.out
    assert "zonos_demo" not in dry.out  # no value of the secret, only its shape
    assert dev.secret("hookbridge/zonos/rot") == before

    for kind, value, field, expected in [
        ("tokens", "t2", "tokens", ["t2", "zonos_demo_token"]),
        ("signing_secrets", "k2", "signing_secrets", ["k2", "zonos_demo_hmac_key"]),
        ("api_key", "credential-2", "api_key", "credential-2"),
    ]:
        result = hb("subscriptions", "rotate", "zonos", "rot", "--kind", kind, "--local", stdin=f"{value}\n")
        assert result.code == 0, result
        assert dev.secret("hookbridge/zonos/rot")[field] == expected

    wrong = hb("subscriptions", "rotate", "zonos", "rot", "--kind", "basic_auth", "--local", stdin="u:p\n")
    assert wrong.code == 2  # Zonos verifies nothing with basic auth: rotating it would do nothing
    assert "does not verify requests with basic_auth" in one_line_error(wrong)

    zinc = tmp_path / "zinc.json"
    zinc.write_text('{"basic_auth": [{"username": "u1", "password": "p1"}]}')
    assert hb("subscriptions", "create", "zinc", "basic", "--secret-file", str(zinc), "--local").code == 0
    assert hb("subscriptions", "rotate", "zinc", "basic", "--local", stdin="u2:p2\n").code == 0
    assert dev.secret("hookbridge/zinc/basic")["basic_auth"] == [
        {"username": "u2", "password": "p2"},
        {"username": "u1", "password": "p1"},
    ]
    malformed = hb("subscriptions", "rotate", "zinc", "basic", "--local", stdin="no-colon\n")
    assert malformed.code == 2
    assert "username:password" in one_line_error(malformed)


def test_delete_never_leaves_half_a_change(hb: Any, dev: Dev) -> None:
    assert hb("subscriptions", "create", "zencargo", "nosecret", "--local").code == 0
    result = hb("subscriptions", "delete", "zencargo", "nosecret", "--delete-secret", "--local")
    assert result.code == 1
    assert "run the command without --delete-secret" in one_line_error(result)
    assert "zencargo/nosecret" in names(hb)  # the record is still there
    deleted = hb("subscriptions", "delete", "zencargo", "nosecret", "--local", "--json")
    assert deleted.code == 0
    assert deleted.json == {
        "provider": "zencargo",
        "subscription": "nosecret",
        "deleted": True,
        "secret_deleted": False,
        "refused_within_seconds": None,  # its secret stays: its webhooks are still accepted
    }
    assert hb("subscriptions", "delete", "zencargo", "nosecret", "--local").code == 1


def test_create_says_when_its_webhooks_are_accepted_and_delete_when_they_stop(hb: Any, dev: Dev) -> None:
    """Issue 22: each ingest instance knows its sender's subscriptions from a listing it refreshes; create
    says how soon a new one is served, delete --delete-secret how soon it is refused, and both hold."""
    import time

    demo = "events/zippex/demo-secret.json"
    send = (
        "send",
        "zippex",
        "delivery.created",
        "--subscription",
        "listed",
        "--secret-file",
        demo,
        "--local",
    )
    assert hb(*send).out.startswith("404 ")  # no such subscription yet (and the instance has listed)
    created = hb("subscriptions", "create", "zippex", "listed", "--secret-file", demo, "--local", "--json")
    assert created.code == 0, created
    within = created.json["receiving_within_seconds"]
    assert within == 1  # hookbridge dev's; the deployed functions' is 10 s (docs/deploying.md)
    time.sleep(within)
    accepted = hb(*send)
    assert accepted.out.startswith("200 "), accepted

    deleted = hb("subscriptions", "delete", "zippex", "listed", "--delete-secret", "--local")
    assert deleted.code == 0, deleted
    assert "its webhooks get 404 within 5 s" in deleted.out
    time.sleep(5)
    refused = hb(*send)
    assert refused.out.startswith("404 "), refused


def test_zippex_register_stores_the_secret_without_showing_it(hb: Any, dev: Dev, home: Path) -> None:
    from tests.cli.conftest import run, user_environment

    with fake_provider_server() as (api_url, state):
        env = user_environment(home, ZIPPEX_API_KEY=state.zippex_key)
        args = ["subscriptions", "create", "zippex", "registered", "--register", "--zippex-api-url", api_url]
        result = run(home, *args, "--local", "--json", env=env)
    assert result.code == 0, result
    assert state.created_secret not in result.out + result.err
    assert result.json["webhook_id"] == "wh_1"
    assert state.zippex_hooks[0]["url"].endswith("/webhooks/zippex/registered")
    assert dev.secret("hookbridge/zippex/registered") == {
        "signing_secrets": [state.created_secret],
        "api_key": state.zippex_key,
    }
    sent = hb("send", "zippex", "delivery.created", "--subscription", "registered", "--local")
    assert sent.out.startswith("200 "), sent


@pytest.mark.parametrize("provider", providers.names())
def test_every_provider_takes_its_documented_secret_and_rotates_it(hb: Any, dev: Dev, provider: str) -> None:
    """Each sender's demo secret (its own form: whsec_<base64> for Standard Webhooks) is accepted, and its
    credential rotates; a kind a secret holds twice over (Zinc, Zonos) asks for --kind."""
    demo = f"events/{provider}/demo-secret.json"
    created = hb("subscriptions", "create", provider, "every", "--secret-file", demo, "--local", "--json")
    assert created.code == 0, created
    held = [
        k
        for k in ("signing_secrets", "tokens", "basic_auth", "public_keys")
        if json.loads(Path(demo).read_text()).get(k)
    ]
    rotated = hb(
        "subscriptions", "rotate", provider, "every", "--kind", held[0], "--local", "--json", stdin="n:v\n"
    )
    assert rotated.code == 0, rotated
    assert dev.secret(f"hookbridge/{provider}/every")[held[0]][0] in (
        "n:v",
        {"username": "n", "password": "v"},
    )
