"""`hookbridge providers`: list and show the definitions, check a new one before deploying it."""

from __future__ import annotations

import json
from pathlib import Path

from hookbridge_cli.main import app
from hookbridge_cli.template import ROOT
from typer.testing import CliRunner

from hookbridge import providers
from hookbridge.providers import DEFINITIONS

runner = CliRunner()


def test_list_shows_every_definition_as_json() -> None:
    result = runner.invoke(app, ["providers", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["name"] for r in rows] == providers.names()
    github = next(r for r in rows if r["name"] == "github")
    assert github["route"] == "POST /webhooks/github/{subscription}"
    assert github["auth"] == "hmac-sha256 hex in X-Hub-Signature-256"


def test_show_prints_the_definition_and_refuses_an_unknown_name() -> None:
    result = runner.invoke(app, ["providers", "show", "stripe", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["route"] == "POST /webhooks/stripe/{subscription}"
    assert shown["auth"]["schemes"][0]["header"] == "Stripe-Signature"
    refused = runner.invoke(app, ["providers", "show", "nosuch"])
    assert refused.exit_code == 1
    assert "no provider definition nosuch.toml" in refused.output


def test_check_signs_and_verifies_a_new_definition(tmp_path: Path) -> None:
    """A fifth sender, as the README's recipe adds it: no samples yet, a generated secret."""
    new = tmp_path / "acme.toml"
    new.write_text(
        (DEFINITIONS / "stripe.toml")
        .read_text()
        .replace('name = "stripe"', 'name = "acme"')
        .replace("Stripe-Signature", "Acme-Signature")
    )
    result = runner.invoke(app, ["providers", "check", str(new), "--json"])
    assert result.exit_code == 0, result.output
    checked = json.loads(result.output)
    assert checked["verified_by"] == "hmac-sha256"
    assert checked["changed_body_refused"] is True
    assert checked["event_id"] == "evt_hookbridge_check"


def test_check_of_every_shipped_definition_passes_with_its_samples() -> None:
    for name in providers.names():
        result = runner.invoke(app, ["providers", "check", str(DEFINITIONS / f"{name}.toml"), "--json"])
        assert result.exit_code == 0, (name, result.output)
        checked = json.loads(result.output)
        assert checked["recognized"] is True, name
        assert checked["changed_body_refused"] is (name != "zinc"), name  # Zinc's token is in the URL


def test_check_refuses_an_invalid_file_with_exit_code_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "acme.toml"
    bad.write_text(
        (DEFINITIONS / "github.toml")
        .read_text()
        .replace('name = "github"', 'name = "acme"')
        .replace('algorithm = "sha256"', 'algorithm = "md5"')
    )
    result = runner.invoke(app, ["providers", "check", str(bad)])
    assert result.exit_code == 2
    assert "acme.toml" in result.output
    assert "auth.schemes.0.hmac.algorithm" in result.output
    missing = runner.invoke(app, ["providers", "check", str(tmp_path / "nothing.toml")])
    assert missing.exit_code == 2
    assert "cannot read" in missing.output


def test_the_readme_recipe_definition_checks(tmp_path: Path) -> None:
    """The README's "Adding a provider" example is a working definition."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Adding a provider", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    definition = tmp_path / "acme.toml"
    definition.write_text("\n".join(line.removeprefix("   ") for line in block.splitlines()))
    result = runner.invoke(app, ["providers", "check", str(definition), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verified_by"] == "hmac-sha256"
