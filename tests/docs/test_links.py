"""Every link in the repository's Markdown leads somewhere: to a file that exists and, when it names one, to
a heading that file has (as GitHub makes a heading's anchor). A manual whose links break sends its reader
nowhere, and moves of pages (the README into docs/) are where they break."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.support.template import ROOT

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")


def markdown_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # docs/sources/ holds fragments scripts/docs.py puts into docs/senders/: their links are written from
    # there, and checked there, in the generated pages.
    return sorted(f for f in listed if (ROOT / f).is_file() and not f.startswith("docs/sources/"))


def prose(text: str) -> str:
    """The text outside code: a link-like string in a code block is not a link."""
    return CODE.sub("", FENCE.sub("", text))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as hyphens,
    a repeated heading's with -1, -2, ..."""
    seen: Counter[str] = Counter()
    found = set()
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return found


def broken_links(relative: str) -> list[str]:
    source = ROOT / relative
    broken = []
    for target in LINK.findall(prose(source.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z]+:", target):  # https:, mailto: ...: not ours to check offline
            continue
        path, _, anchor = target.partition("#")
        resolved = (source.parent / path).resolve() if path else source
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no such heading)")
    return broken


@pytest.mark.parametrize("relative", markdown_files())
def test_every_link_leads_to_a_file_and_heading_that_exist(relative: str) -> None:
    broken = broken_links(relative)
    assert not broken, f"{relative} links to what is not there: {broken}"


def test_the_check_sees_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n## Its part\n\n[ok](#its-part) [gone](#nowhere) [none](missing.md)\n")
    (tmp_path / "other.md").write_text("# Other\n")
    assert anchors(page) == {"a-page", "its-part"}
    links = [t for t in LINK.findall(prose(page.read_text()))]
    assert links == ["#its-part", "#nowhere", "missing.md"]
