"""Which local stack a `--local` command reaches: the announced dev's ports, else the default ones. Checked in
process: run as a subprocess, "nothing on the default port" would depend on the machine (a user's dev)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hookbridge_cli.local.announcement import Running, announce, running_dev
from hookbridge_cli.local.names import AWS_PORT, HTTP_PORT
from hookbridge_cli.target import local_ports


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOOKBRIDGE_HOME", str(tmp_path))
    return tmp_path


def test_no_announcement_means_the_default_ports() -> None:
    assert running_dev() is None
    assert local_ports(None) == (AWS_PORT, HTTP_PORT)


def test_an_announced_dev_gives_its_ports() -> None:
    announce(Running(os.getpid(), 41001, 41002))
    assert local_ports(None) == (41001, 41002)
    assert local_ports(41001) == (41001, 41002)
    assert local_ports(41003) == (41003, HTTP_PORT)  # another port named: not the announced dev's


def test_an_announcement_left_by_a_dead_dev_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "dev.json").write_text('{"pid": 2147483647, "aws_port": 41001, "http_port": 41002}')
    assert local_ports(None) == (AWS_PORT, HTTP_PORT)


def test_home_is_hookbridge_home_else_the_xdg_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests give every `hookbridge` they run its own HOOKBRIDGE_HOME, so that a user's announcement (in the
    state dir) is never theirs."""
    from hookbridge_cli.local.announcement import home

    assert home() == tmp_path
    monkeypatch.delenv("HOOKBRIDGE_HOME")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert home() == tmp_path / "state" / "hookbridge"
