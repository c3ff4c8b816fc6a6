"""Maildir folders and directories of .eml files, read without trusting what is in them.

A Maildir's messages are the files of ``new/`` and ``cur/`` (``tmp/`` holds deliveries in
progress; names starting with "." are not messages, as the Maildir convention says). Every
other entry is counted and rejected with its reason rather than read: a FIFO or device
would block or never end, and a symlink leading outside the source would read some other
file (``/etc/passwd``) as mail. Files are opened without following a last symlink and
without blocking, and checked to be regular files on the open descriptor.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.records import Provenance, RawMail, Rejection, too_large_detail

_SUBDIRS = ("new", "cur")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / sub).is_dir() for sub in ("cur", "new"))


def check_maildir(path: Path) -> None:
    """SourceError, saying what to do, when ``new/`` or ``cur/`` cannot be listed."""
    for sub in _SUBDIRS:
        _listing(path, sub)


def _listing(path: Path, sub: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path / sub) as entries:
            return [e for e in entries if not e.name.startswith(".")]
    except OSError as exc:
        raise SourceError(
            f"{path / sub}: cannot be listed ({exc.strerror or exc}); check its permissions (the Maildir's "
            "messages are in cur/ and new/)"
        ) from exc


def read_maildir(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    source = str(path.resolve())
    root = path.resolve()
    found = [(entry.name.split(":", 1)[0], Path(entry.path)) for sub in _SUBDIRS for entry in _listing(path, sub)]
    for key, file in sorted(found):
        provenance = Provenance(source=source, locator=f"maildir:{key}", list_hint=list_hint)
        yield read_mail_file(file, root=root, provenance=provenance, max_size=max_size)


def read_eml_dir(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    source = str(path.resolve())
    root = path.resolve()
    for file in sorted(_eml_files(path)):
        provenance = Provenance(source=source, locator=str(file.relative_to(path)), list_hint=list_hint)
        yield read_mail_file(file, root=root, provenance=provenance, max_size=max_size)


def _eml_files(path: Path) -> Iterator[Path]:
    """.eml entries below ``path``, not descending into hidden or symlinked folders."""
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and name.lower().endswith(".eml"):
                yield Path(folder) / name


def read_eml_file(path: Path, *, max_size: int, list_hint: str | None = None) -> Iterator[RawMail | Rejection]:
    provenance = Provenance(source=str(path.resolve()), locator=path.name, list_hint=list_hint)
    yield read_mail_file(path, root=None, provenance=provenance, max_size=max_size)


def read_mail_file(file: Path, *, root: Path | None, provenance: Provenance, max_size: int) -> RawMail | Rejection:
    """One message file, read only if it is a regular file inside ``root`` (when given)."""
    target = file
    if file.is_symlink():
        target = file.resolve()
        if root is not None and not target.is_relative_to(root):
            return Rejection("unsafe-file", f"a symlink to {target}, outside the source: not read", provenance)
    try:
        descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        return Rejection("unreadable", f"{type(exc).__name__}: {exc.strerror or exc}", provenance)
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        return Rejection("unsafe-file", f"not a regular file ({_kind(info.st_mode)}): not read", provenance)
    with os.fdopen(descriptor, "rb") as handle:
        if info.st_size > max_size:
            return Rejection("too-large", too_large_detail(info.st_size, max_size), provenance, info.st_size)
        try:
            data = handle.read(max_size + 1)
        except OSError as exc:
            return Rejection("unreadable", f"{type(exc).__name__}: {exc.strerror or exc}", provenance)
    if len(data) > max_size:
        return Rejection("too-large", too_large_detail(len(data), max_size), provenance, len(data))
    return RawMail(data, provenance)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"
