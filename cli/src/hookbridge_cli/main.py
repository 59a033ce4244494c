"""hookbridge: run the stack locally, send sample webhooks, and operate a deployment.

Commands act on the deployed stack (--stack; your AWS credentials) unless --local, which targets
`hookbridge dev` on this machine. Exit codes: 0 done, 1 refused (not found, exists, rejected), 2 usage,
3 AWS or the network failed, 4 a bug. --debug (anywhere) shows the traceback of a failure.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from typer import _click

from hookbridge_cli.commands import (
    console,
    dev,
    dlq,
    events,
    health,
    listen,
    load,
    providers,
    send,
    subscriptions,
    verify,
)
from hookbridge_cli.errors import USAGE, report

app = typer.Typer(help=__doc__, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
app.command()(dev.dev)
app.command()(send.send)
app.command()(load.load)
app.add_typer(subscriptions.app, name="subscriptions")
app.add_typer(events.app, name="events")
app.add_typer(dlq.app, name="dlq")
app.command()(health.health)
app.add_typer(providers.app, name="providers")
app.command()(listen.listen)
app.command()(verify.verify)
app.command()(console.console)


def main(argv: Sequence[str] | None = None) -> int:
    """The `hookbridge` command: runs one command and turns whatever it raised into an exit code and one
    line on stderr (the traceback too with --debug)."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = args[: args.index("--")] if "--" in args else args
    debug = "--debug" in options
    if debug:
        args.remove("--debug")
    try:
        result = typer.main.get_command(app).main(args=args, prog_name="hookbridge", standalone_mode=False)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        if isinstance(exc, _click.exceptions.NoArgsIsHelpError):  # a bare group: its help is the answer
            sys.stderr.write(exc.format_message() + "\n")
            return USAGE
        code, line = report(exc)
        if debug:
            traceback.print_exc()
        if line:
            sys.stderr.write(f"hookbridge: {line}\n")
        return code
    return result if isinstance(result, int) else 0
