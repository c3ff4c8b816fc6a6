"""Plain records that cross stage boundaries (no library types inside)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

_Record = TypeVar("_Record")


def _pickled_by_position(cls: type[_Record]) -> type[_Record]:
    """Pickle as ``cls(*values)``. The dataclass default for slotted classes calls
    ``fields()`` for every object pickled or unpickled, which made handing parsed mail
    between processes cost more than a fifth of an ingest."""
    values = operator.attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]
    single = len(fields(cls)) == 1  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[type[_Record], tuple[Any, ...]]:
        found = values(self)
        return cls, ((found,) if single else found)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Provenance:
    """Where one raw message was read: the source and the place inside it."""

    source: str
    """Stable key of the source: a resolved path, or a URL."""
    locator: str
    """Position inside the source: mbox offset, commit id, Maildir key, file name."""
    list_hint: str | None = None
    """List the source is known to archive (public-inbox name, ``--list``)."""
    envelope_date: str | None = None
    """Date of the mbox ``From `` line or the archive commit, ISO 8601, if known."""
    checkpoint: tuple[str, str] | None = None
    """(cursor key, value) to remember once this message is safely stored (incremental reads)."""


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class RawMail:
    """The bytes of one message, exactly as read, with where they came from."""

    data: bytes
    provenance: Provenance


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Address:
    name: str
    email: str


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Message:
    """One decoded message, ready to store."""

    message_id: str
    synthetic_id: bool
    subject: str
    author: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: str | None
    """UTC, ISO 8601; None when the Date header is missing, invalid or far in the future."""
    date_raw: str
    in_reply_to: str | None
    references: tuple[str, ...]
    list_ids: tuple[str, ...]
    body: str
    body_kind: str
    """``plain``, ``html`` (converted to text) or ``empty``."""
    defects: tuple[str, ...]
    size: int
    recovered: str | None = None
    """Value of ``X-Recovered`` (gold threads mark partly recovered mail)."""
    provenance: Provenance | None = None


@_pickled_by_position
@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that was read but cannot be stored, and why."""

    reason: str
    detail: str
    provenance: Provenance
    size: int = 0


@dataclass(slots=True)
class IngestCounts:
    """What one ingest run did. Invariant: read == stored + duplicates + rejected."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def add(self, other: IngestCounts) -> None:
        """Count ``other`` in as well (per-source counts into the run's total)."""
        self.read += other.read
        self.stored += other.stored
        self.duplicates += other.duplicates
        for reason, number in other.rejected.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + number

    def balanced(self) -> bool:
        return self.read == self.stored + self.duplicates + self.rejected_total

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
        }


def too_large_detail(size: int, max_size: int) -> str:
    """Why a mail over the size cap was rejected, and what to do about it."""
    return f"{size} bytes > cap of {max_size}; raise --max-size to accept it"
