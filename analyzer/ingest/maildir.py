"""Maildir folders and directories of .eml files."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path

from analyzer.records import Provenance, RawMail, Rejection, too_large_detail


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new"))


def read_maildir(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    source = str(path.resolve())
    box = mailbox.Maildir(str(path), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        provenance = Provenance(source=source, locator=f"maildir:{key}", list_hint=list_hint)
        try:
            with box.get_file(key) as handle:
                data = handle.read(max_size + 1)
        except OSError as exc:
            yield Rejection("unreadable", f"{type(exc).__name__}: {exc}", provenance)
            continue
        if len(data) > max_size:
            yield Rejection("too-large", too_large_detail(len(data), max_size), provenance, len(data))
        else:
            yield RawMail(data, provenance)


def read_eml_dir(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    source = str(path.resolve())
    for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".eml"):
        yield _read_file(file, source=source, locator=str(file.relative_to(path)), max_size=max_size, list_hint=list_hint)


def read_eml_file(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    yield _read_file(path, source=str(path.resolve()), locator=path.name, max_size=max_size, list_hint=list_hint)


def _read_file(file: Path, *, source: str, locator: str, max_size: int, list_hint: str | None) -> RawMail | Rejection:
    provenance = Provenance(source=source, locator=locator, list_hint=list_hint)
    try:
        size = file.stat().st_size
        if size > max_size:
            return Rejection("too-large", too_large_detail(size, max_size), provenance, size)
        return RawMail(file.read_bytes(), provenance)
    except OSError as exc:
        return Rejection("unreadable", f"{type(exc).__name__}: {exc}", provenance)
