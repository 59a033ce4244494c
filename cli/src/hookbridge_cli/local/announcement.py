"""Where a running `hookbridge dev` says it listens, so that `--local` commands find it whatever ports it
took, and never mistake a stopped one for a running one."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Running:
    """Where a running `hookbridge dev` listens, so that `--local` commands find it whatever ports it took."""

    pid: int
    aws_port: int
    http_port: int
    state_dir: str | None = None
    providers: tuple[
        str, ...
    ] = ()  # the senders it serves (empty in an announcement from before --providers)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def home() -> Path:
    """Where `hookbridge dev` says it is running: $HOOKBRIDGE_HOME, else $XDG_STATE_HOME/hookbridge."""
    if explicit := os.environ.get("HOOKBRIDGE_HOME"):
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "hookbridge"


def announce(running: Running) -> None:
    home().mkdir(parents=True, exist_ok=True)
    temporary = home() / f"dev.json.{running.pid}"
    temporary.write_text(json.dumps(asdict(running)))
    temporary.replace(home() / "dev.json")


def withdraw(pid: int) -> None:
    """Removes the announcement if it is this process's (a second `dev` that failed must not remove it)."""
    found = running_dev()
    if found is not None and found.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            (home() / "dev.json").unlink()


def running_dev() -> Running | None:
    """The running `hookbridge dev`, or None (none announced, or its process is gone)."""
    try:
        announced = json.loads((home() / "dev.json").read_text())
        running = Running(**{**announced, "providers": tuple(announced.get("providers", ()))})
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(running.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return running
