"""Everything the command prints, in one place: human tables and lines on a terminal, or with --json one
JSON object per line (stable field names, documented in docs/operating.md) for scripts.

Tables never cut a value: on a terminal a long cell folds onto the next line; piped into a file or
another program, each row stays one line however wide, so ids and URLs can be copied and grepped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def _console(stream: Any) -> Console:
    if stream.isatty():
        return Console(file=stream, highlight=False)
    # Not a terminal: no width to fit, so no folding either.
    return Console(file=stream, width=1_000_000, highlight=False, no_color=True, soft_wrap=True)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._out = _console(sys.stdout)
        self._err = _console(sys.stderr)

    def rows(
        self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str | None = None
    ) -> None:
        """A table of rows (JSON: one object per row, every field, not only the columns shown)."""
        if self.as_json:
            for row in rows:
                self.json(row)
            return
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        self._out.print(table)

    def result(self, record: Mapping[str, Any], line: str) -> None:
        """The outcome of a command that did one thing: a sentence for people, the record for scripts."""
        if self.as_json:
            self.json(record)
        else:
            self.say(line)

    def json(self, record: Any) -> None:
        sys.stdout.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def document(self, record: Any) -> None:
        """One JSON document: indented for people, one line for scripts."""
        if self.as_json:
            self.json(record)
        else:
            sys.stdout.write(json.dumps(record, default=str, indent=2) + "\n")

    def say(self, text: str, style: str | None = None) -> None:
        """A line for people (not printed with --json, whose output is only the records)."""
        if not self.as_json:
            self._out.print(text, style=style, markup=False)

    def note(self, text: str) -> None:
        """Progress and advice: to stderr, so stdout stays the result (with --json too)."""
        self._err.print(text, markup=False, style="dim" if sys.stderr.isatty() else None)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(map(_cell, value))
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
