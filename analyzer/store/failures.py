"""Messages a later stage could not process, each with its reason.

SCHEMA is migration 5 of analyzer/store/schema.py. Ingest records what it cannot store as
a rejection; segmentation and analysis record here what they could not segment or analyse,
so one bad message never stops the others and never disappears silently. A failure is
kept with the ``version`` of what produced it (the thread signature and segmenter for
``segment``, the thread fingerprint for ``analyze``): a re-run with the same inputs does not
try it again, and a changed input (a fixed rule, a new message in the thread) does, as does
``structure --retry-failed`` / ``analyze --retry-failed``. ``structure`` and ``analyze``
count what is recorded here after every run, so a re-run exits 1 while any failure remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from analyzer.store.db import Store

Stage = Literal["segment", "analyze"]

SCHEMA = """
CREATE TABLE stage_failures (
    stage TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    version TEXT NOT NULL,
    failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (stage, message_id)
) WITHOUT ROWID;
CREATE INDEX stage_failures_thread ON stage_failures(stage, thread_id);
"""

_DETAIL_LIMIT = 500


@dataclass(frozen=True, slots=True)
class StageFailure:
    """One message a stage could not process: why, and what it was processing."""

    stage: Stage
    message_id: str
    thread_id: str
    reason: str
    """A short kind: the exception's type name, e.g. ``ValueError``."""
    detail: str


def failure_of(stage: Stage, message_id: str, thread_id: str, exc: BaseException) -> StageFailure:
    """A failure record for ``exc``, its message cut to a readable length."""
    detail = " ".join(str(exc).split())
    if len(detail) > _DETAIL_LIMIT:
        detail = detail[: _DETAIL_LIMIT - 1] + "…"
    return StageFailure(stage, message_id, thread_id, type(exc).__name__, detail)


def replace_failures(
    store: Store, stage: Stage, thread_id: str, failures: Iterable[StageFailure], *, version: str
) -> None:
    """Replace the thread's failures at ``stage`` (call inside the transaction that writes
    the thread's results, so both or neither are stored)."""
    db = store.connection
    db.execute("DELETE FROM stage_failures WHERE stage = ? AND thread_id = ?", (stage, thread_id))
    db.executemany(
        "INSERT OR REPLACE INTO stage_failures(stage, message_id, thread_id, reason, detail, version) "
        "VALUES (?,?,?,?,?,?)",
        [(f.stage, f.message_id, f.thread_id, f.reason, f.detail, version) for f in failures],
    )


def forget_failures(store: Store, stage: Stage, message_ids: Sequence[str]) -> None:
    """Drop failures of messages that were processed since (call inside a transaction)."""
    db = store.connection
    for message_id in message_ids:
        db.execute("DELETE FROM stage_failures WHERE stage = ? AND message_id = ?", (stage, message_id))


def failed_versions(store: Store, stage: Stage) -> dict[str, str]:
    """message_id -> version of what failed on it, for one stage."""
    rows = store.connection.execute("SELECT message_id, version FROM stage_failures WHERE stage = ?", (stage,))
    return {str(r[0]): str(r[1]) for r in rows}


def failed_threads(store: Store, stage: Stage, thread_ids: Sequence[str]) -> set[str]:
    """Those of ``thread_ids`` with a message recorded as failed at ``stage``."""
    rows = store.select_in(f"SELECT DISTINCT thread_id FROM stage_failures WHERE stage = '{stage}' AND thread_id IN ({{}})",
                           thread_ids)
    return {str(r[0]) for r in rows}


def failure_counts(store: Store) -> dict[str, int]:
    """Failures per stage, for ``stats``."""
    rows = store.connection.execute("SELECT stage, count(*) FROM stage_failures GROUP BY stage ORDER BY stage")
    return {str(r[0]): int(r[1]) for r in rows}


def load_failures(store: Store) -> list[dict[str, Any]]:
    """Every recorded failure, by stage and message."""
    rows = store.connection.execute(
        "SELECT stage, message_id, thread_id, reason, detail, failed_at FROM stage_failures ORDER BY stage, message_id"
    )
    return [dict(row) for row in rows]
