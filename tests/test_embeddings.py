"""The optional sentence-embedding components (``mlpa-analyzer[embeddings]``).

The heads' file format and the packaged heads are checked everywhere (numpy only). What
needs torch, sentence-transformers and the packaged all-MiniLM-L6-v2 weights — encoding,
the pipeline components, training — skips with the reason when the extra is not
installed, as on CI, where the default path must not need it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.language import Language

from analyzer.analysis.catalogue import load_taxonomy
from analyzer.errors import ConfigError
from analyzer.nlp.embed_training import (
    HEADS_DIR,
    POSITION_HEAD,
    RELATION_HEAD,
    RELATION_LABELS,
    BinaryHeads,
    PositionHead,
    RelationHead,
    load_position_head,
    load_relation_head,
    save_position_head,
    save_relation_head,
)
from analyzer.nlp.embeddings import INSTALL_HINT, missing_packages

MISSING = missing_packages()
needs_extra = pytest.mark.skipif(
    bool(MISSING), reason=f"optional embedding packages not installed ({', '.join(MISSING)}): {INSTALL_HINT}"
)
needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="training the heads needs scikit-learn (embeddings extra)"
)
TRAIN = Path(__file__).resolve().parent.parent / "analyzer" / "data" / "train"


def _binary(rows: int, dim: int, seed: int) -> BinaryHeads:
    rng = np.random.default_rng(seed)
    return BinaryHeads(
        weights=rng.normal(size=(rows, dim)).astype(np.float32),
        bias=rng.normal(size=rows).astype(np.float32),
        scale=rng.uniform(0.5, 2.0, size=rows).astype(np.float32),
        shift=rng.normal(size=rows).astype(np.float32),
    )


def test_position_head_round_trips_byte_for_byte(tmp_path: Path) -> None:
    head = PositionHead(("pin-previous-behaviour", "quirks-opt-out"), _binary(2, 8, 1), _binary(2, 8, 2))
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    save_position_head(head, first)
    save_position_head(load_position_head(first), second)
    assert first.read_bytes() == second.read_bytes()
    vectors = np.random.default_rng(3).normal(size=(5, 8)).astype(np.float32)
    assert np.allclose(load_position_head(second).probabilities(vectors), head.probabilities(vectors))


def test_position_probabilities_split_the_topic_between_stances() -> None:
    head = PositionHead(("a", "b", "c"), _binary(3, 4, 5), _binary(3, 4, 6))
    vectors = np.random.default_rng(7).normal(size=(6, 4)).astype(np.float32)
    scores = head.probabilities(vectors)
    assert head.labels == ("a/for", "a/against", "b/for", "b/against", "c/for", "c/against")
    assert scores.shape == (6, 6)
    assert np.allclose(scores[:, 0::2] + scores[:, 1::2], head.topic.probabilities(vectors), atol=1e-6)


def test_relation_head_round_trips_and_sums_to_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    head = RelationHead(RELATION_LABELS, rng.normal(size=(4, 8)).astype(np.float32), rng.normal(size=4).astype(np.float32), 1.7)
    save_relation_head(head, tmp_path / "r.npz")
    loaded = load_relation_head(tmp_path / "r.npz")
    assert loaded.labels == RELATION_LABELS and loaded.temperature == pytest.approx(1.7)
    scores = loaded.probabilities(rng.normal(size=(3, 8)).astype(np.float32))
    assert np.allclose(scores.sum(axis=1), 1.0, atol=1e-6)


def test_a_missing_or_broken_head_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no trained embedding head"):
        load_relation_head(tmp_path / "absent.npz")
    (tmp_path / "junk.npz").write_text("not a zip", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an embedding head"):
        load_position_head(tmp_path / "junk.npz")


def test_packaged_heads_cover_the_taxonomy() -> None:
    positions = load_position_head(HEADS_DIR / POSITION_HEAD)
    relations = load_relation_head(HEADS_DIR / RELATION_HEAD)
    assert positions.positions == load_taxonomy().position_ids
    assert positions.topic.weights.shape == (len(positions.positions), 384)
    assert relations.labels == RELATION_LABELS and relations.weights.shape == (4, 384)


@pytest.mark.skipif(not MISSING, reason="the embedding packages are installed: the missing-extra error cannot show")
def test_without_the_extra_the_factory_says_what_to_install() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    with pytest.raises(ConfigError, match=r"mlpa-analyzer\[embeddings\]"):
        nlp.add_pipe("mlpa_position_embeddings_v1")


@pytest.fixture(scope="module")
def nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("mlpa_position_embeddings_v1")
    nlp.add_pipe("mlpa_relation_embeddings_v1")
    return nlp


@needs_extra
def test_components_share_one_encoder_and_vectors_are_unit_length(nlp: Language) -> None:
    positions, relations = nlp.get_pipe("mlpa_position_embeddings_v1"), nlp.get_pipe("mlpa_relation_embeddings_v1")
    assert positions.encoder is relations.encoder  # type: ignore[attr-defined]
    vectors = positions.encoder.encode(["Applied, thanks.", "NAK.", "Applied, thanks."])  # type: ignore[attr-defined]
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])


@needs_extra
def test_an_argued_sentence_gets_its_position_and_a_plain_ack_none(nlp: Language) -> None:
    argued, ack = nlp.pipe(
        [
            (
                "If a VMM migrated a guest from 6.1, it must be able to ask for the revision 6.1 exposed. "
                "Otherwise the guest sees its GIC change under its feet."
            ),
            "Thanks, applied to kvmarm/next.",
        ]
    )
    labels = {(m.label, m.stance) for m in argued._.mlpa_claims}
    assert ("pin-previous-behaviour", "for") in labels
    assert all(m.cue_id == "embedding" and m.sentence_end <= len(argued.text) for m in argued._.mlpa_claims)
    assert not ack._.mlpa_claims and not ack._.mlpa_relation_cues


@needs_extra
def test_an_endorsing_reply_is_marked_agree(nlp: Language) -> None:
    doc = nlp("Agreed, that is exactly right. I'll fold it into v2.")
    assert [m.label for m in doc._.mlpa_relation_cues] == ["agree"]
    assert 0 < doc._.mlpa_relation_cues[0].weight <= 3.0


@needs_extra
@needs_sklearn
def test_training_is_deterministic_and_writes_loadable_heads(nlp: Language, tmp_path: Path) -> None:
    from analyzer.nlp.embed_training import train_embedding_heads

    data = tmp_path / "train"
    data.mkdir()
    # A slice of the synthetic set with every position/stance and relation label in it.
    positions = [json.loads(line) for line in (TRAIN / "positions.jsonl").read_text(encoding="utf-8").splitlines()]
    relations = (TRAIN / "relations.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = _covering(positions, per_label=6)
    (data / "positions.jsonl").write_text("\n".join(json.dumps(p) for p in chosen) + "\n", encoding="utf-8")
    (data / "relations.jsonl").write_text("\n".join(relations[::5]) + "\n", encoding="utf-8")
    encoder = nlp.get_pipe("mlpa_position_embeddings_v1").encoder  # type: ignore[attr-defined]
    ids = load_taxonomy().position_ids
    one = train_embedding_heads(encoder, positions=ids, train_dir=data, output=tmp_path / "one", cross_validate=False)
    train_embedding_heads(encoder, positions=ids, train_dir=data, output=tmp_path / "two", cross_validate=False)
    assert one.positions == len(chosen) and one.relations == len(relations[::5])
    for name in (POSITION_HEAD, RELATION_HEAD):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert load_position_head(tmp_path / "one" / POSITION_HEAD).positions == ids


def _covering(examples: list[dict[str, object]], *, per_label: int) -> list[dict[str, object]]:
    counts: dict[str, int] = {}
    chosen = []
    for example in examples:
        keys = [f"{p['position']}/{p['stance']}" for p in example["positions"]] or ["none"]  # type: ignore[attr-defined]
        if any(counts.get(k, 0) < per_label for k in keys):
            chosen.append(example)
            for k in keys:
                counts[k] = counts.get(k, 0) + 1
    return chosen
