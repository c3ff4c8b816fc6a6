"""Mutated real messages through ingest -> structure -> analyze -> report: no crash, and
every message accounted for (read = stored + duplicates + rejected over the file's
separators; every stored message threaded, segmented or recorded as failed; every thread
analysed). benchmarks/fuzz_pipeline.py runs the same on thousands of mutants."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.analyze import analyze_store
from analyzer.cli import app
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from analyzer.report.write import write_report
from analyzer.store.db import Store
from analyzer.store.debate import load_debate
from analyzer.store.structure import rebuild_structure
from tests.conftest import require_shared
from tests.mutants import MUTATIONS, as_mbox, mutant, mutant_corpus, real_messages, separators

runner = CliRunner()


@pytest.fixture(scope="module")
def messages() -> list[bytes]:
    return real_messages(require_shared(), limit=120)


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(build_pipeline(PipelineSettings()))


def run_pipeline(mbox: bytes, folder: Path, annotator: Annotator) -> Store:
    """Ingest, structure and analyse one mbox, checking the accounting at each stage."""
    path = folder / "mutants.mbox"
    path.write_bytes(mbox)
    store = Store.open(folder / "mutants.db")
    counts = ingest(store, [(str(path), "mbox")], IngestOptions(jobs=1)).counts
    assert counts.read == separators(mbox)
    assert counts.balanced()
    assert store.count("messages") == counts.stored
    assert store.count("rejections") == counts.rejected_total
    summary = rebuild_structure(store)
    db = store.connection
    threaded = db.execute("SELECT count(*) FROM thread_members WHERE placeholder = 0").fetchone()[0]
    assert threaded == counts.stored == summary.messages
    segmented = db.execute("SELECT count(*) FROM segmentations").fetchone()[0]
    failed = db.execute("SELECT count(*) FROM stage_failures WHERE stage = 'segment'").fetchone()[0]
    assert segmented + failed == counts.stored
    report = analyze_store(store, annotator, pipeline_fingerprint="fuzz")
    assert report.analysed == report.threads == db.execute("SELECT count(*) FROM analysed_threads").fetchone()[0]
    return store


def test_hundreds_of_mutated_real_messages_are_all_accounted_for_and_reported(
    tmp_path: Path, messages: list[bytes], annotator: Annotator
) -> None:
    corpus = messages[:40] + mutant_corpus(messages, 260, seed=11)
    mbox = as_mbox(corpus)
    store = run_pipeline(mbox, tmp_path, annotator)
    try:
        written = write_report(load_debate(store), tmp_path / "report", thread_id=None, formats=("html", "md"))
        assert all(p.stat().st_size > 0 for p in written)
        some = [r[0] for r in store.connection.execute("SELECT message_id FROM messages ORDER BY id LIMIT 5")]
    finally:
        store.close()
    db = str(tmp_path / "mutants.db")
    for args in (["threads"], ["stats"], ["rejections"], *(["show", m] for m in some)):
        result = runner.invoke(app, [*args, "--db", db], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.output


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 119), st.lists(st.integers(0, len(MUTATIONS) - 1), min_size=1, max_size=3), st.integers(0, 1 << 16)),
        min_size=1,
        max_size=10,
    )
)
def test_any_mix_of_mutations_keeps_the_counts_adding_up(
    messages: list[bytes], annotator: Annotator, choices: list[tuple[int, list[int], int]]
) -> None:
    corpus = [mutant(messages[i % len(messages)], operations, seed) for i, operations, seed in choices]
    with tempfile.TemporaryDirectory() as folder:
        run_pipeline(as_mbox(corpus), Path(folder), annotator).close()
