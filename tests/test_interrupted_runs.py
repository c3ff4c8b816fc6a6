"""Runs killed partway (kill -9, Ctrl-C) and run again leave exactly the store an
uninterrupted run leaves, record for record; Ctrl-C exits 130 without a traceback; parser
worker processes do not outlive a killed ingest.

The store is built from the real threads in ../shared (gold and silver mboxes); each
stage is stopped when the database shows it has committed part of its work, so the kill
lands inside the stage, not before or after it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_shared
from tests.processes import alive, descendants

ANALYZER = [sys.executable, "-c", "from analyzer.cli import main; main()"]
_ENV = os.environ | {"PYTHONPATH": str(ROOT)}

# Columns that say when, not what: they differ between any two runs.
_CLOCK_COLUMNS = {"ingested_at", "last_seen", "analysed_at", "failed_at"}
# Row ids and run logs: an interrupted run is logged as one, and ids are not content.
_SKIPPED_TABLES = {"ingest_runs", "sqlite_sequence"}
_ROW_IDS = {"id"}


def _sources() -> list[str]:
    """The gold threads and 12 of the silver ones (~300 messages): enough threads for a kill
    to land inside each stage, few enough to keep the file well under a minute."""
    found = sorted(require_shared("silver").glob("*.mbox"))[:12] + sorted(require_shared("gold").glob("*.mbox"))
    return [str(p) for p in found]


def _run(args: Sequence[str], db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ANALYZER, *args, "--db", str(db)], env=_ENV, capture_output=True, text=True, timeout=300)


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return 0  # not created or not migrated yet


def _stop_midway(args: Sequence[str], db: Path, progress_sql: str, total: int, signum: int) -> subprocess.Popen[str]:
    """Start the command and send ``signum`` once ``progress_sql`` counts some but not all
    of ``total``: the stage has committed part of its work."""
    process = subprocess.Popen(
        [*ANALYZER, *args, "--db", str(db)], env=_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if 0 < _count(db, progress_sql) < total:
            process.send_signal(signum)
            break
        time.sleep(0.005)
    process.wait(timeout=120)
    return process


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the run log, without clock columns and row ids,
    sorted: two stores with the same content give the same snapshot."""
    with sqlite3.connect(db) as connection:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if row[0] not in _SKIPPED_TABLES and not row[0].startswith("messages_fts")
        ]
        shot: dict[str, list[tuple[object, ...]]] = {}
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            kept = [c for c in columns if c not in _CLOCK_COLUMNS | _ROW_IDS]
            names = ", ".join(f'"{c}"' for c in kept)
            shot[table] = sorted(connection.execute(f'SELECT {names} FROM "{table}"').fetchall(), key=repr)
        shot["fts"] = [connection.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'kvm'").fetchone()]
        return shot


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    db = tmp_path_factory.mktemp("whole") / "whole.db"
    assert _run(["ingest", *_sources(), "--no-progress"], db).returncode == 0
    assert _run(["analyze", "--no-progress"], db).returncode == 0
    return snapshot(db)


def test_killed_at_every_stage_and_rerun_gives_the_uninterrupted_store(
    tmp_path: Path, uninterrupted: dict[str, list[tuple[object, ...]]]
) -> None:
    db = tmp_path / "killed.db"
    messages = len(uninterrupted["messages"])
    threads = len(uninterrupted["analysed_threads"])
    stopped = []

    ingest = _stop_midway(["ingest", *_sources(), "--no-progress"], db, "SELECT count(*) FROM messages", messages, signal.SIGKILL)
    stopped.append(ingest.returncode == -signal.SIGKILL)
    assert _run(["ingest", *_sources(), "--no-progress"], db).returncode == 0

    # structure, through analyze: killed while segmenting, then while analysing
    segmenting = _stop_midway(["analyze", "--no-progress"], db, "SELECT count(*) FROM segmentations", messages, signal.SIGKILL)
    stopped.append(segmenting.returncode == -signal.SIGKILL)
    analysing = _stop_midway(["analyze", "--no-progress"], db, "SELECT count(*) FROM analysed_threads", threads, signal.SIGKILL)
    stopped.append(analysing.returncode == -signal.SIGKILL)
    assert _run(["analyze", "--no-progress"], db).returncode == 0

    assert sum(stopped) >= 2, f"the kills landed inside too few stages: {stopped}"
    assert snapshot(db) == uninterrupted


def test_ctrl_c_during_structure_and_analyze_exits_130_and_a_rerun_completes(
    tmp_path: Path, uninterrupted: dict[str, list[tuple[object, ...]]]
) -> None:
    db = tmp_path / "interrupted.db"
    assert _run(["ingest", *_sources(), "--no-progress"], db).returncode == 0
    messages = len(uninterrupted["messages"])
    threads = len(uninterrupted["analysed_threads"])
    interrupted = 0
    for sql, total in (
        ("SELECT count(*) FROM segmentations", messages),
        ("SELECT count(*) FROM analysed_threads", threads),
    ):
        process = _stop_midway(["analyze", "--no-progress"], db, sql, total, signal.SIGINT)
        stderr = process.stderr.read() if process.stderr else ""
        if process.returncode != 0:  # the signal landed before the run finished
            assert process.returncode == 130, stderr
            assert "Traceback" not in stderr and "interrupted" in stderr
            interrupted += 1
    assert interrupted, "Ctrl-C never landed inside a run"
    # A structure cut short is not "up to date": the next run redoes it, then analyses.
    assert _run(["analyze", "--no-progress"], db).returncode == 0
    assert snapshot(db) == uninterrupted


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process parents from /proc")
def test_parser_workers_exit_when_ingest_is_killed(tmp_path: Path) -> None:
    # One mbox of every thread: a batch big enough to go to the worker processes.
    combined = tmp_path / "all.mbox"
    combined.write_bytes(b"".join(Path(p).read_bytes().rstrip(b"\n") + b"\n\n" for p in _sources()))
    process = subprocess.Popen(
        [*ANALYZER, "ingest", str(combined), "--db", str(tmp_path / "w.db"), "-j", "2", "--no-progress"],
        env=_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and len(workers) < 3:
        workers = descendants(process.pid)  # the forkserver and its workers
        time.sleep(0.01)
    if process.poll() is not None:
        pytest.skip("ingest finished before its workers could be seen")
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "worker processes outlived the killed ingest"
