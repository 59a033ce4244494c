"""`hookbridge providers`: list and show the definitions, check a new one before deploying it. No AWS and
no `dev` needed, so the command runs in-process through the same entry point as the console script."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hookbridge_cli.main import main
from hookbridge_cli.paths import ROOT

from hookbridge import providers
from hookbridge.providers import DEFINITIONS


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines()]


@pytest.fixture
def hookbridge(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> Ran:
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def test_list_shows_every_definition_as_json(hookbridge: Any) -> None:
    result = hookbridge("providers", "list", "--json")
    assert result.code == 0, result
    assert [r["name"] for r in result.lines] == providers.names()
    github = next(r for r in result.lines if r["name"] == "github")
    assert github["route"] == "POST /webhooks/github/{subscription}"
    assert github["auth"] == "hmac-sha256 hex in X-Hub-Signature-256"


def test_show_prints_the_definition_and_an_unknown_name_is_a_usage_error(hookbridge: Any) -> None:
    result = hookbridge("providers", "show", "stripe", "--json")
    assert result.code == 0, result
    [shown] = result.lines
    assert shown["route"] == "POST /webhooks/stripe/{subscription}"
    assert shown["auth"]["schemes"][0]["header"] == "Stripe-Signature"
    unknown = hookbridge("providers", "show", "nosuch")
    assert unknown.code == 2
    assert "unknown provider 'nosuch'" in unknown.err


def test_check_signs_and_verifies_a_new_definition(hookbridge: Any, tmp_path: Path) -> None:
    """A fifth sender, as docs/adding-a-sender.md's recipe adds it: no samples yet, a generated secret."""
    new = tmp_path / "acme.toml"
    new.write_text(
        (DEFINITIONS / "stripe.toml")
        .read_text()
        .replace('name = "stripe"', 'name = "acme"')
        .replace("Stripe-Signature", "Acme-Signature")
    )
    result = hookbridge("providers", "check", str(new), "--json")
    assert result.code == 0, result
    [checked] = result.lines
    assert checked["verified_by"] == "hmac-sha256"
    assert checked["changed_body_refused"] is True
    assert checked["event_id"] == "evt_hookbridge_check"
    # Valid, and not yet in the template: the check says what to add there.
    assert checked["in_template"] is False
    assert "add 'acme' to the Providers parameter's AllowedValues" in result.err
    assert 'acme: { Name: acme, Route: "/webhooks/acme/{subscription}" }' in result.err
    assert "add 'acme' to the list of senders of the Fn::ForEach in Conditions" in result.err
    assert "add 'acme' to the list of senders of the Fn::ForEach in Resources" in result.err


def test_check_signs_and_verifies_a_new_public_key_sender_without_samples(
    hookbridge: Any, tmp_path: Path
) -> None:
    """A generated key pair stands in for the sender's: the check signs with its private half."""
    new = tmp_path / "acme.toml"
    new.write_text((DEFINITIONS / "discord.toml").read_text().replace('name = "discord"', 'name = "acme"'))
    result = hookbridge("providers", "check", str(new), "--json")
    assert result.code == 0, result
    [checked] = result.lines
    assert (checked["verified_by"], checked["changed_body_refused"]) == ("ed25519", True)


@pytest.mark.parametrize("name", providers.names())
def test_check_of_every_shipped_definition_passes_with_its_samples(hookbridge: Any, name: str) -> None:
    result = hookbridge("providers", "check", str(DEFINITIONS / f"{name}.toml"), "--json")
    assert result.code == 0, result
    [checked] = result.lines
    assert checked["recognized"] is True
    # Zinc's token is in the URL, Postmark's basic auth and Telegram's, GitLab's and Okta's secret tokens in
    # headers, none of them over the body; Adyen, Mailgun and AWS SNS sign named fields inside the body, not
    # all of it (a space after SNS's JSON changes no field); monday's JWT carries no hash of the body;
    # Microsoft Graph's clientState is a shared value in each notification.
    unsigned_body = (
        "zinc",
        "adyen",
        "mailgun",
        "postmark",
        "telegram",
        "gitlab",
        "okta",
        "monday",
        "aws-sns",
        "google-pubsub",
        "microsoft-graph",
    )
    assert checked["changed_body_refused"] is (name not in unsigned_body)
    assert checked["in_template"] is True


def test_check_refuses_an_invalid_file_with_exit_code_2_naming_the_field(
    hookbridge: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "acme.toml"
    bad.write_text(
        (DEFINITIONS / "github.toml")
        .read_text()
        .replace('name = "github"', 'name = "acme"')
        .replace('algorithm = "sha256"', 'algorithm = "md5"')
    )
    result = hookbridge("providers", "check", str(bad))
    assert result.code == 2
    assert result.err.startswith("hookbridge: invalid definition acme.toml: ")
    assert "auth.schemes.0.hmac.algorithm" in result.err
    assert len(result.err.splitlines()) == 1
    missing = hookbridge("providers", "check", str(tmp_path / "nothing.toml"))
    assert missing.code == 2
    assert "cannot read" in missing.err


def test_the_manual_recipe_definition_checks(hookbridge: Any, tmp_path: Path) -> None:
    """The example of docs/adding-a-sender.md is a working definition."""
    page = (ROOT / "docs" / "adding-a-sender.md").read_text()
    block = page.split("```toml\n", 1)[1].split("```", 1)[0]
    definition = tmp_path / "acme.toml"
    definition.write_text("\n".join(line.removeprefix("   ") for line in block.splitlines()))
    result = hookbridge("providers", "check", str(definition), "--json")
    assert result.code == 0, result
    assert result.lines[0]["verified_by"] == "hmac-sha256"


def test_check_refuses_with_exit_code_1_a_definition_its_samples_cannot_prove(
    hookbridge: Any, tmp_path: Path
) -> None:
    """Zinc's samples and demo secret hold a token: a Zinc definition asking for an HMAC cannot sign them."""
    wrong = tmp_path / "zinc.toml"
    wrong.write_text(
        (DEFINITIONS / "zinc.toml")
        .read_text()
        .replace('require = "any"\n', "")
        .replace(
            'schemes = [{ kind = "token", query = "token" }, { kind = "basic" }]',
            'schemes = [{ kind = "hmac", header = "X-Zinc-Signature" }]',
        )
    )
    result = hookbridge("providers", "check", str(wrong))
    assert result.code == 1, result
    assert "zinc.toml: cannot sign with the secret" in result.err
