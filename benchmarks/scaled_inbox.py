"""Inboxes of a chosen size built from the real archive, for the scale benchmarks.

Past the archive's own size the messages are sent again as distinct copies: copy K (K >= 1)
rewrites every Message-ID in the Message-ID, In-Reply-To and References headers to
``<cK.ID>`` and adds `` (copy K)`` to the subject, so each thread stays intact (replies
find their parents, quotes their sources) but is a thread of its own: no copy is taken for
a duplicate, threaded by subject into another copy, or linked as another version of the
same patch series. Nothing is written into the project: the inbox goes to a temporary
folder (a 100,000-message inbox is about 0.5 GB of git).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from analyzer.ingest import publicinbox
from analyzer.ingest.inbox_writer import write_inbox
from analyzer.records import RawMail

_ID_HEADER = re.compile(rb"(?i)^(message-id|in-reply-to|references)\s*:")
_SUBJECT = re.compile(rb"(?i)^subject\s*:")
_ANGLE_ID = re.compile(rb"<([^<>\s]+)>")


def copy_of(raw: bytes, copy: int) -> bytes:
    """``raw`` as copy ``copy`` (0: unchanged): ids rewritten, subject marked."""
    if copy == 0:
        return raw
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    newline = b"\r\n" if crlf != -1 and (lf == -1 or crlf < lf) else b"\n"
    head, sep, body = raw.partition(newline * 2)
    lines = head.split(newline)
    in_ids = False
    for number, line in enumerate(lines):
        if line[:1] not in (b" ", b"\t"):
            in_ids = bool(_ID_HEADER.match(line))
            if _SUBJECT.match(line):
                lines[number] = line + b" (copy %d)" % copy
                continue
        if in_ids:
            lines[number] = _ANGLE_ID.sub(lambda m: b"<c%d.%s>" % (copy, m.group(1)), line)
    return newline.join(lines) + sep + body


def archive_messages(archive: Path) -> list[bytes]:
    """Every message of a one-epoch archive, oldest first."""
    (reads,) = publicinbox.plan_epochs(archive, {})
    return [r.data for r in publicinbox.stream_epoch(reads, max_size=1 << 40, list_hint=None) if isinstance(r, RawMail)]


def scaled(messages: list[bytes], count: int) -> Iterator[bytes]:
    """The first ``count`` of the messages, then of copy 1, copy 2, ..."""
    def copies() -> Iterator[bytes]:
        copy = 0
        while True:
            yield from (copy_of(raw, copy) for raw in messages)
            copy += 1

    return islice(copies(), count)


def build_inbox(archive: Path, count: int, folder: Path, *, epochs: int = 2) -> Path:
    """An inbox of ``count`` messages in ``epochs`` epochs of (nearly) equal size."""
    messages = archive_messages(archive)
    write_inbox(scaled(messages, count), folder, per_epoch=-(-count // epochs))
    return folder
