"""The command line's error contract: every failure is one line that says what to do next, and an exit
code a script can rely on. Commands raise the classes below; `report` turns anything else (click's usage
errors, botocore's failures, a bug) into the same shape. docs/operating.md's "Exit codes and errors" table is
this module.

    0 done · 1 refused (not found, exists, rejected) · 2 usage (bad argument or file) ·
    3 AWS or the network failed (retry) · 4 a bug in hookbridge (run again with --debug, report it)
"""

from __future__ import annotations

import errno
import signal
from dataclasses import dataclass, field
from types import FrameType

# typer >= 0.26 carries its own copy of click; its exceptions are what its commands raise.
import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from typer import _click as click

DONE, REFUSED, USAGE, AWS_FAILED, BUG = 0, 1, 2, 3, 4


class CliError(Exception):
    """A failure the user can act on: ``message`` says what happened, ``hint`` what to do next."""

    exit_code = REFUSED

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def line(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class Refused(CliError):
    """Not found, already exists, or rejected by the stack: exit 1."""


class Usage(CliError):
    """A bad argument, or a file that cannot be read or is invalid: exit 2. Nothing was changed."""

    exit_code = USAGE


class AwsFailed(CliError):
    """AWS or the network failed; running the command again may work: exit 3."""

    exit_code = AWS_FAILED


class Interrupted(CliError):
    """Ctrl-C (or SIGTERM) in a command that cleaned up after itself: exit 130, and what it removed."""

    exit_code = 130


def raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """A signal handler: SIGTERM ends a command as Ctrl-C does, through its clean-up."""
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, so a command that made something removes it first; also
    where SIGINT was ignored (a script's background job), so that `kill -INT` stops it cleanly."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_interrupt)


@dataclass
class Where:
    """What the command was pointed at, so a failure can say where it failed (set by target resolution)."""

    local: bool | None = None
    aws_endpoint: str | None = None
    stack: str | None = None
    notes: list[str] = field(default_factory=list)


WHERE = Where()


def report(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line for any exception a command let out."""
    if isinstance(exc, CliError):
        return exc.exit_code, exc.line()
    if isinstance(exc, click.exceptions.UsageError):
        command = exc.ctx.command_path if exc.ctx is not None else "hookbridge"
        return USAGE, f"{exc.format_message()} (see `{command} --help`)"
    if isinstance(exc, click.exceptions.ClickException):
        return exc.exit_code, exc.format_message()
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        return 130, "interrupted"
    if isinstance(exc, NoRegionError | NoCredentialsError | PartialCredentialsError):
        what = "region" if isinstance(exc, NoRegionError) else "credentials"
        return USAGE, (
            f"no AWS {what} configured: add --local to use `hookbridge dev` on this machine, or set "
            f"AWS_PROFILE / AWS_REGION for the account the stack is deployed in"
        )
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError | ConnectionError):
        return AWS_FAILED, _unreachable(exc)
    if isinstance(exc, ClientError):
        return AWS_FAILED, _client_error(exc)
    if isinstance(exc, BotoCoreError):
        return AWS_FAILED, f"AWS call failed: {exc}; run the command again"
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        return DONE, ""
    return BUG, (
        f"internal error ({type(exc).__name__}: {exc}): run again with --debug for the traceback, and "
        "report it"
    )


def _unreachable(exc: BaseException) -> str:
    if WHERE.local:
        return (
            f"cannot reach the local stack at {WHERE.aws_endpoint}: is `hookbridge dev` running? "
            "Start it in another terminal (or pass the --aws-port it printed)"
        )
    return f"cannot reach AWS ({exc}): check your network and AWS_REGION, then run the command again"


def _client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code, message = error.get("Code", "ClientError"), error.get("Message", "")
    operation = getattr(exc, "operation_name", "the call")
    if code in {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException"}:
        return f"AWS refused {operation} ({code}): use credentials allowed to operate the stack"
    if code in {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"}:
        return f"AWS refused {operation} ({code}): refresh your AWS credentials and run the command again"
    return f"AWS failed on {operation} ({code}: {message}); run the command again"
