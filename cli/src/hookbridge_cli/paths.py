"""Where the repository's files are: the command runs inside a checkout of it (templates, sample events)."""

from __future__ import annotations

from pathlib import Path


def _find_root() -> Path:
    """The repository: the working directory or one above it holding template.yaml, else this package's."""
    for folder in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (folder / "template.yaml").is_file() and (folder / "events").is_dir():
            return folder
    raise FileNotFoundError("run hookbridge inside the hookbridge repository (no template.yaml found)")


ROOT = _find_root()
TEMPLATE = ROOT / "template.yaml"
SCHEMA_TEMPLATE = ROOT / "schemas" / "template.yaml"
EVENTS = ROOT / "events"
