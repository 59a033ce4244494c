"""The manual's pages that restate the code (each sender's page, the parameters, the command reference, the
metrics) are exactly what `scripts/docs.py` generates from the code now: a definition, parameter, command,
option or metric changed without regenerating them fails here, naming the command that fixes it."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.functions import load_file
from tests.support.template import ROOT


def generator() -> ModuleType:
    return load_file("docs_generator", ROOT / "scripts" / "docs.py")


def test_the_generated_pages_are_what_the_code_generates() -> None:
    stale = generator().stale()
    assert not stale, f"docs/ differs from the code in {stale}: run python -m uv run python scripts/docs.py"


def test_the_check_names_a_page_edited_by_hand_and_one_no_code_generates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = generator()
    copy = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", copy)
    monkeypatch.setattr(docs, "DOCS", copy)
    assert docs.main(["--check"]) == 0
    edited = copy / "reference" / "parameters.md"
    edited.write_text(
        edited.read_text().replace("`RetentionDays` | Number | `7`", "`RetentionDays` | Number | `30`")
    )
    (copy / "senders" / "acme.md").write_text("# Acme\n")
    assert docs.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "docs/reference/parameters.md is not what the code generates" in err
    assert "docs/senders/acme.md" in err
    assert docs.main([]) == 0  # regenerating mends both
    assert docs.stale() == []
    assert not (copy / "senders" / "acme.md").exists()


def test_every_sender_every_parameter_command_and_metric_has_its_place() -> None:
    """What the pages are made of: each page generated is there, and each names what it restates."""
    from hookbridge_cli.template import source

    from hookbridge.metrics import Metric
    from hookbridge.providers import DEFINITIONS

    pages = generator().pages()
    for definition in DEFINITIONS.glob("*.toml"):
        assert f"senders/{definition.stem}.md" in pages
        assert f"[`{definition.stem}`]({definition.stem}.md)" in pages["senders/index.md"]
    for parameter in source()["Parameters"]:
        assert f"| `{parameter}` |" in pages["reference/parameters.md"]
    for metric in Metric:
        assert f"| `{metric.value}` |" in pages["reference/metrics.md"]
    for command in ("dev", "send", "load", "subscriptions create", "events show", "dlq redrive", "health"):
        assert f"## hookbridge {command}\n" in pages["reference/cli.md"]
