"""Add data's learned reader is built once per encoder for the server process and shared
by every session: what it stores (records and fingerprint) is what a reader built for the
one addition stores, and two sessions adding data at once read their threads in turns
(the reader's sentence-vector memos are not thread-safe) and store what each stores alone."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.dashboard import intake, loaders
from analyzer.dashboard.config import load_config
from analyzer.ingest.pipeline import IngestOptions
from analyzer.learn.model import DEFAULT_READING
from analyzer.learn.reader import LearnedReader
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, update_store
from tests.conftest import CORPUS, Rows, analysis_records

THREADS = (CORPUS / "kvm.mbox", CORPUS / "kvmarm.mbox")


def _added(db: Path, mbox: Path) -> Rows:
    """``mbox`` added to a new store at ``db`` as the Add data page adds an upload."""
    config = load_config(["--db", str(db)], {})
    added = intake.add_upload_file(config, mbox.name, mbox, annotator=loaders.annotator(), encoder=DEFAULT_READING)
    assert added.report.analysis.analysed == added.report.analysis.threads > 0
    return analysis_records(db)


def _alone(db: Path, mbox: Path) -> Rows:
    """``mbox`` stored and analysed with a learned reader built for this addition alone."""
    with Store.open(db) as store:
        update_store(store, [(str(mbox), "mbox")], WorkflowOptions(ingest=IngestOptions(jobs=1), encoder=DEFAULT_READING),
                     annotator=loaders.annotator())
    return analysis_records(db)


def test_the_shared_reader_is_built_once_and_stores_what_a_reader_of_its_own_stores(tmp_path: Path) -> None:
    first = _added(tmp_path / "first.db", THREADS[0])
    shared = intake.shared_reading(loaders.annotator(), DEFAULT_READING)
    again = _added(tmp_path / "again.db", THREADS[0])
    assert intake.shared_reading(loaders.annotator(), DEFAULT_READING) is shared  # not built again
    alone = _alone(tmp_path / "alone.db", THREADS[0])
    assert first == again == alone
    assert len(alone["claims"]) > 3 and len(alone["relations"]) > 10
    # stored under the fingerprint of `analyze`'s default reading: it finds every thread up to date
    result = CliRunner().invoke(app, ["analyze", "--db", str(tmp_path / "again.db"), "-j", "1", "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["analysed"] == 0 and json.loads(result.stdout)["unchanged"] > 0


def test_two_sessions_adding_at_once_read_in_turns_and_store_what_each_stores_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = [_alone(tmp_path / f"alone-{i}.db", mbox) for i, mbox in enumerate(THREADS)]
    intake.shared_reading(loaders.annotator(), DEFAULT_READING)  # built before the sessions race
    inside = 0
    most = 0
    counting = threading.Lock()
    read = LearnedReader.__call__

    def watched(self: LearnedReader, thread: object) -> object:
        """The learned reader, counting how many threads of the server are inside it."""
        nonlocal inside, most
        with counting:
            inside += 1
            most = max(most, inside)
        try:
            return read(self, thread)  # type: ignore[arg-type]
        finally:
            with counting:
                inside -= 1

    monkeypatch.setattr(LearnedReader, "__call__", watched)
    start = threading.Barrier(2)
    found: dict[int, Rows] = {}
    failures: list[BaseException] = []

    def session(index: int) -> None:
        try:
            start.wait()
            found[index] = _added(tmp_path / f"session-{index}.db", THREADS[index])
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread below
            failures.append(exc)

    sessions = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for one in sessions:
        one.start()
    for one in sessions:
        one.join()
    assert not failures, failures
    assert most == 1  # in turns
    assert [found[0], found[1]] == alone


def test_the_shared_reader_is_built_again_once_its_bundles_are_trained_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the shipped bundles stands for them; one of their files changing (as
    `analyzer train` rewrites them) makes the next addition build the reader again, under
    the new fingerprint, as `analyze` would read it."""
    from analyzer.learn import model

    copies = {}
    for encoder, directory in model.BUNDLES.items():
        copy = tmp_path / "models" / directory.name
        if not copy.exists():
            shutil.copytree(directory, copy)
        copies[encoder] = copy
    monkeypatch.setattr(model, "BUNDLES", copies)
    annotator = loaders.annotator()
    before = intake.shared_reading(annotator, DEFAULT_READING)
    assert intake.shared_reading(annotator, DEFAULT_READING) is before
    settings = copies[DEFAULT_READING] / "settings.json"
    settings.write_text(settings.read_text() + "\n")  # the same models, other bytes: trained again
    after = intake.shared_reading(annotator, DEFAULT_READING)
    assert after is not before and after[1] != before[1]
    assert intake.shared_reading(annotator, DEFAULT_READING) is after
