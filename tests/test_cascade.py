"""The cascade reading (the default): the static bundle's position heads gate which sentences
MiniLM encodes. Gate 0 is MiniLM's reading exactly; a sentence below the gate is never handed
to MiniLM; the stored fingerprint names the reading and the gate; worker processes store what
one process stores; hostile mail stays bounded; ``train`` writes both bundles and the gate,
deterministically. On real gold threads and the first real messages of the kvmarm archive."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.files import read_thread_file
from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.cli import app
from analyzer.cli.analysis import _analysis_fingerprint
from analyzer.engine import ReaderSpec, build_reader
from analyzer.errors import ConfigError
from analyzer.learn.cascade import GATES, best_position, gate_for_recall, sentence_key
from analyzer.learn.encoder import CachedVectors, SentenceEncoder, StaticEncoder
from analyzer.learn.examples import position_sentences
from analyzer.learn.model import BUNDLES, MODEL_DIR, STATIC_MODEL_DIR, load_models
from analyzer.learn.reader import LearnedReader, learned_reader, static_gate
from analyzer.learn.views import view_thread
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import annotated_folder, require_shared
from tests.factories import msg, reply


class Recording:
    """MiniLM vectors, remembering every text they were asked to encode."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.inner = CachedVectors(SentenceEncoder())
        self.dimension = self.inner.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(build_pipeline(PipelineSettings()))


@pytest.fixture(scope="module")
def kinds() -> dict[str, str]:
    return {b.id: b.kind for b in load_catalogue(None)}


@pytest.fixture(scope="module")
def gold_threads() -> list[ThreadInput]:
    found = []
    for mbox in sorted(require_shared("gold").glob("*.mbox"))[:2]:
        found += thread_inputs(unique_messages(read_thread_file(mbox).messages))
    assert len(found) >= 2
    return found


def test_gate_zero_reads_exactly_as_minilm_alone(annotator: Annotator, kinds: dict[str, str],
                                                 gold_threads: list[ThreadInput]) -> None:
    minilm, static = load_models(MODEL_DIR), load_models(STATIC_MODEL_DIR)
    alone = LearnedReader(annotator, minilm, kinds)
    gated = LearnedReader(annotator, minilm, kinds, gate=static_gate(static, 0.0))
    high = LearnedReader(annotator, minilm, kinds, gate=static_gate(static, max(GATES)))
    read_alone = [alone(t) for t in gold_threads]
    assert [gated(t) for t in gold_threads] == read_alone
    assert any(m.positions for a in read_alone for m in a.messages)
    # A high gate changes the positions only: the other tasks read no vectors.
    read_high = [high(t) for t in gold_threads]
    assert [[(m.relations, m.decisions, m.mentions) for m in a.messages] for a in read_high] == [
        [(m.relations, m.decisions, m.mentions) for m in a.messages] for a in read_alone
    ]


def test_sentences_below_the_gate_are_never_encoded_by_minilm(annotator: Annotator, kinds: dict[str, str],
                                                               gold_threads: list[ThreadInput]) -> None:
    static = load_models(STATIC_MODEL_DIR)
    gate = 0.3
    recording = Recording()
    reader = LearnedReader(annotator, load_models(MODEL_DIR), kinds, vectors=recording, gate=static_gate(static, gate))
    static_vectors = CachedVectors(StaticEncoder())
    opened: list[str] = []
    closed: list[str] = []
    for thread in gold_threads:
        reader(thread)
        view = view_thread(thread, annotator)
        scores = best_position(view.messages, static.heads, static_vectors, static.prototypes)
        for v in view.messages:
            for s in position_sentences(v):
                (opened if scores[sentence_key(s)] >= gate else closed).append(s.text)
    assert opened and closed  # the gate both opens and closes sentences of these threads
    assert sorted(recording.texts) == sorted(opened)  # MiniLM's inputs, counted: the opened ones only
    assert not set(closed) - set(opened) & set(recording.texts)


def test_the_fingerprint_names_the_reading_and_the_gate() -> None:
    settings = PipelineSettings()
    prints = {
        _analysis_fingerprint("learned", "cascade", settings, 0.3),
        _analysis_fingerprint("learned", "cascade", settings, 0.25),
        _analysis_fingerprint("learned", "cascade", settings, 0.0),
        _analysis_fingerprint("learned", "minilm", settings),
        _analysis_fingerprint("learned", "static", settings),
        _analysis_fingerprint("rules", "cascade", settings),
    }
    assert len(prints) == 6


def test_the_shipped_bundle_holds_the_gate_and_a_worker_spec_reads_with_it() -> None:
    models = load_models(MODEL_DIR)
    assert models.gate in GATES and models.encoder == "minilm"
    assert models.manifest["rebuild"] == "analyzer train"
    reader = build_reader(ReaderSpec("learned", PipelineSettings()))
    assert isinstance(reader, LearnedReader) and reader.gate is not None and reader.gate.gate == models.gate
    reader = build_reader(ReaderSpec("learned", PipelineSettings(), gate=0.05))
    assert isinstance(reader, LearnedReader) and reader.gate is not None and reader.gate.gate == 0.05
    reader = build_reader(ReaderSpec("learned", PipelineSettings(), encoder="minilm"))
    assert isinstance(reader, LearnedReader) and reader.gate is None


def test_a_bundle_without_a_gate_is_refused_for_the_cascade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             annotator: Annotator) -> None:
    bundle = tmp_path / "learned"
    shutil.copytree(STATIC_MODEL_DIR, tmp_path / "learned-static")
    shutil.copytree(MODEL_DIR, bundle)
    settings = (bundle / "settings.json").read_text(encoding="utf-8")
    (bundle / "settings.json").write_text(settings.replace('"gate"', '"no-gate"'), encoding="utf-8")
    monkeypatch.setitem(BUNDLES, "cascade", bundle)
    with pytest.raises(ConfigError, match="no cascade gate"):
        learned_reader(annotator, {}, encoder="cascade")
    with pytest.raises(ConfigError, match="unknown reading"):
        learned_reader(annotator, {}, encoder="word2vec")


def test_the_gate_is_the_highest_that_keeps_the_recall() -> None:
    kept = [0.02, 0.2, 0.3, 0.31, 0.45, 0.6, 0.7, 0.8, 0.9, 0.95]
    assert gate_for_recall(kept, 0.9) == 0.2  # 9 of 10 at 0.2, 8 at 0.25 and 0.3
    assert gate_for_recall(kept, 1.0) == 0.02
    assert gate_for_recall([], 0.95) == max(GATES)  # nothing kept: nothing to lose


def test_hostile_mail_stays_bounded_through_the_cascade(annotator: Annotator, kinds: dict[str, str]) -> None:
    recording = Recording()
    reader = LearnedReader(annotator, load_models(MODEL_DIR), kinds, vectors=recording,
                           gate=static_gate(load_models(STATIC_MODEL_DIR), 0.0))
    root = msg("root@x", subject="[PATCH] KVM: arm64: keep the old IIDR selectable", body="We must keep KVM_CAP_ARM_NISV_TO_USER working.\n")
    patch = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,50000 +1,50000 @@\n" + "+int x;\n" * 50_000
    messages = [
        root,
        reply(root, "empty@x", body=""),
        reply(root, "quote@x", body="".join(f"> quoted line {i}\n" for i in range(30_000)) + "\nThis breaks migration.\n"),
        reply(root, "patch@x", body="Here is the fix.\n\n" + patch),
        reply(root, "line@x", body="A" * 300_000 + "\n"),
        reply(root, "dump@x", body="My config:\n" + "".join(f"# CONFIG_SENSOR_{i} is not set\n" for i in range(3_000))),
        reply(root, "nul@x", body="Bad \x00 bytes and \u202e right-to-left, but we must not break userspace.\n"),
    ]
    threads = thread_inputs(unique_messages(messages))
    analysed = {m.message_id for t in threads for m in reader(t).messages}
    assert analysed == {m.message_id for m in messages}
    assert len(recording.texts) < 200
    assert not any("+int x;" in t or "CONFIG_SENSOR_2999" in t for t in recording.texts)


def test_train_writes_both_bundles_and_the_gate_deterministically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged folders stand in tmp_path here (the test trains on 3 threads only)."""
    data = annotated_folder(tmp_path / "threads")
    written = []
    for name in ("first", "second"):
        output = tmp_path / name / "learned"
        result = CliRunner().invoke(app, ["train", "--no-cv", "--data", str(data), "--output", str(output)])
        assert result.exit_code == 0, result.output
        minilm, static = load_models(output), load_models(output.with_name("learned-static"))
        assert minilm.encoder == "minilm" and static.encoder == "static" and minilm.gate in GATES
        written.append({p.relative_to(tmp_path / name): p.read_bytes() for p in (tmp_path / name).rglob("*")
                        if p.is_file() and p.name != "manifest.json"})
    assert written[0] == written[1] and len(written[0]) >= 8


def test_vectors_remembered_from_earlier_threads_read_each_thread_as_a_fresh_reader_does(
    annotator: Annotator, kinds: dict[str, str], gold_threads: list[ThreadInput]
) -> None:
    remembering = learned_reader(annotator, kinds)
    assert isinstance(remembering.vectors, CachedVectors) and remembering.vectors.keep
    assert remembering.gate is not None and isinstance(remembering.gate.vectors, CachedVectors)
    forgetting = learned_reader(annotator, kinds)
    for memo in (forgetting.vectors, forgetting.gate.vectors if forgetting.gate else None):
        assert isinstance(memo, CachedVectors)
        memo.keep = None  # emptied after every thread
    order = [*gold_threads, *reversed(gold_threads)]
    expected = [forgetting(t) for t in order]
    assert [remembering(t) for t in order] == expected
    assert any(m.positions for a in expected for m in a.messages)
    # the second reading of a thread encodes nothing: every vector was remembered
    minilm = remembering.vectors
    counted = Recording()
    minilm.encoder = counted  # type: ignore[assignment]
    assert remembering(gold_threads[0]) == expected[0]
    assert counted.texts == []
