"""An inbox of two public-inbox epochs (built here from the first messages of the real kvmarm
archive in ../shared/archives, the last of them sent again in the second epoch) is read
by worker processes, both epochs at once, and stored by the one writer: the same records
as a one-process run, every message stored once or recorded as rejected, and a run stopped
half-way resumes each epoch where it stopped."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from analyzer.ingest import epochs, publicinbox
from analyzer.ingest.inbox_writer import write_inbox
from analyzer.ingest.pipeline import IngestOptions, IngestReport, ingest
from analyzer.ingest.sources import ReadOptions
from analyzer.mail.parse import ParsePolicy
from analyzer.records import RawMail
from analyzer.store.db import Store
from tests.conftest import require_shared

FIRST = 600
AGAIN = 30
PER_EPOCH = (FIRST + AGAIN) // 2
BATCH = 100
MAX_SIZE = 20_000
"""Small enough that some real patches are rejected as too large."""


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    (epoch,) = publicinbox.find_epochs(archive)
    commits = publicinbox.list_new_commits(epoch, None)[:FIRST]
    raws = [r.data for r in publicinbox.read_epoch(epoch, commits, max_size=1 << 30, list_hint=None)
            if isinstance(r, RawMail)]
    assert len(raws) == FIRST
    folder = tmp_path_factory.mktemp("inbox") / "kvmarm"
    assert len(write_inbox(raws + raws[:AGAIN], folder, per_epoch=PER_EPOCH)) == 2
    return folder


class CursorLog:
    """A progress sink that notes the stored epoch cursors after every batch, and stops
    the run (as Ctrl-C would) after ``stop_after`` batches."""

    def __init__(self, db: Path, stop_after: int | None = None) -> None:
        self.db, self.stop_after, self.seen = db, stop_after, list[dict[str, str]]()

    def start(self, label: str, total: int | None) -> None:
        assert total == FIRST + AGAIN or self.seen == []

    def advance(self, n: int = 1) -> None:
        with sqlite3.connect(self.db) as conn:
            self.seen.append(dict(conn.execute("SELECT key, value FROM source_cursors").fetchall()))
        if self.stop_after is not None and len(self.seen) >= self.stop_after:
            raise KeyboardInterrupt

    def finish(self) -> None:
        pass


def ingested(inbox: Path, db: Path, jobs: int, progress: CursorLog | None = None) -> IngestReport:
    options = IngestOptions(read=ReadOptions(max_size=MAX_SIZE), jobs=jobs, batch_size=BATCH)
    with Store.open(db) as store:
        return ingest(store, [(str(inbox), "public-inbox")], options, progress=progress)


def stored(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(messages)") if r[1] not in {"id", "ingested_at"}]
        return {
            "messages": sorted(conn.execute(f"SELECT {', '.join(columns)} FROM messages").fetchall(), key=repr),
            "message_sources": sorted(conn.execute("SELECT * FROM message_sources").fetchall()),
            "message_lists": sorted(conn.execute("SELECT * FROM message_lists").fetchall()),
            "rejections": sorted(conn.execute("SELECT source, locator, reason, detail, size FROM rejections").fetchall()),
            "source_cursors": sorted(conn.execute("SELECT * FROM source_cursors").fetchall()),
            "fts": conn.execute("SELECT count(*) FROM messages_fts").fetchall(),
        }


@pytest.fixture(scope="module")
def one_process(inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    db = tmp_path_factory.mktemp("one") / "one.db"
    report = ingested(inbox, db, jobs=1)
    counts = report.counts
    assert counts.read == FIRST + AGAIN and counts.balanced() and 20 < counts.duplicates <= AGAIN
    assert counts.rejected.get("too-large", 0) > 5 and counts.stored > FIRST * 0.95
    return stored(db) | {"counts": [tuple(counts.as_dict().items())]}


def test_epochs_are_read_at_once_and_stored_as_one_process_stores_them(
        inbox: Path, tmp_path: Path, one_process: dict[str, list[tuple[object, ...]]]) -> None:
    db = tmp_path / "two.db"
    log = CursorLog(db)
    report = ingested(inbox, db, jobs=2, progress=log)
    assert 0 < report.writer_seconds
    assert stored(db) | {"counts": [tuple(report.counts.as_dict().items())]} == one_process
    # After the second stored batch both epochs have a cursor: they were read at once.
    assert len(log.seen) == 2 * -(-PER_EPOCH // BATCH) and len(log.seen[1]) == 2


def test_a_stopped_parallel_ingest_resumes_every_epoch_where_it_stopped(
        inbox: Path, tmp_path: Path, one_process: dict[str, list[tuple[object, ...]]]) -> None:
    db = tmp_path / "stopped.db"
    with pytest.raises(KeyboardInterrupt):
        ingested(inbox, db, jobs=2, progress=CursorLog(db, stop_after=3))
    with Store.open(db) as store:
        cursors = store.cursors()
        first_run = store.count("messages") + store.count("rejections")
    assert len(cursors) == 2 and 0 < first_run < FIRST
    resumed = ingested(inbox, db, jobs=2)
    # Nothing read twice: the second run reads only what the first did not store.
    assert resumed.counts.read == FIRST + AGAIN - 3 * BATCH and resumed.counts.balanced()
    assert stored(db) == {k: v for k, v in one_process.items() if k != "counts"}


def test_slices_take_the_epochs_in_turn_each_in_commit_order(inbox: Path) -> None:
    plan = publicinbox.plan_epochs(inbox, {})
    slices = list(epochs.epoch_slices(plan, size=BATCH, policy=ParsePolicy(), list_hint=None))
    keys = [s.epoch.key for s in slices]
    assert keys[:4] == [plan[0].epoch.key, plan[1].epoch.key] * 2 and sum(len(s.commits) for s in slices) == FIRST + AGAIN
    for reads in plan:
        mine = [c for s in slices if s.epoch == reads.epoch for c in s.commits]
        assert mine == publicinbox.list_new_commits(reads.epoch, None)
