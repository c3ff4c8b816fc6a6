"""The whole real kvmarm archive (public-inbox v2, ~21,000 messages) goes in: every commit
that carries a message is read once, and the counts add up. One test, on every core."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
from tests.conftest import require_shared


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def _messages_in_history(repo: Path) -> int:
    """Commits minus deletion commits (those remove blob ``m`` rather than carry one)."""
    commits = int(_git(repo, "rev-list", "--count", "HEAD"))
    deletions = len(_git(repo, "log", "--format=%H", "--diff-filter=D", "HEAD", "--", "m").split())
    return commits - deletions


@pytest.mark.slow
def test_whole_real_archive_is_read_once_and_counts_add_up(tmp_path: Path) -> None:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    expected_read = _messages_in_history(archive)
    assert expected_read > 20_000
    with Store.open(tmp_path / "kvmarm.db") as store:
        counts = ingest(store, [(str(archive), "auto")], IngestOptions(jobs=0)).counts
        assert counts.read == expected_read
        assert counts.balanced(), counts.as_dict()
        assert store.count("messages") == counts.stored
        assert store.count("rejections") == counts.rejected_total
        assert store.runs()[-1]["counts"] == counts.as_dict() | {"status": "complete"}
        sources = store.connection.execute("SELECT count(*) FROM message_sources").fetchone()[0]
        assert sources == counts.stored + counts.duplicates, "every message read is recorded where it was seen"
        _dates_fall_in_the_archive_years(store)
        again = ingest(store, [(str(archive), "auto")], IngestOptions(jobs=0)).counts
        assert again.read == 0, "a second run reads only commits added since the first"


def _dates_fall_in_the_archive_years(store: Store) -> None:
    """The archive was filled from July 2019 (with some spring 2019 mail) to January 2023;
    senders' clocks are not all right, but nearly every date must land in those years,
    or dates are being parsed wrongly."""
    inside, total = store.connection.execute(
        "SELECT sum(date >= '2019-01-01' AND date < '2023-02-01'), count(*) FROM messages WHERE date IS NOT NULL"
    ).fetchone()
    assert total > 0.99 * store.count("messages")
    assert inside > 0.99 * total
