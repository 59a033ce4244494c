"""Every repository path a comment, docstring or document names exists: a reader sent to a file that is not
there learns to distrust the rest."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.template import ROOT

TOP = r"(?:tests|layers|cli|bench|scripts|events|schemas|examples|functions|docs|\.ci)"
# A path from the repository's root: a top-level folder, then names; placeholders (<name>, {x}, *) are not
# paths.
PATH = re.compile(rf"(?<![\w./-]){TOP}/[\w./-]*[\w/]")
# The files the worked example of docs/adding-a-sender.md has the reader create.
TO_BE_CREATED = {
    "events/acme/",
    "layers/shared/hookbridge/providers/definitions/acme.toml",
    "docs/sources/senders/acme.md",
    "docs/senders/acme.md",
}


def tracked_texts() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    suffixes = (".py", ".toml", ".yaml", ".md", ".txt")
    return [f for f in listed if f.endswith(suffixes) or f == ".ci/run"]


def named_paths(relative: str) -> set[str]:
    text = (ROOT / relative).read_text(encoding="utf-8")
    found = set()
    for match in PATH.finditer(text):
        path = match.group(0).rstrip(".")
        following = text[match.end() : match.end() + 1]
        if following in "<{*" and following:  # a pattern such as events/<provider>/, not a path
            continue
        found.add(path)
    return found


@pytest.mark.parametrize("relative", tracked_texts())
def test_every_path_it_names_exists(relative: str) -> None:
    missing = sorted(p for p in named_paths(relative) - TO_BE_CREATED if not (ROOT / p).exists())
    assert not missing, f"{relative} names paths that do not exist: {missing}"
