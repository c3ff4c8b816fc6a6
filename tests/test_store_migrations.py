"""A store written before migrations 7 (identifier parts in the full-text index), 8
(per-thread totals), 9 (behaviours per thread and month), 10 (which messages name each
Message-ID, reply bases) and 11 (author pairs, patch mails and their atoms, threads
waiting for segmentation) is brought up to date when opened, and loses nothing: every
stored row is still there, search finds identifiers by their parts, the totals equal the
full-table SQL, and the next structure run fills migrations 10's and 11's tables for
every stored message and stores the structure of the whole-store algorithm.

The version-6 store is the real test store (archive + gold threads) taken back to what
version 6 held: the full-text index as migration 1 made it (identifiers kept whole), no
totals tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from analyzer.store.db import Store
from analyzer.store.schema import MIGRATIONS, SCHEMA_VERSION
from analyzer.store.search import rebuilt_index
from analyzer.store.structure import rebuild_structure
from analyzer.store.thread_components import named_ids, subject_key
from analyzer.store.summaries import TABLES

SUMMARY_TABLES = (*TABLES, "thread_behaviour_months")
INDEX_TABLES = (
    "message_names", "message_reply_bases", "message_index_mark",
    "author_sightings", "thread_cycles", "segment_pending", "series_patch_mails", "series_patch_atoms",
)
from tests.test_summaries import assert_same_as_reference, _scopes
from tests.test_structure_components import stored_structure, whole_store_structure

VERSION_6_INDEX = rebuilt_index("unicode61 tokenchars '_.'")
"""The index as migrations 1-6 left it: identifiers kept whole."""


def _version_6(real_store: Path, path: Path) -> None:
    source, target = sqlite3.connect(real_store), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.executescript(
        VERSION_6_INDEX + "".join(f"DROP TABLE {t};" for t in (*SUMMARY_TABLES, *INDEX_TABLES))
        + "DELETE FROM structure_state WHERE key IN ('structured_row', 'segmenter');"
        + "PRAGMA user_version = 6;"
    )
    target.close()


def _stored_rows(connection: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the full-text index's own (derived from messages)."""
    names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
             if not r[0].startswith("messages_fts") and r[0] not in (*SUMMARY_TABLES, *INDEX_TABLES)]
    return {name: sorted((tuple(r) for r in connection.execute(f'SELECT * FROM "{name}"')), key=repr) for name in names}


def test_a_version_6_store_is_migrated_without_losing_data(real_store: Path, tmp_path: Path) -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) == 11
    path = tmp_path / "v6.db"
    _version_6(real_store, path)
    old = sqlite3.connect(path)
    before = _stored_rows(old)
    infix_before = old.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '\"EOI_BROADCAST\"*'").fetchone()
    old.close()
    assert infix_before == (0,), "version 6 could not find an identifier's infix"
    with Store.open(path) as store:
        assert store.schema_version == 11
        assert _stored_rows(store.connection) == before
        assert {m.message_id for m in store.search("EOI_BROADCAST", limit=100)} == {
            mid for (mid,) in store.connection.execute(
                "SELECT message_id FROM messages WHERE instr(lower(body || subject), 'eoi_broadcast') > 0")} != set()
        assert store.search("num_LPIs")
        assert_same_as_reference(store.connection, _scopes(store.connection))
    with Store.open(path) as again:  # opening a current store changes nothing
        assert again.schema_version == 11 and _stored_rows(again.connection) == before


def test_structure_fills_migrations_10_and_11s_tables_for_a_migrated_store(real_store: Path, tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    _version_6(real_store, path)
    with Store.open(path) as store:
        db = store.connection
        assert db.execute("SELECT count(*) FROM message_names").fetchone()[0] == 0
        assert db.execute("SELECT last_row FROM message_index_mark").fetchone()[0] == 0
        rebuild_structure(store, segment=False)
        expected_names = sorted(
            (name, mid) for mid, irt, refs in db.execute("SELECT message_id, in_reply_to, references_json FROM messages")
            for name in named_ids(irt, refs)
        )
        assert sorted(tuple(r) for r in db.execute("SELECT * FROM message_names")) == expected_names != []
        bases = {tuple(r) for r in db.execute("SELECT message_id, reply_base, headerless_reply FROM message_reply_bases")}
        assert bases == {
            (mid, *key) for mid, subject, irt, refs in db.execute(
                "SELECT message_id, subject, in_reply_to, references_json FROM messages")
            if (key := subject_key(subject, irt, refs)) is not None
        }
        assert len(bases) > 100
        assert db.execute("SELECT last_row FROM message_index_mark").fetchone()[0] == db.execute(
            "SELECT max(id) FROM messages").fetchone()[0]
        assert stored_structure(store) == whole_store_structure(store)
        assert db.execute("SELECT sum(messages) FROM author_sightings").fetchone()[0] == db.execute(
            "SELECT count(*) FROM messages").fetchone()[0]
        assert db.execute("SELECT value FROM structure_state WHERE key = 'structured_row'").fetchone()[0] == str(
            db.execute("SELECT max(id) FROM messages").fetchone()[0])
        assert db.execute("SELECT count(*) FROM series_patch_mails").fetchone()[0] >= db.execute(
            "SELECT count(*) FROM series_patches").fetchone()[0] > 0
