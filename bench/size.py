"""Deployed size: the built layer and each function after `sam build`, unzipped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".aws-sam" / "build"


def build() -> None:
    # Under `uv run`, "python" is the project's venv, which has no uv: uv names itself in $UV.
    uv = [os.environ["UV"]] if "UV" in os.environ else ["python", "-m", "uv"]
    subprocess.run(  # noqa: S603 - uv, sam, and our own template
        [*uv, "tool", "run", "--from", "aws-sam-cli==1.170.0", "sam", "build"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
    )


def sizes() -> dict[str, int]:
    """Bytes per built artifact (the layer, each function)."""
    return {
        path.name: sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        for path in sorted(BUILD.iterdir())
        if path.is_dir()
    }
