"""The SQLite store: messages, provenance, rejections, runs and cursors.

One ``Store`` per connection; every batch of an ingest is one transaction, so a run
killed midway leaves whole batches and its cursors always point at stored mail.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.errors import StoreError
from analyzer.store import search as full_text
from analyzer.records import IngestCounts, Message, Rejection
from analyzer.store.rows import INSERT_LIST, INSERT_MESSAGE, INSERT_SOURCE, BatchRows, SeenAgain, batch_rows


@dataclass(frozen=True, slots=True)
class BatchResult:
    stored: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as read back from the store (lists included)."""

    id: int
    message_id: str
    subject: str
    author_name: str
    author_email: str
    date: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    body: str
    body_kind: str
    defects: tuple[str, ...]
    lists: tuple[str, ...]
    recovered: str | None
    synthetic_id: bool


class Store:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | str) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create its folder ({exc.strerror or exc}); give another --db path") from exc
        if path.is_dir():
            raise StoreError(f"{path}: a directory, not a database file; give a file path with --db")
        try:
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            connection.row_factory = sqlite3.Row
            # 16 KiB pages (new databases only; set before WAL, which fixes the size):
            # mail bodies average ~5 KiB, and bigger pages cut the bulk-write cost ~15%.
            connection.execute("PRAGMA page_size=16384")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            # A bigger page cache and fewer, larger WAL checkpoints make bulk ingest
            # cheaper; both are per connection and bounded (64 MiB, 2048 pages of WAL).
            connection.execute("PRAGMA cache_size=-65536")
            connection.execute("PRAGMA wal_autocheckpoint=2048")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(connection, path)
            store._migrate()
        except sqlite3.OperationalError as exc:  # I/O, a full disk, a lock: the file may be fine
            raise StoreError(
                f"{path}: cannot be opened for writing ({exc}); check free disk space, its permissions and that no "
                "other program is writing to it"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable SQLite database ({exc}); give another --db path") from exc
        return store

    @classmethod
    def open_for_reading(cls, path: Path | str) -> Store:
        """A read-only connection to an existing store (a worker reading its threads'
        inputs while the driver writes: WAL lets both proceed); no migration, no writes."""
        path = Path(path).resolve()
        try:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA query_only=ON")
            connection.execute("PRAGMA cache_size=-16384")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot be opened for reading ({exc}); check that it exists and is readable") from exc
        return cls(connection, path)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.connection.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        # Imported here: the schema gathers every stage's tables, and stage modules
        # import Store, so a module-level import would be circular.
        from analyzer.store.schema import MIGRATIONS, SCHEMA_VERSION

        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this analyser's "
                f"{SCHEMA_VERSION}; upgrade the analyser or use another --db"
            )
        for number in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self.connection.execute(statement)
                self.connection.execute(f"PRAGMA user_version = {number + 1}")

    def transaction(self) -> _Transaction:
        return _Transaction(self.connection)

    # -- ingest ------------------------------------------------------------------------

    def known_message_ids(self, message_ids: Sequence[str]) -> set[str]:
        return {row[0] for row in self.select_in("SELECT message_id FROM messages WHERE message_id IN ({})", message_ids)}

    def select_in(self, sql: str, keys: Sequence[str]) -> list[sqlite3.Row]:
        """Rows of ``sql`` whose ``IN ({})`` list holds ``keys``, asked in chunks that stay
        under SQLite's limit on bound parameters."""
        found: list[sqlite3.Row] = []
        for chunk in _chunks(list(keys), 500):
            found += self.connection.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
        return found

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """SQLite errors while writing (a full disk, another program holding the lock)
        become a StoreError that says what to check."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self.path}: cannot write ({exc}); check free disk space and that no other "
                "program is writing to this database"
            ) from exc

    def write_batch(
        self,
        messages: Iterable[Message],
        seen_again: Iterable[SeenAgain],
        rejections: Iterable[Rejection],
        checkpoints: dict[str, str],
    ) -> BatchResult:
        """Store one batch in one transaction. A message whose id is already stored
        counts as a duplicate; its lists and provenance are still recorded."""
        return self.write_rows(batch_rows(messages, seen_again), rejections, checkpoints)

    def write_rows(self, rows: BatchRows, rejections: Iterable[Rejection], checkpoints: dict[str, str]) -> BatchResult:
        """Store one batch of ready rows (:mod:`analyzer.store.rows`, made by the parse
        workers) in one transaction with the cursors it advances, as ``write_batch`` does."""
        execute, many = self.connection.execute, self.connection.executemany
        with self._writing(), self.transaction():
            last_id = execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
            stored = many(INSERT_MESSAGE, rows.messages).rowcount if rows.messages else 0
            many(INSERT_SOURCE, rows.sources)
            many(INSERT_LIST, rows.lists)
            for rejection in rejections:
                self._record_rejection(rejection)
            execute(
                "INSERT INTO messages_fts(rowid, subject, author_name, body) "
                "SELECT id, subject, author_name, body FROM messages WHERE id > ?",
                (last_id,),
            )
            many(_SET_CURSOR, list(checkpoints.items()))
        return BatchResult(stored=stored, duplicates=len(rows.messages) + rows.seen_again - stored)

    def _record_rejection(self, r: Rejection) -> None:
        self.connection.execute(
            """INSERT INTO rejections(source, locator, reason, detail, size) VALUES (?,?,?,?,?)
            ON CONFLICT(source, locator) DO UPDATE SET reason=excluded.reason,
            detail=excluded.detail, size=excluded.size,
            last_seen=strftime('%Y-%m-%dT%H:%M:%SZ', 'now')""",
            (r.provenance.source, r.provenance.locator, r.reason, r.detail[:2000], r.size),
        )

    def cursors(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.connection.execute("SELECT key, value FROM source_cursors")}

    def start_run(self, sources: Sequence[str], started_at: str) -> int:
        with self._writing():
            cursor = self.connection.execute(
                "INSERT INTO ingest_runs(started_at, sources_json) VALUES (?, ?)", (started_at, json.dumps(list(sources)))
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, counts: IngestCounts, finished_at: str, *, status: str = "complete") -> None:
        """Record a run's counts; ``status`` is ``complete`` or ``interrupted`` (the
        counts then cover the batches it stored before it stopped)."""
        with self._writing():
            self.connection.execute(
                "UPDATE ingest_runs SET finished_at = ?, counts_json = ? WHERE id = ?",
                (finished_at, json.dumps(counts.as_dict() | {"status": status}), run_id),
            )

    # -- reading -----------------------------------------------------------------------

    def count(self, table: str) -> int:
        if table not in {"messages", "rejections", "message_lists", "message_sources", "ingest_runs"}:
            raise ValueError(table)
        return int(self.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def runs(self) -> list[dict[str, Any]]:
        rows = self.connection.execute("SELECT * FROM ingest_runs ORDER BY id").fetchall()
        return [dict(row) | {"counts": json.loads(row["counts_json"] or "null")} for row in rows]

    def summary(self) -> dict[str, Any]:
        """Counts for people and for reports: messages, lists, rejections by reason, runs."""
        lists = dict(
            self.connection.execute(
                "SELECT list_id, count(*) FROM message_lists GROUP BY list_id ORDER BY count(*) DESC"
            ).fetchall()
        )
        reasons = dict(
            self.connection.execute("SELECT reason, count(*) FROM rejections GROUP BY reason ORDER BY reason").fetchall()
        )
        first, last = self.connection.execute("SELECT min(date), max(date) FROM messages").fetchone()
        return {
            "database": str(self.path),
            "schema_version": self.schema_version,
            "messages": self.count("messages"),
            "with_defects": self.connection.execute(
                "SELECT count(*) FROM messages WHERE defects_json != '[]'"
            ).fetchone()[0],
            "first_date": first,
            "last_date": last,
            "lists": lists,
            "rejections": reasons,
            "ingest_runs": self.count("ingest_runs"),
            # messages stored but that segmentation or analysis could not process
            "failures": dict(
                self.connection.execute(
                    "SELECT stage, count(*) FROM stage_failures GROUP BY stage ORDER BY stage"
                ).fetchall()
            ),
        }

    def rejections(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.connection.execute("SELECT * FROM rejections ORDER BY source, locator")]

    def lists_of(self, message_id: str) -> tuple[str, ...]:
        rows = self.connection.execute(
            "SELECT list_id FROM message_lists WHERE message_id = ? ORDER BY list_id", (message_id,)
        )
        return tuple(row[0] for row in rows)

    def message(self, message_id: str) -> StoredMessage | None:
        row = self.connection.execute("SELECT * FROM messages WHERE message_id = ?", (message_id.strip("<>"),)).fetchone()
        return None if row is None else self._stored(row)

    def messages(self, *, order: str = "id") -> Iterator[StoredMessage]:
        column = {"id": "id", "date": "coalesce(date, envelope_date), id"}[order]
        for row in self.connection.execute(f"SELECT * FROM messages ORDER BY {column}"):
            yield self._stored(row)

    def search(self, query: str, *, limit: int = 50) -> list[StoredMessage]:
        """Messages matching ``query``, best first: the dashboard's search
        (:mod:`analyzer.store.search`), which finds identifiers by any of their parts
        (``EOI_BROADCAST``, ``num_LPIs``, ``KVM_CAP_*``), "phrases" and AND / OR / NOT."""
        return [self._stored(row) for row in full_text.matching_rows(self.connection, query, "m.*", limit=limit)]

    def _stored(self, row: sqlite3.Row) -> StoredMessage:
        return StoredMessage(
            id=row["id"],
            message_id=row["message_id"],
            subject=row["subject"],
            author_name=row["author_name"],
            author_email=row["author_email"],
            date=row["date"],
            in_reply_to=row["in_reply_to"],
            references=tuple(json.loads(row["references_json"])),
            body=row["body"],
            body_kind=row["body_kind"],
            defects=tuple(json.loads(row["defects_json"])),
            lists=self.lists_of(row["message_id"]),
            recovered=row["recovered"],
            synthetic_id=bool(row["synthetic_id"]),
        )


class _Transaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.connection.execute("ROLLBACK" if exc_type else "COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (trigger bodies contain semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_SET_CURSOR = (
    "INSERT INTO source_cursors(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
