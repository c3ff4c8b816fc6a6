"""Recognise what a SOURCE argument is and read it as a stream of RawMail/Rejection."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from analyzer.errors import SourceError
from analyzer.ingest import lore, maildir, mbox, publicinbox
from analyzer.records import RawMail, Rejection

SourceFormat = Literal["auto", "mbox", "maildir", "eml", "public-inbox", "lore"]
FORMATS: tuple[str, ...] = ("auto", "mbox", "maildir", "eml", "public-inbox", "lore")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    max_size: int = 25 * 1024 * 1024
    expansion: mbox.ExpansionCap = field(default_factory=mbox.ExpansionCap)
    mbox_variant: mbox.MboxVariant = "mboxrd"
    list_hint: str | None = None
    lore_base: str = lore.DEFAULT_BASE


@dataclass(frozen=True, slots=True)
class PlannedSource:
    """A recognised source: what it is and roughly how many messages it will yield."""

    target: str
    kind: SourceFormat
    estimate: int | None
    items: Iterator[RawMail | Rejection]
    epochs: tuple[publicinbox.EpochRead, ...] = ()
    """A public-inbox source's epochs and what is left to read of each (for reading them
    in parallel; ``items`` reads them one after the other)."""


def detect(target: str) -> SourceFormat:
    """Guess the format of ``target``; SourceError says what was expected."""
    if target.startswith(("http://", "https://")):
        return "lore"
    path = Path(target)
    if path.is_dir():
        return _detect_directory(target, path)
    if path.is_file():
        return "eml" if path.suffix.lower() == ".eml" else "mbox"
    if "@" in target and not path.exists() and "/" not in target.strip("<>"):
        return "lore"
    if path.exists():
        raise SourceError(f"{target}: not a regular file or directory; give an mbox file, a Maildir or an archive")
    raise SourceError(f"{target}: no such file or directory (give a path, a lore URL or a Message-ID)")


def _detect_directory(target: str, path: Path) -> SourceFormat:
    _require_listable(target, path)
    if maildir.is_maildir(path):
        return "maildir"
    if publicinbox.is_public_inbox(path):
        return "public-inbox"
    if any(p.suffix.lower() == ".eml" for p in path.rglob("*.eml")):
        return "eml"
    raise SourceError(
        f"{target}: a directory that is neither a Maildir (cur/, new/), a public-inbox "
        "archive (bare git or git/N.git epochs) nor a folder of .eml files; "
        "give mbox files by name (e.g. DIR/*.mbox)"
    )


def check(target: str, kind: SourceFormat) -> SourceFormat:
    """The format of ``target`` (detected when ``auto``), after making sure it can be
    read at all: SourceError, saying what to do, instead of a failure halfway through."""
    if kind not in FORMATS:
        raise SourceError(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")
    resolved = detect(target) if kind == "auto" else kind
    if resolved == "lore":
        return resolved
    path = Path(target)
    if not path.exists():
        raise SourceError(f"{target}: no such file or directory")
    if path.is_dir():
        _require_listable(target, path)
    else:
        _require_readable(target, path)
    _require_shape(target, path, resolved)
    return resolved


def _require_shape(target: str, path: Path, kind: SourceFormat) -> None:
    """A format given with --format must fit what is on disk."""
    expected = {
        "mbox": (path.is_file(), "an mbox file"),
        "maildir": (maildir.is_maildir(path), "a Maildir (a directory with cur/ and new/)"),
        "public-inbox": (publicinbox.is_public_inbox(path), "a public-inbox archive (bare git or git/N.git)"),
        "eml": (path.is_file() or path.is_dir(), "an .eml file or a folder of them"),
    }
    fits, wanted = expected.get(kind, (True, ""))
    if not fits:
        raise SourceError(f"{target}: --format {kind} needs {wanted}; pick another --format or leave it out")
    if kind == "maildir":
        maildir.check_maildir(path)
    if kind == "public-inbox":
        publicinbox.check_archive(path)


def _require_readable(target: str, path: Path) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except IsADirectoryError as exc:
        raise SourceError(f"{target}: a directory, not a file; drop --format or give a file") from exc
    except OSError as exc:
        raise SourceError(f"{target}: cannot be read ({exc.strerror or exc}); check its permissions") from exc


def _require_listable(target: str, path: Path) -> None:
    try:
        next(path.iterdir(), None)
    except OSError as exc:
        raise SourceError(f"{target}: cannot be listed ({exc.strerror or exc}); check its permissions") from exc


def open_source(
    target: str,
    kind: SourceFormat,
    options: ReadOptions,
    *,
    cursors: Mapping[str, str],
    lore_client: lore.LoreClient | None,
) -> PlannedSource:
    kind = detect(target) if kind == "auto" else kind
    path = Path(target)
    if kind == "mbox":
        items = mbox.read_mbox_file(
            path, max_size=options.max_size, cap=options.expansion, variant=options.mbox_variant, list_hint=options.list_hint
        )
        return PlannedSource(target, kind, None, items)
    if kind == "maildir":
        return PlannedSource(target, kind, None, maildir.read_maildir(path, max_size=options.max_size, list_hint=options.list_hint))
    if kind == "eml":
        reader = maildir.read_eml_file if path.is_file() else maildir.read_eml_dir
        return PlannedSource(target, kind, None, reader(path, max_size=options.max_size, list_hint=options.list_hint))
    if kind == "public-inbox":
        plan = publicinbox.plan_epochs(path, cursors)
        if not plan:
            raise SourceError(f"{target}: no public-inbox epochs found (expected a bare git repo or git/N.git)")
        total = sum(reads.count for reads in plan)
        return PlannedSource(target, kind, total, _chain_epochs(plan, options), tuple(plan))
    if kind == "lore":
        if lore_client is None:
            raise SourceError("fetching from lore needs an HTTP client")
        ref = lore.thread_ref(target, base=options.lore_base)
        items = lore.read_lore_thread(lore_client, ref, max_size=options.max_size, cap=options.expansion, list_hint=options.list_hint)
        return PlannedSource(ref.url, kind, None, items)
    raise SourceError(f"unknown format {kind!r}; choose one of {', '.join(FORMATS)}")


def _chain_epochs(plan: list[publicinbox.EpochRead], options: ReadOptions) -> Iterator[RawMail | Rejection]:
    for reads in plan:
        yield from publicinbox.stream_epoch(reads, max_size=options.max_size, list_hint=options.list_hint)
