"""mbox files (mboxrd or mboxo; plain, gzip or xz), read as a stream with bounded memory.

The standard library's ``mailbox.mbox`` needs a seekable plain file and splits on any
line starting with ``From ``. Kernel mbox files (b4, lore's t.mbox.gz) are mboxrd and are
often compressed, so this reader streams lines and only splits on a real envelope line
(``From <addr> <asctime date>``) that starts the file or follows a blank line; an
unescaped "From here on..." in a body stays in the body.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Literal, cast

from analyzer.records import Provenance, RawMail, Rejection, too_large_detail

MboxVariant = Literal["mboxrd", "mboxo"]

_ENVELOPE = re.compile(rb"^From \S+.*\d\d:\d\d:\d\d.*\d{4}")
_ESCAPED_FROM = re.compile(rb"^>+From ")
_ENVELOPE_DATE = re.compile(rb"^From \S+\s+(.*?)\s*$")
_HEADER_FIELD = re.compile(rb"^[!-9;-~]+[ \t]*:")


class DecompressionBomb(Exception):
    """The decompressed stream grew past its cap."""


@dataclass(frozen=True, slots=True)
class ExpansionCap:
    """How far a compressed file may expand: ``ratio`` x its compressed size, but at least
    ``floor`` and (unless the floor is higher) at most ``ceiling``. Decompression is
    streamed, so memory stays bounded either way; the caps bound the time a hostile
    file can take."""

    floor: int = 16 * 1024 * 1024
    ratio: int = 100
    ceiling: int = 8 * 1024 * 1024 * 1024

    def limit_for(self, compressed_size: int) -> int:
        return max(self.floor, min(self.ratio * compressed_size, self.ceiling))


class _CappedReader(io.RawIOBase):
    """Passes bytes through, raising DecompressionBomb past ``limit`` bytes."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        # read1, not read: read(n) keeps decompressing until it has n bytes, so a stream
        # cut short would lose everything decoded since the last full buffer.
        chunk = self._inner.read1(len(buffer))  # type: ignore[attr-defined]
        self.count += len(chunk)
        if self.count > self._limit:
            raise DecompressionBomb(f"expanded past {self._limit} bytes")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def compression_of(head: bytes) -> str | None:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"BZh"):
        return "bzip2"
    return None


def open_maybe_compressed(raw: IO[bytes], compressed_size: int, cap: ExpansionCap) -> IO[bytes]:
    """Wrap ``raw`` in the decompressor its magic bytes call for, with an expansion cap."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(io.RawIOBase, raw))
    kind = compression_of(buffered.peek(6)[:6])
    if kind is None:
        return buffered
    inner: IO[bytes]
    if kind == "gzip":
        inner = cast(IO[bytes], gzip.GzipFile(fileobj=buffered))
    elif kind == "xz":
        inner = lzma.LZMAFile(buffered)
    else:
        inner = bz2.BZ2File(buffered)
    capped = _CappedReader(inner, cap.limit_for(compressed_size))
    return io.BufferedReader(capped, buffer_size=1 << 20)


MAX_LINE = 1024 * 1024
"""Longest line read whole; a longer one is read in pieces and its entry rejected."""
_CHUNK = 1 << 16


def mbox_lines(stream: IO[bytes], *, max_line: int = MAX_LINE) -> Iterator[bytes]:
    """The lines of ``stream`` (each with its ending), never more than ``max_line`` bytes
    at a time: a longer line comes in pieces of that size, the last piece ending the line.
    A file whose first line ends in a bare CR (old Mac line endings) is read with every CR
    as a line end, given back as LF."""
    head = stream.read(_CHUNK)
    while head.endswith(b"\r") and (more := stream.read(_CHUNK)):  # is the CR followed by LF?
        head += more
    lines = io.BufferedReader(_Translated(head, stream, cr_only=_cr_only(head)), buffer_size=_CHUNK)
    while line := lines.readline(max_line):
        yield line


def _cr_only(head: bytes) -> bool:
    first = min((i for i in (head.find(b"\r"), head.find(b"\n")) if i != -1), default=-1)
    return first != -1 and head[first : first + 2] not in (b"\n", b"\r\n") and head[first : first + 1] == b"\r"


class _Translated(io.RawIOBase):
    """``head`` then the rest of ``inner``; every CR turned into LF when ``cr_only``."""

    def __init__(self, head: bytes, inner: IO[bytes], *, cr_only: bool) -> None:
        self._pending = head
        self._inner = inner
        self._cr_only = cr_only

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._pending or self._inner.read(len(buffer))
        data, self._pending = data[: len(buffer)], data[len(buffer) :]
        if self._cr_only:
            data = data.replace(b"\r", b"\n")
        buffer[: len(data)] = data
        return len(data)


def split_mbox(
    stream: IO[bytes],
    *,
    source: str,
    max_size: int,
    variant: MboxVariant = "mboxrd",
    list_hint: str | None = None,
    max_line: int = MAX_LINE,
) -> Iterator[RawMail | Rejection]:
    """Yield each entry of an mbox stream; entries over ``max_size`` (or with a line over
    ``max_line``) become Rejections without ever being held in memory whole.

    Every envelope line (``From <addr> <asctime date>``) at the start of the file or after
    a blank line starts an entry, as mboxrd defines it, so the entries read are exactly
    the separators in the file: an entry that does not start with a header is handed on
    (and rejected by the parser), never merged into the message before it. A "From "
    line without a date ("From here on...") is body text. Offsets are byte offsets into
    the stream as read, before any ``>From`` unescaping.
    """
    entry = _Entry(offset=0)
    previous_blank = True
    line_start = True  # False while reading the pieces of a line over max_line
    offset = 0
    for line in mbox_lines(stream, max_line=max_line):
        length = len(line)
        if line_start and previous_blank and _ENVELOPE.match(line):
            if entry.started:
                yield entry.finish(source, max_size, list_hint)
            entry = _Entry(offset=offset, envelope=line)
        else:
            if line_start and variant == "mboxrd" and _ESCAPED_FROM.match(line):
                line = line[1:]
            entry.add(line, max_size, max_line)
        previous_blank = line_start and line in (b"\n", b"\r\n")
        line_start = line.endswith(b"\n")
        offset += length
    if entry.started:
        yield entry.finish(source, max_size, list_hint)


class _Entry:
    """The lines of one mbox entry, dropped once it exceeds the size cap."""

    def __init__(self, offset: int, envelope: bytes | None = None) -> None:
        self.offset = offset
        self.envelope = envelope
        self.lines: list[bytes] = []
        self.size = 0
        self.oversized = False
        self.long_line = False

    @property
    def started(self) -> bool:
        return self.envelope is not None or self.size > 0

    def add(self, line: bytes, max_size: int, max_line: int = MAX_LINE) -> None:
        self.size += len(line)
        if len(line) >= max_line and not line.endswith(b"\n"):
            self.long_line = True  # a piece of a longer line: the entry is rejected
        if self.oversized or self.long_line:
            self.lines.clear()
            return
        if self.size > max_size:
            self.oversized = True
            self.lines.clear()
            return
        self.lines.append(line)

    def finish(self, source: str, max_size: int, list_hint: str | None) -> RawMail | Rejection:
        provenance = Provenance(
            source=source,
            locator=f"offset:{self.offset}",
            list_hint=list_hint,
            envelope_date=_envelope_date(self.envelope),
        )
        if self.oversized:
            return Rejection(
                reason="too-large",
                detail=too_large_detail(self.size, max_size),
                provenance=provenance,
                size=self.size,
            )
        if self.long_line:
            return Rejection(
                reason="line-too-long",
                detail=f"a line of over {MAX_LINE // 1024} KiB; mail lines are at most 998 characters (RFC 5322)",
                provenance=provenance,
                size=self.size,
            )
        data = b"".join(self.lines)
        # mbox separates entries with a blank line that belongs to the format, not the mail.
        if data.endswith(b"\n\n"):
            data = data[:-1]
        return RawMail(data=data, provenance=provenance)


def _envelope_date(envelope: bytes | None) -> str | None:
    if not envelope:
        return None
    match = _ENVELOPE_DATE.match(envelope)
    if not match:
        return None
    parts = match.group(1).decode("ascii", "replace").split()
    try:
        # asctime: "Mon May 11 11:30:42 2026" -> parse as an RFC 2822 date without tz
        when = dt.datetime.strptime(" ".join(parts[:5]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        try:
            when = parsedate_to_datetime(" ".join(parts))
        except (TypeError, ValueError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.isoformat()


def read_mbox_file(
    path: Path,
    *,
    max_size: int,
    cap: ExpansionCap,
    variant: MboxVariant = "mboxrd",
    list_hint: str | None = None,
) -> Iterator[RawMail | Rejection]:
    """Every entry of an mbox file; a broken or exploding compressed file ends in one
    Rejection for the unread remainder instead of an exception."""
    source = str(path.resolve())
    with path.open("rb") as raw:
        stream = open_maybe_compressed(raw, path.stat().st_size, cap)
        yield from guarded_split(stream, source=source, max_size=max_size, variant=variant, list_hint=list_hint)


def guarded_split(
    stream: IO[bytes],
    *,
    source: str,
    max_size: int,
    variant: MboxVariant,
    list_hint: str | None,
) -> Iterator[RawMail | Rejection]:
    produced = 0
    try:
        for item in split_mbox(stream, source=source, max_size=max_size, variant=variant, list_hint=list_hint):
            produced += 1
            yield item
    except DecompressionBomb as exc:
        detail = f"{exc}; the {produced} entries before it were read (raise --max-expanded if the file is trusted)"
        yield Rejection("decompression-bomb", detail, Provenance(source, f"after-entry:{produced}"))
    except EOFError as exc:
        detail = f"the compressed file is cut short ({exc}); the {produced} entries before the cut were read"
        yield Rejection("unreadable", detail, Provenance(source, f"after-entry:{produced}"))
    except (OSError, lzma.LZMAError, zlib.error) as exc:
        detail = f"{type(exc).__name__}: {exc}; the {produced} entries before it were read"
        yield Rejection("unreadable", detail, Provenance(source, f"after-entry:{produced}"))
