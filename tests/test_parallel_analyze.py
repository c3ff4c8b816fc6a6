"""`analyze` partitioned by thread: worker processes (-j 2) and a Dask cluster (a 2-worker
LocalCluster of processes) store exactly the records a one-process run stores, on a small
store of real mail (the first messages of the kvmarm archive in ../shared/archives): with
the rules on 240 messages, and with the learned reading (the default, about 30 times
slower) on the first 24."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.analyze import analyze_store
from analyzer.cli import app
from analyzer.engine import Method, ReaderSpec, choose_engine, dask_engine
from analyzer.ingest import publicinbox
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.nlp.pipeline import PipelineSettings
from analyzer.store.db import Store
from analyzer.store.structure import rebuild_structure
from analyzer.workers import Runner, choose_runner
from analyzer.workflow import analysis_fingerprint
from tests.conftest import Rows, analysis_records, require_shared, stored_rows

MESSAGES = 240
SEGMENT_TABLES = ("segmentations", "segment_blocks", "segment_attributions", "segment_quotes", "segment_own",
                  "segment_trailers", "stage_failures")


LEARNED_MESSAGES = 24


def real_store(folder: Path, messages: int) -> Path:
    """A store of the archive's first messages, threaded and segmented, not analysed."""
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    publicinbox.write_first_messages(archive, messages, folder / "first.mbox")
    with Store.open(folder / "ingested.db") as store:
        ingest(store, [(str(folder / "first.mbox"), "mbox")], IngestOptions(jobs=1))
    shutil.copy(folder / "ingested.db", folder / "structured.db")
    with Store.open(folder / "structured.db") as store:
        rebuild_structure(store)
    return folder / "structured.db"


@pytest.fixture(scope="module")
def structured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store(tmp_path_factory.mktemp("real"), MESSAGES)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store(tmp_path_factory.mktemp("small"), LEARNED_MESSAGES)


def analysed(structured: Path, tmp_path: Path, name: str, method: Method = "rules", *, in_workers: bool = False,
             encoder: str = "cascade", gate: float | None = None, **engine: object) -> Rows:
    """``in_workers``: the workers read each thread's mail and segments from the store
    themselves (as ``analyzer analyze -j N`` does), instead of the driver sending them.
    ``encoder`` and ``gate``: which learned reading (``analyzer analyze --encoder``)."""
    db = tmp_path / f"{name}.db"
    shutil.copy(structured, db)
    settings = PipelineSettings()
    spec = ReaderSpec(method, settings, encoder=encoder, gate=gate)
    with Store.open(db) as store:
        stored = store.count("messages")
        report = analyze_store(store, None, pipeline_fingerprint=analysis_fingerprint(method, encoder, settings, gate),
                               engine=choose_engine(spec, **engine),  # type: ignore[arg-type]
                               inputs_in_workers=in_workers)
    assert report.analysed == report.threads > 3 and report.messages == stored
    return analysis_records(db)


@pytest.fixture(scope="module")
def one_process(structured: Path, tmp_path_factory: pytest.TempPathFactory) -> Rows:
    found = analysed(structured, tmp_path_factory.mktemp("one"), "one", jobs=1)
    assert len(found["claims"]) >= 3 and len(found["mentions"]) > 10 and len(found["relations"]) > 50
    return found


@pytest.mark.parametrize(("encoder", "gate"), [("cascade", None), ("cascade", 0.1), ("minilm", None), ("static", None)])
def test_learned_reading_in_worker_processes_stores_the_records_of_one_process(
    small: Path, tmp_path: Path, encoder: str, gate: float | None
) -> None:
    alone = analysed(small, tmp_path, "one", "learned", jobs=1, encoder=encoder, gate=gate)
    assert len(alone["relations"]) > 10 and len(alone["decisions"]) > 2
    assert analysed(small, tmp_path, "two", "learned", jobs=2, in_workers=True, encoder=encoder, gate=gate) == alone


def test_worker_processes_store_the_records_of_one_process(structured: Path, tmp_path: Path,
                                                           one_process: Rows) -> None:
    assert analysed(structured, tmp_path, "two", jobs=2) == one_process
    assert analysed(structured, tmp_path, "reading", jobs=2, in_workers=True) == one_process


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                           dashboard_address=None)
    with cluster as local:
        yield local.scheduler_address


def test_a_dask_cluster_stores_the_records_of_one_process(structured: Path, tmp_path: Path, cluster: str,
                                                          one_process: Rows) -> None:
    assert analysed(structured, tmp_path, "dask", engine="dask", scheduler=cluster) == one_process
    # Workers that see the store's file (here: on this machine) can read their threads' mail.
    assert analysed(structured, tmp_path, "dask-reading", engine="dask", scheduler=cluster,
                    in_workers=True) == one_process
    db = tmp_path / "cli-dask.db"
    shutil.copy(structured, db)
    result = CliRunner().invoke(app, ["analyze", "--db", str(db), "--engine", "dask", "--scheduler", cluster,
                                      "--workers-read-store", "--method", "rules", "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    found = analysis_records(db)
    assert [t for t, _ in found.pop("analysed_threads")] == [t for t, _ in one_process["analysed_threads"]]
    assert found == {t: rows for t, rows in one_process.items() if t != "analysed_threads"}


def test_analyze_command_takes_jobs_and_refuses_a_dask_engine_without_scheduler(small: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    shutil.copy(small, db)
    result = CliRunner().invoke(app, ["analyze", "--db", str(db), "--engine", "dask"])
    assert result.exit_code == 2 and "--scheduler" in result.output
    result = CliRunner().invoke(app, ["analyze", "--db", str(db), "-j", "-1"])
    assert result.exit_code == 2 and "--jobs" in result.output
    result = CliRunner().invoke(app, ["analyze", "--db", str(db), "-j", "2", "--method", "rules", "--json"])
    assert result.exit_code == 0, result.output
    assert '"failed": 0' in result.output


def test_dask_engine_names_an_unreachable_scheduler() -> None:
    run = dask_engine(ReaderSpec("rules", PipelineSettings()), "tcp://127.0.0.1:9", connect_timeout=2)
    with pytest.raises(Exception, match="no Dask scheduler"):
        list(run(iter(())))


def segments(path: Path) -> Rows:
    with sqlite3.connect(path) as conn:
        return stored_rows(conn, SEGMENT_TABLES, column=lambda name: not name.endswith("_at"))


def segmented(structured: Path, tmp_path: Path, name: str, runner: Runner) -> Rows:
    db = tmp_path / f"{name}.db"
    shutil.copy(structured.with_name("ingested.db"), db)
    with Store.open(db) as store:
        summary = rebuild_structure(store, runner=runner)
    assert summary.segmented > MESSAGES * 0.9 and summary.failed == 0
    return segments(db)


def test_segmentation_on_worker_processes_and_dask_stores_the_records_of_one_process(
        structured: Path, tmp_path: Path, cluster: str) -> None:
    """`structure -j 2` and `structure --engine dask` segment threads on two processes:
    the same segments as -j 1 (the fixture's store)."""
    alone = segments(structured)
    assert len(alone["segment_quotes"]) > 100
    assert segmented(structured, tmp_path, "two", choose_runner(jobs=2)) == alone
    assert segmented(structured, tmp_path, "dask", choose_runner(engine="dask", scheduler=cluster)) == alone


def test_structure_command_runs_on_a_dask_cluster_and_resumes(structured: Path, tmp_path: Path, cluster: str) -> None:
    """A structure run that stopped half-way (some threads' segments gone, the "up to date"
    mark not written) is finished by `structure --engine dask`, with one process's segments."""
    db = tmp_path / "cli.db"
    shutil.copy(structured, db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        half = [r[0] for r in conn.execute("SELECT message_id FROM segmentations ORDER BY message_id")][::2]
        conn.executemany("DELETE FROM segmentations WHERE message_id = ?", [(m,) for m in half])
        for table in SEGMENT_TABLES[1:-1]:
            conn.executemany(f"DELETE FROM {table} WHERE message_id = ?", [(m,) for m in half])
        conn.execute("DELETE FROM structure_state")
    result = CliRunner().invoke(app, ["structure", "--db", str(db), "--engine", "dask"])
    assert result.exit_code == 2 and "--scheduler" in result.output
    result = CliRunner().invoke(app, ["structure", "--db", str(db), "--engine", "dask", "--scheduler", cluster,
                                      "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["failed"] == 0 and len(half) <= summary["segmented"] < summary["messages"]
    assert segments(db) == segments(structured)


def test_workers_exit_when_a_killed_analyze_cannot_stop_them(small: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    from tests.conftest import ROOT

    db = tmp_path / "killed.db"
    shutil.copy(small, db)
    process = subprocess.Popen([sys.executable, "-c", "from analyzer.cli import main; main()", "analyze", "--db", str(db),
                                "-j", "2", "--method", "rules", "--no-progress"],
                               env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    owner = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
        workers = [c for c in owner.children() if "spawn_main" in " ".join(c.cmdline())]
        time.sleep(0.05)
    assert len(workers) == 2, "the workers never started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    for worker in alive:
        worker.kill()
    assert not alive, "workers outlived the killed analyze"


def test_a_stored_thread_carries_only_its_own_entries_and_reads_the_input_the_driver_would(small: Path) -> None:
    from analyzer.analysis.inputs import previous_versions
    from analyzer.store.structure import authors_of, load_threads, series_touching
    from analyzer.stored_threads import StoredThread, input_of, thread_input

    with Store.open(small) as store:
        threads = load_threads(store)
        ids = [m for t in threads for m in t.message_ids]
        authors, previous = authors_of(store, ids), previous_versions(series_touching(store, ids))
        thread = max(threads, key=lambda t: len(t.message_ids))
        stored = StoredThread.of(store, thread, authors=authors, roles_known=False, previous=previous)
        assert set(stored.authors) == set(thread.message_ids) and len(authors) > len(stored.authors)
        assert set(stored.previous) <= set(thread.message_ids)
        expected = thread_input(store, thread, authors=authors, roles_known=False, previous=previous)
        assert input_of(stored) == expected
        # A Dask worker runs tasks on several threads: each reads through a connection of its own.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=3) as pool:
            assert list(pool.map(input_of, [stored] * 6)) == [expected] * 6
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        Store.open_for_reading(small).connection.execute("DELETE FROM messages")
