"""The suite passes beside the `hookbridge dev` a newcomer leaves running: the README's Quick start starts
one on the default ports, announced in the user's own home, and then runs the tests. The CLI tests that
must find no local stack are run here (as a separate pytest) with such a dev up, so that any of them that
still reaches for the default ports or the user's announcement fails."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hookbridge_cli.local.names import AWS_PORT, HTTP_PORT

from tests.cli.conftest import Dev, start_dev
from tests.support.template import ROOT

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"]), pytest.mark.slow]

# The three that failed so (reaching for the default ports after their own dev stopped, or with none), and
# one that uses the shared dev of its module.
AFFECTED = [
    "tests/cli/test_dev.py::test_stops_cleanly_and_withdraws_its_announcement",
    "tests/cli/test_errors.py::test_no_dev_running_says_to_start_it",
    "tests/cli/test_errors.py::test_forgetting_local_says_to_add_it",
]


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def users_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A user's home with `hookbridge dev` running on the default ports and announced there. On a machine
    where something already holds a default port (a dev someone left running), that is the case to test."""
    home = tmp_path_factory.mktemp("user")
    running: Dev | None = None
    if _free(AWS_PORT) and _free(HTTP_PORT):
        running = start_dev(home, aws_port=AWS_PORT, http_port=HTTP_PORT)
        assert (home / "dev.json").exists()
    try:
        yield home
    finally:
        if running is not None:
            with contextlib.suppress(Exception):
                running.stop()


def test_cli_tests_pass_beside_a_dev_on_the_default_ports(users_home: Path) -> None:
    assert not _free(AWS_PORT)
    assert not _free(HTTP_PORT)
    # The user's shell: their announcement where `hookbridge` looks by default.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "XDG_"))}
    env.update({"HOME": str(users_home), "HOOKBRIDGE_HOME": str(users_home)})
    done = subprocess.run(  # noqa: S603 - the project's own test suite
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-m",
            "",
            *AFFECTED,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
