"""The learned heads read together: the judged decision kinds under the judgement gate
(``GatedHead``), the reply relation in tiers (``TieredRelationHead``), and heads scored from
one ``Batch`` (each feature layout built once, the gate scored once for its three kinds).
Each gives the numbers of the formula it stands for, worked out here from the shipped
bundles' stored heads read one by one, on real gold threads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pytest

from analyzer.analysis.files import read_thread_file
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.learn.encoder import NoVectors
from analyzer.learn.examples import decision_rows, relation_rows
from analyzer.learn.heads import (
    JUDGED_HEADS,
    JUDGEMENT,
    RELATION,
    RELATION_TIERS,
    Batch,
    Features,
    GatedHead,
    LinearHead,
    TieredRelationHead,
    load_heads,
    reading_head,
    save_heads,
)
from analyzer.learn.model import MODEL_DIR, STATIC_MODEL_DIR, LearnedModels, load_models
from analyzer.learn.predict import binary_probabilities, decision_scores, relation_scores
from analyzer.learn.views import ThreadView, view_thread
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import require_shared


@pytest.fixture(scope="module")
def models() -> LearnedModels:
    return load_models(MODEL_DIR)


@pytest.fixture(scope="module")
def gold_views() -> list[ThreadView]:
    annotator = Annotator(build_pipeline(PipelineSettings()))
    views = []
    for mbox in sorted(require_shared("gold").glob("*.mbox"))[:2]:
        views += [view_thread(t, annotator) for t in thread_inputs(unique_messages(read_thread_file(mbox).messages))]
    assert sum(len(v.messages) for v in views) >= 20
    return views


@pytest.mark.parametrize("directory", [MODEL_DIR, STATIC_MODEL_DIR], ids=["minilm", "static"])
def test_shipped_bundles_store_each_head_alone_and_read_the_judged_kinds_under_the_gate(directory: Path, tmp_path: Path) -> None:
    loaded = load_models(directory)
    assert all(type(h) is LinearHead for h in loaded.heads.values())
    gate = loaded.heads[JUDGEMENT]
    for name in JUDGED_HEADS:
        head = loaded.head(name)
        assert isinstance(head, GatedHead) and head.gate is gate and head.kind is loaded.heads[name]
        assert head.name == name and head.classes == ("no", "yes")
    assert loaded.head("decision.accepted") is loaded.heads["decision.accepted"]
    before_the_gate = {n: h for n, h in loaded.heads.items() if n != JUDGEMENT}  # bundles before 2026-12-07
    assert reading_head(before_the_gate, JUDGED_HEADS[0]) is loaded.heads[JUDGED_HEADS[0]]
    relation = loaded.head(RELATION)
    assert isinstance(relation, TieredRelationHead)
    assert [relation.attitude, relation.mixed_or_disagree, relation.disagree] == [loaded.heads[n] for n in RELATION_TIERS]
    # Saved again, the stored heads are what the bundle holds: same names, features and numbers.
    save_heads(list(loaded.heads.values()), tmp_path / "heads")
    assert (tmp_path / "heads.json").read_text(encoding="utf-8") == (directory / "heads.json").read_text(encoding="utf-8")
    again = load_heads(tmp_path / "heads")
    assert all(np.array_equal(again[n].coef, h.coef) and np.array_equal(again[n].scale, h.scale) for n, h in loaded.heads.items())


def test_a_judged_kind_is_the_gate_times_its_own_head_on_real_threads(models: LearnedModels, gold_views: list[ThreadView]) -> None:
    """P(kind) = P(any judgement) x P(kind | judgement), bit for bit; the other kinds as their
    own heads. The gate matters: without it the numbers differ."""
    dropped = 0
    for view in gold_views:
        rows = decision_rows(view.messages)
        scores = decision_scores(view, models)
        gate = models.heads[JUDGEMENT].predict_proba(rows.features, rows.dense)[:, 1]
        for name, head in models.heads.items():
            if not name.startswith("decision."):
                continue
            alone = head.predict_proba(rows.features, rows.dense)[:, 1]
            expected = alone * gate if name in JUDGED_HEADS else alone
            got = np.array([scores[v.message.message_id][name.removeprefix("decision.")] for v in view.messages])
            assert np.array_equal(got, expected), name
            dropped += name in JUDGED_HEADS and not np.allclose(got, alone)
    assert dropped >= len(JUDGED_HEADS)


def _tiers(a: np.ndarray, m: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
    d = np.minimum(d, m)
    return {"agree": a * (1 - m), "disagree": a * d, "mixed": a * (m - d), "neutral": 1 - a}


def test_the_relation_is_the_three_tiers_combined_on_real_threads(models: LearnedModels, gold_views: list[ThreadView]) -> None:
    """P(neutral) = 1 - a, P(agree) = a (1 - m), P(mixed) = a (m - d), P(disagree) = a min(d, m),
    each tier its own stored head; the tiers swapped give other numbers."""
    swapped_differs = False
    for view in gold_views:
        replies = [v for v in view.messages if v.parent is not None]
        if not replies:
            continue
        rows = relation_rows(replies, NoVectors(), with_vectors=False)
        a, m, d = (models.heads[n].predict_proba(rows.features, rows.dense)[:, 1] for n in RELATION_TIERS)
        expected = _tiers(a, m, d)
        scores = relation_scores(view, models, NoVectors())
        for i, v in enumerate(replies):
            assert scores[v.message.message_id] == {label: float(p[i]) for label, p in expected.items()}
        swapped = _tiers(a, d, m)
        swapped_differs |= not all(np.allclose(expected[k], swapped[k]) for k in expected)
    assert swapped_differs


@dataclass(frozen=True)
class Counted(LinearHead):
    """A stored head that notes each layout it builds and each matrix it scores."""

    calls: list[str] = field(default_factory=list)

    def layout(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        self.calls.append("layout")
        return super().layout(rows, dense)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(f"score {self.name}")
        return super().probabilities(x)


def _counted(models: LearnedModels, prefix: str, calls: list[str]) -> LearnedModels:
    def count(h: LinearHead) -> Counted:
        return Counted(**{f.name: getattr(h, f.name) for f in fields(LinearHead)}, calls=calls)

    return replace(models, heads={n: count(h) if n.startswith(prefix) else h for n, h in models.heads.items()})


def test_one_batch_lays_out_each_feature_set_once_and_scores_the_gate_once(models: LearnedModels, gold_views: list[ThreadView]) -> None:
    view = max(gold_views, key=lambda v: len(v.messages))
    calls: list[str] = []
    counted = _counted(models, "", calls)
    assert decision_scores(view, counted) == decision_scores(view, models)
    # Two layouts: the kinds fitted on every message with the gate, and the judged kinds.
    assert calls.count("layout") == 2
    assert calls.count(f"score {JUDGEMENT}") == 1
    assert sorted(c for c in calls if c.startswith("score decision.")) == sorted(f"score {n}" for n in models.heads if n.startswith("decision."))
    calls.clear()
    assert relation_scores(view, counted, NoVectors()) == relation_scores(view, models, NoVectors())
    assert calls.count("layout") == 1 and len(calls) == 4  # the tiers read one layout, two scalings


def test_heads_sharing_one_batch_score_as_each_head_alone(models: LearnedModels) -> None:
    """The eight position heads read one matrix; a head read through the batch, or twice,
    gives ``predict_proba``'s numbers, and those cannot be written over."""
    positions = {n: h for n, h in models.heads.items() if n.startswith("position.")}
    some = next(iter(positions.values()))
    rng = np.random.default_rng(7)
    names = list(some.feature_names)
    rows = [{n: float(v) for n, v in zip(names, rng.random(len(names))) if v > 0.7} for _ in range(5)]
    dense = rng.standard_normal((5, some.dense_size)).astype(np.float32)
    calls: list[str] = []
    counted = _counted(models, "position.", calls).heads
    shared = binary_probabilities({n: counted[n] for n in positions}, rows, dense)
    assert len(positions) >= 8 and calls.count("layout") == 1
    for name, head in positions.items():
        assert np.array_equal(shared[name], head.predict_proba(rows, dense)[:, 1])
    batch = Batch(rows, dense)
    assert batch.probabilities(some) is batch.probabilities(some)
    with pytest.raises(ValueError):
        batch.probabilities(some)[0, 0] = 1.0
    assert Batch([], dense[:0]).probabilities(some).shape == (0, 2)
    for name, width in [(JUDGED_HEADS[0], 2), (RELATION, 4)]:
        read = models.head(name)
        assert read is not None and read.predict_proba([]).shape == (0, width)
