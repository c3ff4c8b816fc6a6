"""Analysis results in the store: claims, message positions, mentions, relations and
decisions, each with its message id and character offsets into the message body.

SCHEMA is migration 3 of analyzer/store/schema.py. A thread's results are replaced as a
whole, in one transaction, together with the fingerprint of what produced them, so an
interrupted ``analyzer analyze`` never leaves half a thread and a re-run only redoes the
threads whose messages or rules changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.analysis.records import (
    Claim,
    Decision,
    Mention,
    MessageAnalysis,
    PositionTaken,
    Relation,
    ThreadAnalysis,
)
from analyzer.store.db import Store
from analyzer.store import summaries
from analyzer.store.failures import StageFailure, forget_failures, replace_failures

SCHEMA = """
CREATE TABLE analysed_threads (
    thread_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    analysed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) WITHOUT ROWID;

CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    position TEXT NOT NULL,
    stance TEXT NOT NULL,
    confidence REAL NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX claims_message ON claims(message_id);
CREATE INDEX claims_thread ON claims(thread_id);
CREATE INDEX claims_position ON claims(position, stance);

CREATE TABLE message_positions (
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    position TEXT NOT NULL,
    stance TEXT NOT NULL,
    score REAL NOT NULL,
    basis TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE INDEX message_positions_thread ON message_positions(thread_id);

CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX mentions_message ON mentions(message_id);
CREATE INDEX mentions_thread ON mentions(thread_id);
CREATE INDEX mentions_target ON mentions(kind, target);

CREATE TABLE relations (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    to_message_id TEXT NOT NULL,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    quote_index INTEGER,
    own_start INTEGER,
    own_end INTEGER,
    to_start INTEGER,
    to_end INTEGER
);
CREATE INDEX relations_message ON relations(message_id);
CREATE INDEX relations_thread ON relations(thread_id);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    date TEXT,
    confidence REAL NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX decisions_message ON decisions(message_id);
CREATE INDEX decisions_thread ON decisions(thread_id);
CREATE INDEX decisions_kind ON decisions(kind, date);
"""

SIGNALS = """
ALTER TABLE claims ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE message_positions ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE message_positions ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE message_positions ADD COLUMN evidence_start INTEGER;
ALTER TABLE message_positions ADD COLUMN evidence_end INTEGER;
ALTER TABLE mentions ADD COLUMN confidence REAL NOT NULL DEFAULT 1.0;
ALTER TABLE mentions ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE relations ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
ALTER TABLE decisions ADD COLUMN signals TEXT NOT NULL DEFAULT '[]';
"""
"""Migration 4: why each label was given (its signals), message positions' evidence
sentence, and a confidence for behaviour mentions."""

_RESULT_TABLES = ("claims", "message_positions", "mentions", "relations", "decisions")


def fingerprints(store: Store) -> dict[str, str]:
    return dict(store.connection.execute("SELECT thread_id, fingerprint FROM analysed_threads").fetchall())


def fingerprints_of(store: Store, thread_ids: Sequence[str]) -> dict[str, str]:
    """``fingerprints`` of these threads only."""
    rows = store.select_in("SELECT thread_id, fingerprint FROM analysed_threads WHERE thread_id IN ({})", thread_ids)
    return {str(r[0]): str(r[1]) for r in rows}


def unthreaded_analyses(store: Store) -> list[str]:
    """Threads analysed once that the structure no longer has (rethreaded since)."""
    rows = store.connection.execute(
        "SELECT thread_id FROM analysed_threads WHERE thread_id NOT IN (SELECT thread_id FROM threads)"
    )
    return [str(r[0]) for r in rows]


def save_thread_analysis(
    store: Store, analysis: ThreadAnalysis, fingerprint: str, failures: Sequence[StageFailure] = ()
) -> None:
    """Replace everything stored for the thread with ``analysis`` and the messages that
    could not be analysed (``failures``), atomically with the thread's done mark and its
    totals (:mod:`analyzer.store.summaries`)."""
    save_thread_analyses(store, [SavedThread(analysis, fingerprint, tuple(failures))])


@dataclass(frozen=True, slots=True)
class SavedThread:
    """One thread's results as :func:`save_thread_analyses` stores them."""

    analysis: ThreadAnalysis
    fingerprint: str
    failures: tuple[StageFailure, ...] = ()


def save_thread_analyses(store: Store, threads: Sequence[SavedThread]) -> None:
    """:func:`save_thread_analysis` for several threads in one transaction, their totals
    refreshed once: all of them are stored, or none (an interrupted run analyses them
    again). Fewer commits and one refresh per batch halve what the driver of a parallel
    run spends per thread (docs/scale.md)."""
    db = store.connection
    with store.transaction():
        for saved in threads:
            analysis, tid = saved.analysis, saved.analysis.thread_id
            for table in _RESULT_TABLES:
                db.execute(f"DELETE FROM {table} WHERE thread_id = ?", (tid,))
            for m in analysis.messages:
                _insert_message(store, tid, m)
            forget_failures(store, "analyze", [m.message_id for m in analysis.messages])
            replace_failures(store, "analyze", tid, saved.failures, version=saved.fingerprint)
            db.execute(
                "INSERT INTO analysed_threads(thread_id, fingerprint) VALUES (?, ?) "
                "ON CONFLICT(thread_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "analysed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (tid, saved.fingerprint),
            )
        summaries.refresh(store, [saved.analysis.thread_id for saved in threads])


def forget_threads(store: Store, thread_ids: Iterable[str]) -> int:
    """Drop results of threads that no longer exist (threads merge when mail arrives)."""
    gone = list(thread_ids)
    with store.transaction():
        for tid in gone:
            for table in (*_RESULT_TABLES, "analysed_threads"):
                store.connection.execute(f"DELETE FROM {table} WHERE thread_id = ?", (tid,))
            replace_failures(store, "analyze", tid, (), version="")
        summaries.refresh(store, gone)
    return len(gone)


def _signals(signals: tuple[str, ...]) -> str:
    return json.dumps(list(signals))


def _read_signals(text: str) -> tuple[str, ...]:
    return tuple(str(s) for s in json.loads(text)) if text else ()


def _insert_message(store: Store, tid: str, m: MessageAnalysis) -> None:
    db = store.connection
    db.executemany(
        "INSERT INTO claims(thread_id, message_id, position, stance, confidence, start, end, text, signals) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [(tid, c.message_id, c.position, c.stance, c.confidence, c.start, c.end, c.text, _signals(c.signals)) for c in m.claims],
    )
    db.executemany(
        "INSERT OR REPLACE INTO message_positions(thread_id, message_id, position, stance, score, basis, evidence, "
        "evidence_start, evidence_end, signals) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (tid, m.message_id, p.position, p.stance, p.score, p.basis, p.evidence, p.evidence_start, p.evidence_end,
             _signals(p.signals))
            for p in m.positions
        ],
    )
    db.executemany(
        "INSERT INTO mentions(thread_id, message_id, kind, target, start, end, text, confidence, signals) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [(tid, x.message_id, x.kind, x.target, x.start, x.end, x.text, x.confidence, _signals(x.signals)) for x in m.mentions],
    )
    db.executemany(
        "INSERT INTO relations(thread_id, message_id, to_message_id, label, confidence, quote_index, own_start, "
        "own_end, to_start, to_end, signals) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (tid, r.message_id, r.to_message_id, r.label, r.confidence, r.quote_index, r.own_start, r.own_end,
             r.to_start, r.to_end, _signals(r.signals))
            for r in m.relations
        ],
    )
    db.executemany(
        "INSERT INTO decisions(thread_id, message_id, kind, actor, date, confidence, start, end, evidence, signals) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (tid, d.message_id, d.kind, d.actor, d.date, d.confidence, d.start, d.end, d.evidence, _signals(d.signals))
            for d in (*m.decisions, *m.unattested)
        ],
    )


def load_analyses(store: Store, thread_ids: Sequence[str] | None = None) -> dict[str, MessageAnalysis]:
    """message_id -> everything the analysis stored for it (threads given, or all)."""
    rows: dict[str, dict[str, list[Any]]] = {}

    def add(table: str, key: str, record: Any) -> None:
        rows.setdefault(key, {}).setdefault(table, []).append(record)

    for r in _select(store, "claims", thread_ids, "ORDER BY message_id, start"):
        add("claims", r["message_id"], Claim(
            r["message_id"], r["position"], r["stance"], r["confidence"], r["start"], r["end"], r["text"],
            _read_signals(r["signals"]),
        ))
    for r in _select(store, "message_positions", thread_ids, "ORDER BY message_id, position"):
        add("positions", r["message_id"], PositionTaken(
            r["position"], r["stance"], r["score"], r["basis"], r["evidence"], r["evidence_start"], r["evidence_end"],
            _read_signals(r["signals"]),
        ))
    for r in _select(store, "mentions", thread_ids, "ORDER BY message_id, start"):
        add("mentions", r["message_id"], Mention(
            r["message_id"], r["kind"], r["target"], r["start"], r["end"], r["text"], r["confidence"],
            _read_signals(r["signals"]),
        ))
    for r in _select(store, "relations", thread_ids, "ORDER BY message_id, id"):
        add("relations", r["message_id"], Relation(
            r["message_id"], r["to_message_id"], r["label"], r["confidence"], r["quote_index"],
            r["own_start"], r["own_end"], r["to_start"], r["to_end"], _read_signals(r["signals"]),
        ))
    for r in _select(store, "decisions", thread_ids, "ORDER BY message_id, id"):
        add("decisions", r["message_id"], Decision(
            r["message_id"], r["kind"], r["actor"], r["date"], r["confidence"], r["start"], r["end"], r["evidence"],
            _read_signals(r["signals"]),
        ))
    return {
        mid: MessageAnalysis(
            message_id=mid,
            claims=tuple(parts.get("claims", ())),
            positions=tuple(parts.get("positions", ())),
            mentions=tuple(parts.get("mentions", ())),
            relations=tuple(parts.get("relations", ())),
            decisions=tuple(d for d in parts.get("decisions", ()) if d.attested),
            unattested=tuple(d for d in parts.get("decisions", ()) if not d.attested),
        )
        for mid, parts in rows.items()
    }


def _select(store: Store, table: str, thread_ids: Sequence[str] | None, order: str) -> list[Any]:
    if thread_ids is None:
        return store.connection.execute(f"SELECT * FROM {table} {order}").fetchall()
    return store.select_in(f"SELECT * FROM {table} WHERE thread_id IN ({{}}) {order}", thread_ids)
