"""The ``analyzer`` command: a thin adapter from the shell to the library.

Each command module holds one group of commands on its own ``typer.Typer``; they are all
merged here. A command opens the library object, calls one function and turns
AnalyzerError into a one-line message (exit status 2) that says what to do.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from analyzer.cli import analysis, catalogue, ingest, reports, structure

app = typer.Typer(
    help="Analyse kernel mailing-list policy debates: ingest mail, then ask who argued what.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(ingest.commands)
app.add_typer(structure.commands)
app.add_typer(analysis.commands)
app.add_typer(reports.commands)
app.add_typer(catalogue.commands, name="catalogue")


class Interrupted(BaseException):
    """Ctrl-C, raised instead of KeyboardInterrupt so that click does not turn it into
    "Aborted!" with exit status 1: the command stops with status 130, as shells expect."""


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted()


def main() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    try:
        app()
    except Interrupted:
        # Every stage commits whole batches, threads or messages with their done mark, so
        # what was not committed is redone by the next run.
        sys.stderr.write("\ninterrupted: work committed so far is kept; run the command again to finish\n")
        exit_now(130)


def exit_now(status: int) -> None:
    """Leave at once with ``status``: after Ctrl-C nothing is left to save (the store keeps
    only committed work; SQLite discards the open transaction), and the interpreter's own
    exit would wait, without a time limit, for a worker pool's internal threads that can
    hang on a pipe its killed workers no longer read."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            continue
    os._exit(status)


__all__ = ["app", "main"]
