"""Unit tests run without a network, and entry points import without AWS or an environment."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketBlockedError

from tests.support.functions import entry_points, load_function


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_blocked() -> None:
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("127.0.0.1", 9))


@pytest.mark.parametrize("name", sorted(entry_points()))
def test_entry_points_import_without_environment(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("EVENTS_TABLE", "EVENT_BUS", "HOOKBRIDGE_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    assert callable(load_function(name).handler)
