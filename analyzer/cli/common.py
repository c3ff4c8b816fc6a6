"""What every command module shares: consoles, the --db option, error handling, progress."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from analyzer.display import visible
from analyzer.errors import AnalyzerError

err = Console(stderr=True)
out = Console()

DEFAULT_DB = "analyzer.db"
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="ANALYZER_DB", help="SQLite database to use (created if missing)."),
]
T = TypeVar("T")


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; an AnalyzerError becomes a one-line message and exit status 2, and
    so do the failures of the machine rather than of the tool (a full disk, a file that
    cannot be written, a database another program holds): said in one line, never a
    traceback."""
    try:
        return action()
    except AnalyzerError as exc:
        _refuse(str(exc), exc)
    except sqlite3.Error as exc:
        _refuse(f"the database could not be written or read ({exc}); check free disk space and that no other "
                "program is writing to it", exc)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _refuse(f"{where}{exc.strerror or exc}; check the path, its permissions and free disk space", exc)
    raise AssertionError("unreachable")


def _refuse(message: str, exc: BaseException) -> NoReturn:
    # Plain text on one line (whitespace collapsed): paths and subjects such as
    # "[PATCH].mbox" are not markup, and a message with a newline inside is still one line.
    typer.echo(f"{typer.style('error:', fg='red')} {' '.join(visible(message).split())}", err=True)
    raise typer.Exit(2) from exc


def cell(text: str | None) -> Text:
    """A table cell or a one-line field from mail: controls shown, never markup."""
    return Text(visible(text or "", multiline=False))


def fail(message: str) -> None:
    """Stop the command with a one-line error that says what to do."""
    guarded(lambda: _raise(message))


def _raise(message: str) -> None:
    raise AnalyzerError(message)


class RichProgress:
    """Progress bars on stderr; quiet when disabled (by default when stderr is not a terminal)."""

    def __init__(self, enabled: bool, verb: str = "ingest") -> None:
        self._verb = verb
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._task: Any = None

    def start(self, label: str, total: int | None) -> None:
        for task in list(self._progress.task_ids):  # one bar per source, not a growing stack
            self._progress.remove_task(task)
        self._progress.start()
        shown = label if len(label) < 60 else "…" + label[-59:]
        self._task = self._progress.add_task(f"{self._verb} {shown}", total=total)

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)

    def finish(self) -> None:
        self._progress.stop()
