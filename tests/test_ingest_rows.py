"""The parse workers hand the writer ready rows (analyzer.store.rows): what the store holds
after an ingest through worker processes is what the parser read, column for column, and
exactly what storing the parsed messages one by one in this process gives. Real mail: the
first messages of the kvmarm archive, as a two-epoch inbox (read by workers, both epochs
at once) and as a plain stream (parsed by a worker pool)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from analyzer.ingest import epochs, publicinbox
from analyzer.ingest.inbox_writer import write_inbox
from analyzer.ingest.parser_pool import ParserPool
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.ingest.sources import ReadOptions
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, Provenance, RawMail, Rejection
from analyzer.store.db import Store
from analyzer.store.rows import batch_rows
from tests.conftest import require_shared

FIRST = 240
MAX_SIZE = 20_000
"""Small enough that some real patches are rejected as too large."""
BATCH = 60


@pytest.fixture(scope="module")
def raws() -> list[bytes]:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    (epoch,) = publicinbox.find_epochs(archive)
    commits = publicinbox.list_new_commits(epoch, None)[:FIRST]
    return [r.data for r in publicinbox.read_epoch(epoch, commits, max_size=1 << 30, list_hint=None)
            if isinstance(r, RawMail)]


@pytest.fixture(scope="module")
def inbox(raws: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inbox") / "kvmarm"
    write_inbox(raws, folder, per_epoch=FIRST // 2)
    return folder


def _options(jobs: int) -> IngestOptions:
    return IngestOptions(read=ReadOptions(max_size=MAX_SIZE), jobs=jobs, batch_size=BATCH)


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row the ingest writes (the full-text index's own tables included), but the
    time a row was written."""
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(messages)") if r[1] != "ingested_at"]
        tables = {"messages": f"SELECT {', '.join(columns)} FROM messages"}
        for name in ("message_sources", "message_lists", "source_cursors", "messages_fts_data",
                     "messages_fts_idx", "messages_fts_docsize"):
            tables[name] = f"SELECT * FROM {name}"
        tables["rejections"] = "SELECT source, locator, reason, detail, size FROM rejections"
        return {name: sorted(conn.execute(sql).fetchall(), key=repr) for name, sql in tables.items()}


def _parsed_in_this_process(inbox: Path) -> list[Message | Rejection]:
    policy = ParsePolicy(max_size=MAX_SIZE)
    found: list[Message | Rejection] = []
    for reads in publicinbox.plan_epochs(inbox, {}):
        for item in publicinbox.stream_epoch(reads, max_size=MAX_SIZE, list_hint=None):
            found.append(parse_raw(item, policy) if isinstance(item, RawMail) else item)
    return found


def test_rows_made_by_epoch_workers_hold_what_the_parser_read(inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "workers.db"
    with Store.open(db) as store:
        report = ingest(store, [(str(inbox), "public-inbox")], _options(jobs=2))
        assert report.counts.balanced() and report.writer_cpu_seconds > 0
        parsed = _parsed_in_this_process(inbox)
        messages = [m for m in parsed if isinstance(m, Message)]
        assert report.counts.stored == len(messages) and report.counts.rejected.get("too-large", 0) > 0
        for message in messages:
            stored = store.message(message.message_id)
            assert stored is not None
            assert (stored.subject, stored.author_name, stored.author_email, stored.date, stored.in_reply_to,
                    stored.references, stored.body, stored.body_kind, stored.defects, stored.lists,
                    stored.recovered, stored.synthetic_id) == (
                message.subject, message.author.name, message.author.email, message.date, message.in_reply_to,
                message.references, message.body, message.body_kind, message.defects, tuple(sorted(message.list_ids)),
                message.recovered, message.synthetic_id)
            row = store.connection.execute(
                "SELECT to_json, cc_json, date_raw, size, first_source, first_locator FROM messages WHERE message_id = ?",
                (message.message_id,)).fetchone()
            assert message.provenance is not None
            assert ([(a["name"], a["email"]) for a in json.loads(row[0])] == [(a.name, a.email) for a in message.to]
                    and [(a["name"], a["email"]) for a in json.loads(row[1])] == [(a.name, a.email) for a in message.cc])
            assert tuple(row[2:]) == (message.date_raw, message.size, message.provenance.source,
                                      message.provenance.locator)
        # Every stored message is in the full-text index, under its own row id.
        indexed = store.connection.execute(
            "SELECT count(*) FROM messages m JOIN messages_fts_docsize d ON d.id = m.id").fetchone()[0]
        assert indexed == len(messages)


def test_worker_rows_store_what_writing_parsed_messages_here_stores(inbox: Path, tmp_path: Path) -> None:
    """The rows of the epoch workers and of the stream's parser pool give the same store,
    table for table (the full-text index's blocks included), as handing the parsed
    messages to ``Store.write_batch`` in this process, in the same batches."""
    by_workers = tmp_path / "workers.db"
    with Store.open(by_workers) as store:
        ingest(store, [(str(inbox), "public-inbox")], _options(jobs=2))
    here = tmp_path / "here.db"
    plan = publicinbox.plan_epochs(inbox, {})
    policy = ParsePolicy(max_size=MAX_SIZE)
    with Store.open(here) as store:
        for task in epochs.epoch_slices(plan, size=BATCH, policy=policy, list_hint=None):
            items = publicinbox.read_epoch(task.epoch, task.commits, max_size=MAX_SIZE, list_hint=None)
            parsed = [parse_raw(i, policy) if isinstance(i, RawMail) else i for i in items]
            store.write_batch([m for m in parsed if isinstance(m, Message)], [],
                              [r for r in parsed if isinstance(r, Rejection)], dict([task.checkpoint]))
    assert _tables(by_workers) == _tables(here)


def test_the_parser_pool_hands_back_the_rows_of_its_messages(raws: list[bytes]) -> None:
    mail = [RawMail(data, Provenance("test", str(number))) for number, data in enumerate(raws[:120])]
    policy = ParsePolicy(max_size=MAX_SIZE)
    with ParserPool(policy, jobs=2) as pool:
        prepared = pool.submit_rows(mail)()
        parsed = pool.submit(mail)()
    messages = [m for m in parsed if isinstance(m, Message)]
    assert prepared.read == len(mail) == len(parsed)
    assert prepared.rejections == [r for r in parsed if isinstance(r, Rejection)] and prepared.rejections
    expected = batch_rows(messages, [])
    assert (prepared.rows.messages, prepared.rows.sources, prepared.rows.lists) == (
        expected.messages, expected.sources, expected.lists)
    assert [row[0] for row in prepared.rows.messages] == [m.message_id for m in messages]
