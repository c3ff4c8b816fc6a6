"""The static sentence encoder (a model2vec table distilled from MiniLM): it loads from the
committed files and nothing else, gives the same unit vectors every time, keeps similar
sentences closer than unrelated ones, stays bounded on hostile text, reads without torch, and
the train / cross-validation / analyse path runs with it end to end on a few real threads."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.cli import app
from analyzer.learn.encoder import MAX_CHARS, STATIC_DIMENSION, STATIC_DIR, CachedVectors, StaticEncoder, sentence_encoder
from analyzer.learn.model import load_models, model_files
from analyzer.learn.reader import LearnedReader
from analyzer.learn.workflow import Method, Prepared, prepare, run_cross_validation, train_bundle
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import annotated_folder, require_shared
from tests.factories import msg, reply

SIMILAR = (
    "Userspace must be able to restore the previous behaviour after a kernel upgrade.",
    "After upgrading the kernel, the VMM needs a way to get the old behaviour back.",
)
UNRELATED = "The patch fixes a typo in a comment of the Makefile."


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return StaticEncoder()


def test_the_committed_files_are_the_ones_the_model_card_lists() -> None:
    card = (STATIC_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    listed = dict((name, digest) for digest, name in re.findall(r"^\s+([0-9a-f]{64})  (\S+)$", card, re.M))
    assert set(listed) == {"config.json", "model.safetensors", "modules.json", "tokenizer.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
    assert "Apache-2.0" in card and "scripts/distill_static.py" in card
    config = json.loads((STATIC_DIR / "config.json").read_text(encoding="utf-8"))
    assert config["hidden_dim"] == STATIC_DIMENSION and config["embedding_dtype"] == "float16"
    assert "/work/" not in json.dumps(config)  # no path of the machine that built it


def test_vectors_are_unit_length_of_the_right_shape_and_the_same_every_time(encoder: StaticEncoder) -> None:
    texts = [*SIMILAR, UNRELATED]
    first = encoder.encode(texts)
    assert first.shape == (3, STATIC_DIMENSION) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    again = StaticEncoder().encode(list(reversed(texts)))[::-1]
    assert np.array_equal(first, again)
    # each text on its own, bit for bit: a vector remembered from another batch is the same
    assert np.array_equal(first, np.concatenate([encoder.encode([t]) for t in texts]))
    assert encoder.encode([]).shape == (0, STATIC_DIMENSION)


def test_similar_sentences_are_closer_than_unrelated_ones(encoder: StaticEncoder) -> None:
    a, b, c = encoder.encode([*SIMILAR, UNRELATED])
    assert float(a @ b) > float(a @ c) + 0.2
    assert float(a @ b) > float(b @ c) + 0.2


def test_empty_huge_and_non_english_text_stay_bounded(encoder: StaticEncoder) -> None:
    huge = "the guest must keep seeing the old register value " * 25_000
    texts = ["", "   ", huge, huge[:MAX_CHARS], "Das ist nicht rückwärtskompatibel.", "これは互換性の問題です", "\x00\ufffd" * 100]
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    assert time.perf_counter() - started < 5
    assert vectors.shape == (len(texts), STATIC_DIMENSION)
    assert np.isfinite(vectors).all()
    assert (np.linalg.norm(vectors, axis=1) <= 1.0 + 1e-5).all()
    assert not vectors[0].any() and not vectors[1].any()  # nothing to read: the zero vector
    assert np.array_equal(vectors[2], vectors[3])  # a megabyte is read as its first characters
    assert np.linalg.norm(vectors[4]) > 0.99


def test_the_static_encoder_reads_without_torch() -> None:
    code = (
        "import sys\nfrom analyzer.learn.encoder import StaticEncoder\n"
        "v = StaticEncoder().encode(['a sentence'])\n"
        "assert v.shape == (1, 256)\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'onnxruntime')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_unknown_encoder_is_a_clear_error() -> None:
    from analyzer.errors import ConfigError

    with pytest.raises(ConfigError, match="minilm, static"):
        sentence_encoder("word2vec")
    result = CliRunner().invoke(app, ["eval", "--cv", "--encoder", "word2vec"])
    assert result.exit_code == 2 and "minilm, static" in result.output


@pytest.fixture(scope="module")
def three_gold_threads(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """Three real gold threads, linked (not copied)."""
    folder = annotated_folder(tmp_path_factory.mktemp("annotated") / "threads")
    return prepare([folder], catalogue=require_shared("behaviours.yaml"))


def test_train_and_cross_validate_with_the_static_encoder(three_gold_threads: Prepared, tmp_path: Path) -> None:
    result = run_cross_validation(three_gold_threads, Method(encoder="static"), folds=2)
    assert sorted(t.name for t in result.threads) == sorted(c.name for c in three_gold_threads.corpus)
    assert result.pooled["learned"].relations.scored > 0
    first, second = tmp_path / "a", tmp_path / "b"
    train_bundle(three_gold_threads, Method(encoder="static"), output=first)
    train_bundle(three_gold_threads, Method(encoder="static"), output=second)
    for name in ("settings.json", "heads.npz", "heads.json", "prototypes.npz"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    models = load_models(first)
    assert models.encoder == "static" and models.embeddings
    assert json.loads((first / "settings.json").read_text())["encoder"] == "static"
    assert "static" in models.manifest["embeddings"] and models.manifest["rebuild"].endswith("--encoder static")
    assert all(v.shape == (STATIC_DIMENSION,) for v in models.prototypes.values())
    # The analysis fingerprint covers the encoder's table as well as the heads.
    assert STATIC_DIR / "model.safetensors" in model_files(first)
    assert not any(p.is_relative_to(STATIC_DIR) for p in model_files())  # the packaged MiniLM bundle

    # analyze reads a bundle with the encoder it was trained with.
    catalogue = load_catalogue(None)
    reader = LearnedReader(Annotator(build_pipeline(PipelineSettings())), models, {b.id: b.kind for b in catalogue})
    assert isinstance(reader.vectors, CachedVectors) and isinstance(reader.vectors.encoder, StaticEncoder)
    root = msg("root@x", subject="[PATCH] KVM: arm64: keep the old IIDR selectable", body="We must keep the old value selectable.\n")
    messages = [root, reply(root, "b@x", body="> We must keep the old value selectable.\n\nI disagree, userspace can cope.\n")]
    analysed = [m.message_id for t in thread_inputs(unique_messages(messages)) for m in reader(t).messages]
    assert sorted(analysed) == sorted(m.message_id for m in messages)
