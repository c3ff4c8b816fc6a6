"""Parsed mail as the rows the store writes for it, made where the mail was parsed.

Everything a message costs before SQLite sees it (JSON of its addresses, references and
defects; its provenance and list rows) is done here, in the parse worker, so that the one
writer of an ingest run only hands ready tuples to ``executemany``, and the driver
unpickles flat tuples of strings rather than rebuilding ``Message`` objects. The store
writes the same rows whichever process made them: ``Store.write_batch`` goes through
:func:`batch_rows` too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzer.records import Address, Message, Provenance, Rejection

MessageRow = tuple[object, ...]
"""The ``messages`` columns of ``INSERT_MESSAGE``, in order."""
SourceRow = tuple[str, str, str]
"""(message id, source, locator): where a message was read."""
ListRow = tuple[str, str]
"""(message id, list id)."""
SeenAgain = tuple[str, Provenance, tuple[str, ...]]
"""A message whose Message-ID is already stored: (id, where it was seen, its lists)."""


@dataclass(slots=True)
class BatchRows:
    """One batch's rows, in the order they are written; a duplicate's ``messages`` row is
    ignored by the store (it counts as a duplicate) but its source and lists are kept."""

    messages: list[MessageRow] = field(default_factory=list)
    sources: list[SourceRow] = field(default_factory=list)
    lists: list[ListRow] = field(default_factory=list)
    seen_again: int = 0
    """Messages read again whose id the driver already knew stored (no ``messages`` row)."""

    def extend(self, other: BatchRows) -> None:
        self.messages += other.messages
        self.sources += other.sources
        self.lists += other.lists
        self.seen_again += other.seen_again


@dataclass(slots=True)
class PreparedMail:
    """What a parse worker hands back for a run of raw mail: the rows to store, the
    rejections (in reading order) and how many items it read."""

    rows: BatchRows
    rejections: list[Rejection]
    read: int


def prepared(items: Sequence[Message | Rejection]) -> PreparedMail:
    """Parse results (in reading order) as rows and rejections."""
    messages = [item for item in items if isinstance(item, Message)]
    rejections = [item for item in items if isinstance(item, Rejection)]
    return PreparedMail(batch_rows(messages, []), rejections, len(items))


def batch_rows(messages: Iterable[Message], seen_again: Iterable[SeenAgain]) -> BatchRows:
    """The rows of parsed ``messages`` and of mail ``seen_again``, in the order the store
    has always written them: every message's row, then every source and list (the
    messages' first, then those seen again)."""
    batch = list(messages)
    seen = [(m.message_id, m.provenance, m.list_ids) for m in batch if m.provenance is not None]
    again = list(seen_again)
    seen += again
    return BatchRows(
        messages=[message_row(m) for m in batch],
        sources=[(mid, p.source, p.locator) for mid, p, _ in seen],
        lists=[(mid, list_id) for mid, _, lists in seen for list_id in lists],
        seen_again=len(again),
    )


def message_row(m: Message) -> MessageRow:
    provenance = m.provenance or Provenance(source="", locator="")
    return (
        m.message_id,
        int(m.synthetic_id),
        m.subject,
        m.author.name,
        m.author.email,
        _addresses_json(m.to),
        _addresses_json(m.cc),
        m.date,
        m.date_raw,
        m.in_reply_to,
        json.dumps(list(m.references)),
        m.body,
        m.body_kind,
        json.dumps(list(m.defects), ensure_ascii=False),
        m.size,
        m.recovered,
        provenance.source,
        provenance.locator,
        provenance.envelope_date,
    )


@functools.lru_cache(maxsize=1024)
def _addresses_json(addresses: tuple[Address, ...]) -> str:
    """JSON of a To/Cc list; cached, as replies in a thread repeat the same lists."""
    return json.dumps([{"name": a.name, "email": a.email} for a in addresses], ensure_ascii=False)


INSERT_MESSAGE = """INSERT OR IGNORE INTO messages(message_id, synthetic_id, subject, author_name,
    author_email, to_json, cc_json, date, date_raw, in_reply_to, references_json, body,
    body_kind, defects_json, size, recovered, first_source, first_locator, envelope_date)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"""
INSERT_SOURCE = "INSERT OR IGNORE INTO message_sources(message_id, source, locator) VALUES (?, ?, ?)"
INSERT_LIST = "INSERT OR IGNORE INTO message_lists(message_id, list_id) VALUES (?, ?)"
