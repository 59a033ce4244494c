"""Options every command shares, and checks of arguments that need no AWS (they fail with exit 2 before
anything is read or written)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from hookbridge import providers
from hookbridge.model import Provider
from hookbridge.subscription import SUBSCRIPTION_NAME
from hookbridge_cli.errors import Usage

Local = Annotated[
    bool, typer.Option("--local", help="Act on `hookbridge dev` on this machine instead of AWS.")
]
Stack = Annotated[str, typer.Option("--stack", help="The deployed CloudFormation stack's name.")]
AwsPort = Annotated[
    int | None,
    typer.Option("--aws-port", help="With --local: the local AWS port (default: the one `dev` announced)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON, one object per line, for scripts.")]


def provider(name: str) -> Provider:
    known = providers.names()
    if name not in known:
        raise Usage(f"unknown provider {name!r}", f"use one of {', '.join(known)}")
    return providers.load(name)


def subscription(name: str) -> str:
    if not SUBSCRIPTION_NAME.fullmatch(name):
        raise Usage(
            f"invalid subscription name {name!r}",
            "use letters, digits, '-' and '_', at most 64 characters",
        )
    return name


def when(value: str | None, default: datetime, option: str) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Usage(f"{option} {value!r} is not a time", "use ISO-8601, e.g. 2026-03-10T14:45:00Z") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
