"""Two shipped bundles, one per sentence encoder: ``analyzer/data/models/learned`` (MiniLM,
the default) and ``learned-static`` (the static table). ``analyze --encoder`` picks one,
workers (-j N) build their reader from the same one, switching encoder re-reads every
thread, and ``train --encoder static`` writes the static bundle and leaves MiniLM's alone.
On the first real messages of the kvmarm archive and a few real gold threads."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.engine import ReaderSpec, build_reader
from analyzer.errors import ConfigError
from analyzer.learn.encoder import STATIC_DIMENSION, CachedVectors, StaticEncoder
from analyzer.learn.model import BUNDLES, MODEL_DIR, STATIC_MODEL_DIR, bundle_dir, load_models
from analyzer.learn.reader import LearnedReader, learned_reader
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import analysis_records, annotated_folder, require_shared
from tests.test_parallel_analyze import LEARNED_MESSAGES, analysed, real_store


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store(tmp_path_factory.mktemp("small"), LEARNED_MESSAGES)


def test_the_shipped_static_bundle_is_trained_on_every_thread_with_the_static_encoder() -> None:
    assert bundle_dir("minilm") == MODEL_DIR and bundle_dir("static") == STATIC_MODEL_DIR != MODEL_DIR
    static, minilm = load_models(STATIC_MODEL_DIR), load_models(MODEL_DIR)
    assert static.encoder == "static" and static.embeddings and minilm.encoder == "minilm"
    # written by `analyzer train` (the cascade: both bundles) or `analyzer train --encoder static`
    assert static.manifest["rebuild"] in ("analyzer train", "analyzer train --encoder static")
    assert static.manifest["threads"] == minilm.manifest["threads"] and len(static.manifest["threads"]) >= 45
    assert static.manifest["data_hash"] == minilm.manifest["data_hash"]
    assert all(v.shape == (STATIC_DIMENSION,) for v in static.prototypes.values())
    # alone, it records its own cross-validation; written with the cascade, the MiniLM bundle
    # records the cascade's
    assert "cross_validation" in (static.manifest if static.manifest["rebuild"] != "analyzer train" else minilm.manifest)
    with pytest.raises(ConfigError, match="word2vec"):
        bundle_dir("word2vec")


def test_a_worker_spec_builds_the_reader_of_its_encoder() -> None:
    reader = build_reader(ReaderSpec("learned", PipelineSettings(), encoder="static"))
    assert isinstance(reader, LearnedReader) and reader.models.encoder == "static"
    assert isinstance(reader.vectors, CachedVectors) and isinstance(reader.vectors.encoder, StaticEncoder)
    reader = build_reader(ReaderSpec("learned", PipelineSettings()))
    assert isinstance(reader, LearnedReader) and reader.models.encoder == "minilm"


def test_a_bundle_trained_with_another_encoder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUNDLES, "static", MODEL_DIR)
    with pytest.raises(ConfigError, match="trained with the minilm encoder, not static"):
        learned_reader(Annotator(build_pipeline(PipelineSettings())), {}, encoder="static")


def test_a_missing_encoder_is_one_error_for_the_run_not_a_failure_per_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import analyzer.learn.reader as reader_module

    monkeypatch.setattr(reader_module, "sentence_encoder", lambda name: StaticEncoder(tmp_path / "no-table"))
    with pytest.raises(ConfigError, match="no static encoder"):
        learned_reader(Annotator(build_pipeline(PipelineSettings())), {}, encoder="static")


def analyze(db: Path, *options: str) -> dict[str, int]:
    result = CliRunner().invoke(app, ["analyze", "--db", str(db), "--json", "--no-progress", *options])
    assert result.exit_code == 0, result.output
    counts: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return counts


def content(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """The stored records without their row ids (a re-read thread's rows get new ones)
    and without the per-thread fingerprints."""
    found = analysis_records(db, row_ids=False)
    del found["analysed_threads"]
    return found


def fingerprints(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT fingerprint FROM analysed_threads")}


def test_analyze_with_the_static_encoder_then_minilm_rereads_every_thread(small: Path, tmp_path: Path) -> None:
    db = tmp_path / "switch.db"
    shutil.copy(small, db)
    first = analyze(db, "--encoder", "static", "-j", "1")
    assert first["analysed"] == first["threads"] > 3 and first["failed"] == 0
    static = analysis_records(db)
    assert len(static["relations"]) > 10 and len(static["decisions"]) > 2
    static_db = tmp_path / "static.db"
    shutil.copy(db, static_db)
    read_static = fingerprints(db)
    assert analyze(db, "--encoder", "static", "-j", "1")["analysed"] == 0  # nothing changed

    second = analyze(db, "--encoder", "minilm", "-j", "1")
    assert second["analysed"] == second["threads"] == first["threads"]
    assert not fingerprints(db) & read_static  # every thread's stored fingerprint changed
    # What the switch left is what a MiniLM run on a fresh store stores.
    fresh = tmp_path / "fresh.db"
    shutil.copy(small, fresh)
    analyze(fresh, "--encoder", "minilm", "-j", "1")
    assert content(db) == content(fresh)
    assert content(db) != content(static_db)
    assert analyze(db, "--encoder", "static", "-j", "1")["analysed"] == first["threads"]  # and back
    assert content(db) == content(static_db)


def test_analyze_with_the_static_encoder_stores_what_the_static_reading_stores(small: Path, tmp_path: Path) -> None:
    # worker processes against one process: test_parallel_analyze, for every encoder
    cli = tmp_path / "cli.db"
    shutil.copy(small, cli)
    analyze(cli, "--encoder", "static", "-j", "1")
    assert analysis_records(cli) == analysed(small, tmp_path, "direct", "learned", jobs=1, encoder="static")


def test_train_with_the_static_encoder_writes_its_own_bundle_and_leaves_minilm_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The packaged folders stand in tmp_path here (the test trains on 3 threads only)."""
    shipped = digests(MODEL_DIR)
    minilm, static = tmp_path / "learned", tmp_path / "learned-static"
    shutil.copytree(MODEL_DIR, minilm)
    monkeypatch.setitem(BUNDLES, "minilm", minilm)
    monkeypatch.setitem(BUNDLES, "static", static)
    data = annotated_folder(tmp_path / "threads")
    result = CliRunner().invoke(app, ["train", "--encoder", "static", "--no-cv", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert digests(minilm) == shipped and digests(MODEL_DIR) == shipped
    assert load_models(static).encoder == "static"
    once = digests(static)
    assert CliRunner().invoke(app, ["train", "--encoder", "static", "--no-cv", "--data", str(data)]).exit_code == 0
    again = digests(static)
    assert {n: d for n, d in again.items() if n != "manifest.json"} == {n: d for n, d in once.items() if n != "manifest.json"}


def test_label_takes_the_encoder_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    mbox = sorted(require_shared("gold").glob("*.mbox"))[0]
    lines = {}
    for encoder in ("static", "minilm"):
        result = CliRunner().invoke(app, ["label", str(mbox), "--encoder", encoder, "-o", str(tmp_path / f"{encoder}.jsonl")])
        assert result.exit_code == 0, result.output
        lines[encoder] = [json.loads(x)["message_id"] for x in (tmp_path / f"{encoder}.jsonl").read_text().splitlines()]
    assert lines["static"] == lines["minilm"] and lines["static"]
    result = CliRunner().invoke(app, ["label", str(mbox), "--encoder", "word2vec"])
    assert result.exit_code == 2 and "minilm, static" in result.output
