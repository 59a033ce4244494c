"""Every command the README's Quick start and docs/operating.md show runs as shown: each shell block is run,
verbatim and in order, by bash beside a `hookbridge dev` of this test's own (free ports, its own
announcement), in a fresh directory holding the repository's files, as a reader would paste it. A command
that exits non-zero fails the test with the block and its output.

Three things a reader's shell does that the test does differently, each for a reason:
- `hookbridge dev` is the stack the test started (the `dev` fixture); a line that starts it is not run again.
- `python -m uv run X` runs X in the project's environment, which the test already runs in (its `python` has
  no uv): a shell function does the same.
- a block that needs AWS says so, with its reason, in a comment before it: `<!-- not run: <reason> -->`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Dev, user_environment
from tests.support.template import ROOT

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]

BLOCK = re.compile(r"(?:<!-- not run: (?P<reason>[^>]+?) -->\s*\n)?```sh\n(?P<code>.*?)```", re.DOTALL)
# Lines the test does not run, and why.
NOT_RUN = {
    re.compile(r"\bhookbridge dev\b"): "the stack this test started",
    re.compile(r"^python -m uv run pytest\b"): "the test suite this test is part of",
}
# `python -m uv run X`, in the project's environment the test runs in.
UV_RUN = (
    'python() { if [ "${1-} ${2-} ${3-}" = "-m uv run" ]; then shift 3; "$@"; '
    'else command python "$@"; fi; }\n'
)


def documented_blocks() -> Iterator[tuple[str, int, str | None, str]]:
    """(page, block number, reason it is not run or None, code) for each shell block the test runs."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Quick start")
    quick_start = readme[start : readme.index("\n## ", start)]
    pages = {
        "README.md#quick-start": quick_start,
        "docs/operating.md": (ROOT / "docs/operating.md").read_text(),
    }
    for page, text in pages.items():
        for number, match in enumerate(BLOCK.finditer(text), 1):
            yield page, number, match.group("reason"), match.group("code")


def logical_lines(code: str) -> list[str]:
    return [line.strip() for line in code.replace("\\\n", " ").splitlines() if line.strip()]


def runnable(code: str) -> str:
    kept = [line for line in logical_lines(code) if not any(p.search(line) for p in NOT_RUN)]
    return "\n".join(kept)


@pytest.fixture(scope="module")
def reader_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh directory holding the repository's files (links), so what a command writes lands here."""
    folder = tmp_path_factory.mktemp("reader")
    tracked = subprocess.run(
        ["git", "ls-files"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for top in sorted({name.split("/", 1)[0] for name in tracked}):
        (folder / top).symlink_to(ROOT / top)
    return folder


def test_the_blocks_are_found_and_every_skip_has_a_reason() -> None:
    blocks = list(documented_blocks())
    assert len([b for b in blocks if b[0] == "README.md#quick-start"]) == 2
    assert len([b for b in blocks if b[0] == "docs/operating.md"]) >= 8
    for page, number, reason, _ in blocks:
        assert reason is None or len(reason) > 10, f"{page} block {number}: say why it is not run"
    assert runnable("python -m pip install uv && python -m uv run hookbridge dev   # the stack\n") == ""


def test_every_documented_command_runs_as_shown(dev: Dev, home: Path, reader_directory: Path) -> None:
    env = user_environment(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    ran = 0
    for page, number, reason, code in documented_blocks():
        script = runnable(code)
        if reason is not None or not script:
            continue
        done = subprocess.run(  # noqa: S603 - the documentation's own commands
            ["bash", "-c", f"set -euo pipefail\n{UV_RUN}{script}"],  # noqa: S607
            cwd=reader_directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, (
            f"{page}, shell block {number}, exit {done.returncode}:\n{script}\n"
            f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
        ran += 1
    assert ran >= 9
