"""Reading a thread file (mbox, .eml, Maildir…) into Message records for labelling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.ingest.sources import ReadOptions, open_source
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail, Rejection


@dataclass(frozen=True, slots=True)
class ThreadFile:
    messages: tuple[Message, ...]
    rejected: tuple[Rejection, ...]


def read_thread_file(path: Path, *, options: ReadOptions = ReadOptions()) -> ThreadFile:
    """Every message of a local mail file or folder, parsed; rejections kept, not raised."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory (give an mbox file written by b4 or lore)")
    planned = open_source(str(path), "auto", options, cursors={}, lore_client=None)
    if planned.kind == "lore":
        raise SourceError(f"{path}: not a local file")
    policy = ParsePolicy(max_size=options.max_size)
    messages: list[Message] = []
    rejected: list[Rejection] = []
    for item in planned.items:
        parsed = parse_raw(item, policy) if isinstance(item, RawMail) else item
        (messages if isinstance(parsed, Message) else rejected).append(parsed)  # type: ignore[arg-type]
    return ThreadFile(tuple(messages), tuple(rejected))
