"""What every command module shares: consoles, the --db option, error handling, progress."""

from __future__ import annotations

import sqlite3
import time
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
EngineOption = Annotated[
    str, typer.Option("--engine", help="local: processes on this machine (-j); dask: an existing Dask cluster (--scheduler).")
]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", help="Address of the Dask scheduler for --engine dask, e.g. tcp://10.0.0.5:8786.")
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


def exit_on_failures(failed: int, what: str, db: Path, *, outstanding: int = 0, retry: str = "") -> None:
    """After a run that stored everything else: name the failures and exit 1 — this run's
    (``failed``) and those recorded by earlier runs and not tried again (``outstanding``
    counts both), so that exit 0 always means the store's results are complete."""
    earlier = max(0, outstanding - failed)
    if failed:
        err.print(f"{failed} messages could not be {what} (the rest were)", highlight=False, markup=False)
    if earlier:
        err.print(f"{earlier} messages were recorded as not {what} by earlier runs and not tried again "
                  f"(their input is unchanged){'; ' + retry + ' tries them again' if retry else ''}",
                  highlight=False, markup=False)
    if failed or earlier:
        err.print(f"`analyzer rejections --db {db}` lists each with its reason", highlight=False, markup=False)
        raise typer.Exit(1)


class PlainProgress:
    """One plain line per step of progress: when a tenth more is done, or every 30 s."""

    def __init__(self, verb: str, *, every: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._verb, self._every, self._clock = verb, every, clock
        self._label, self._done = "", 0
        self._total: int | None = None
        self._started = self._last = 0.0
        self._next_share = 0.1

    def start(self, label: str, total: int | None) -> None:
        self._label, self._total, self._done = label, total, 0
        self._started = self._last = self._clock()
        self._next_share = 0.1
        self._line()

    def advance(self, count: int) -> None:
        self._done += count
        now = self._clock()
        share = self._done / self._total if self._total else 0.0
        if share >= self._next_share or now - self._last >= self._every:
            while self._next_share <= share:
                self._next_share += 0.1
            self._last = now
            self._line()

    def finish(self) -> None:
        self._line(final=True)

    def _line(self, final: bool = False) -> None:
        elapsed = int(self._clock() - self._started)
        total = f"/{self._total}" if self._total is not None else ""
        share = f" ({100 * self._done // self._total}%)" if self._total else ""
        state = " done" if final else ""
        text = f"{self._verb} {self._label}: {self._done}{total}{share}, {elapsed // 60}:{elapsed % 60:02d}{state}"
        err.print(visible(text, multiline=False), highlight=False, markup=False, soft_wrap=True)


class RichProgress:
    """Progress on stderr: bars on a terminal, plain lines otherwise (a log, a pipe, CI),
    nothing when disabled (``--no-progress``)."""

    def __init__(self, enabled: bool, verb: str = "ingest") -> None:
        self._verb = verb
        self._plain: PlainProgress | None = None
        if enabled and not err.is_terminal:
            self._plain = PlainProgress(verb)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled or self._plain is not None,
            transient=False,
        )
        self._task: Any = None

    def start(self, label: str, total: int | None) -> None:
        if self._plain is not None:
            self._plain.start(label, total)
            return
        for task in list(self._progress.task_ids):  # one bar per source, not a growing stack
            self._progress.remove_task(task)
        self._progress.start()
        shown = label if len(label) < 60 else "…" + label[-59:]
        self._task = self._progress.add_task(f"{self._verb} {shown}", total=total)

    def advance(self, count: int) -> None:
        if self._plain is not None:
            self._plain.advance(count)
            return
        self._progress.advance(self._task, count)

    def finish(self) -> None:
        if self._plain is not None:
            self._plain.finish()
            return
        self._progress.stop()
