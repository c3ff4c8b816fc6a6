"""The SQLite schema, as an ordered list of migrations. ``PRAGMA user_version`` is the
number of migrations applied; a database from a newer version is refused, not guessed at.
Later stages append migrations here; never edit one that has shipped."""

from __future__ import annotations

from analyzer.store import analysis, failures, search, structure, summaries, thread_components

MIGRATIONS: list[str] = [
    # 1: messages, where each came from, rejections, runs, incremental cursors, full text
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        synthetic_id INTEGER NOT NULL DEFAULT 0,
        subject TEXT NOT NULL,
        author_name TEXT NOT NULL,
        author_email TEXT NOT NULL,
        to_json TEXT NOT NULL,
        cc_json TEXT NOT NULL,
        date TEXT,
        date_raw TEXT NOT NULL,
        in_reply_to TEXT,
        references_json TEXT NOT NULL,
        body TEXT NOT NULL,
        body_kind TEXT NOT NULL,
        defects_json TEXT NOT NULL,
        size INTEGER NOT NULL,
        recovered TEXT,
        first_source TEXT NOT NULL,
        first_locator TEXT NOT NULL,
        envelope_date TEXT,
        ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX messages_in_reply_to ON messages(in_reply_to);
    CREATE INDEX messages_date ON messages(date);
    CREATE INDEX messages_author ON messages(author_email);

    CREATE TABLE message_lists (
        message_id TEXT NOT NULL REFERENCES messages(message_id),
        list_id TEXT NOT NULL,
        PRIMARY KEY (message_id, list_id)
    ) WITHOUT ROWID;

    CREATE TABLE message_sources (
        message_id TEXT NOT NULL REFERENCES messages(message_id),
        source TEXT NOT NULL,
        locator TEXT NOT NULL,
        PRIMARY KEY (source, locator)
    ) WITHOUT ROWID;
    CREATE INDEX message_sources_message ON message_sources(message_id);

    CREATE TABLE rejections (
        source TEXT NOT NULL,
        locator TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        size INTEGER NOT NULL,
        last_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        PRIMARY KEY (source, locator)
    ) WITHOUT ROWID;

    CREATE TABLE ingest_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        sources_json TEXT NOT NULL,
        counts_json TEXT
    );

    CREATE TABLE source_cursors (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    -- Rows are added to the index per batch by Store.write_batch (one INSERT ... SELECT
    -- is ~2x faster than a per-row trigger); deletes and updates keep it in step here.
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        subject, author_name, body, content='messages', content_rowid='id',
        tokenize = "unicode61 tokenchars '_.'"
    );
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, subject, author_name, body)
        VALUES ('delete', old.id, old.subject, old.author_name, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, subject, author_name, body)
        VALUES ('delete', old.id, old.subject, old.author_name, old.body);
        INSERT INTO messages_fts(rowid, subject, author_name, body)
        VALUES (new.id, new.subject, new.author_name, new.body);
    END;
    -- Merge full-text segments less eagerly than the default (4): bulk ingest writes one
    -- segment per batch, and merging is most of its cost. (This statement always ran as
    -- part of this migration; it now lives in its text rather than as a special case.)
    INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
    """,
    # 2: threads, series, people, segments (analyzer/store/structure.py)
    structure.SCHEMA,
    # 3: claims, mentions, relations, decisions (analyzer/store/analysis.py)
    analysis.SCHEMA,
    # 4: signals and evidence of every label (analyzer/store/analysis.py)
    analysis.SIGNALS,
    # 5: messages segmentation or analysis could not process, with why (analyzer/store/failures.py)
    failures.SCHEMA,
    # 6: the messages of every series posting (analyzer/store/structure.py)
    structure.SERIES_PATCHES,
    # 7: the full-text index splits identifiers into their parts (analyzer/store/search.py)
    search.IDENTIFIER_PARTS,
    # 8: per-thread totals behind the cross-thread views (analyzer/store/summaries.py)
    summaries.SCHEMA,
    # 9: messages naming each behaviour per thread and month (analyzer/store/summaries.py)
    summaries.MONTHS,
    # 10: which messages name each Message-ID, reply bases (analyzer/store/thread_components.py)
    thread_components.MESSAGE_INDEX,
    # 11: what lets structure redo only what new mail changes: author pairs, patch mails and
    #     their atoms, threads waiting for segmentation (analyzer/store/structure.py)
    structure.INCREMENTAL,
]

SCHEMA_VERSION = len(MIGRATIONS)
