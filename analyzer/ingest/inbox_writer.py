"""Write messages as a public-inbox v2 inbox (``git/0.git``, ``git/1.git``, ...): one
commit per message with the raw message in blob ``m``, as public-inbox itself writes them.

For tests and benchmarks that need an inbox of several epochs, or of a chosen size, built
from a real archive. ``git fast-import`` writes the commits: thousands a second.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from analyzer.errors import SourceError

_START = 1_500_000_000
"""Commit time of the first message (seconds since the epoch); one second apart after it."""


def write_inbox(messages: Iterable[bytes], folder: Path, *, per_epoch: int) -> list[Path]:
    """Store ``messages`` in order as the epochs of a new inbox at ``folder``, at most
    ``per_epoch`` to an epoch; returns the epochs' paths."""
    if per_epoch < 1:
        raise ValueError("per_epoch must be at least 1")
    epochs: list[Path] = []
    stream = iter(messages)
    while True:
        first = next(stream, None)
        if first is None:
            return epochs
        path = folder / "git" / f"{len(epochs)}.git"
        _write_epoch(path, _first_then(first, stream, per_epoch - 1), stamp=_START + len(epochs) * per_epoch)
        epochs.append(path)


def _first_then(first: bytes, rest: Iterator[bytes], count: int) -> Iterator[bytes]:
    yield first
    for _ in range(count):
        item = next(rest, None)
        if item is None:
            return
        yield item


def _write_epoch(path: Path, messages: Iterable[bytes], *, stamp: int) -> None:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "--bare")
    _git(path, "symbolic-ref", "HEAD", "refs/heads/master")
    importer = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    assert importer.stdin is not None
    try:
        _commands(importer.stdin, messages, stamp)
    finally:
        importer.stdin.close()
        error = importer.stderr.read() if importer.stderr else b""
        if importer.wait() != 0:
            raise SourceError(f"git fast-import failed writing {path}: {error.decode(errors='replace').strip()}")


def _commands(out: IO[bytes], messages: Iterable[bytes], stamp: int) -> None:
    for number, message in enumerate(messages):
        out.write(b"commit refs/heads/master\ncommitter inbox <inbox@example.invalid> %d +0000\ndata 0\n"
                  b"M 100644 inline m\ndata %d\n" % (stamp + number, len(message)))
        out.write(message)
        out.write(b"\n\n")


def _git(path: Path, *args: str) -> None:
    try:
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)
    except FileNotFoundError as exc:
        raise SourceError("git is not installed; install git to write public-inbox archives") from exc
