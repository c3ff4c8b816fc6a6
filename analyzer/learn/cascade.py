"""The cascade reading (the default): the static encoder's position heads score every
candidate sentence, which costs about what the rules cost, and only the sentences whose best
static probability over the positions reaches the gate are encoded by MiniLM and scored by
the MiniLM heads; the others argue no position. The other tasks read no sentence vectors,
so they are those of the MiniLM bundle.

The gate is chosen on the training threads only: an inner grouped cross-validation (the
folds of the thresholds) gives out-of-fold static and MiniLM scores per candidate sentence,
and the gate is the highest of ``GATES`` at which the static score still passes
``GATE_RECALL`` of the sentences the MiniLM heads keep (probability at the bundle's
positions threshold). Gate 0 opens every sentence: the reading is MiniLM's exactly."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analyzer.learn.examples import TextVectors, sentence_rows
from analyzer.learn.heads import LinearHead
from analyzer.learn.predict import POSITION_PREFIX, binary_probabilities
from analyzer.learn.training import FitHeads, TrainingSettings, TrainingThread, inner_folds
from analyzer.learn.views import MessageView, Sentence, ThreadView

GATES = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
GATE_RECALL = 0.95
"""Share of the sentences the MiniLM heads keep (out of fold) that the gate must pass. Over
the 5 splits of benchmarks/cv_splits.py (docs/analysis.md, 2026-12-07): positions F1 0.267
mean against MiniLM's 0.266 (per split -0.004 to +0.004), 47-52% of the candidate sentences
encoded; 0.98 gave 0.268 with 56-61% encoded."""

SentenceKey = tuple[str, int]
"""A sentence as its message id and start offset."""


def sentence_key(sentence: Sentence) -> SentenceKey:
    return (sentence.message_id, sentence.start)


def position_heads(heads: Mapping[str, LinearHead]) -> dict[str, LinearHead]:
    return {n: h for n, h in heads.items() if n.startswith(POSITION_PREFIX)}


def best_position(
    views: Sequence[MessageView], heads: Mapping[str, LinearHead], vectors: TextVectors, prototypes: Mapping[str, np.ndarray]
) -> dict[SentenceKey, float]:
    """Per candidate sentence, its highest probability over the position heads."""
    rows, sentences = sentence_rows(views, vectors, prototypes)
    best = np.zeros(len(sentences))
    if sentences:
        scored = binary_probabilities(position_heads(heads), rows.features, rows.dense)
        for name in sorted(scored):
            best = np.maximum(best, scored[name])
    return {sentence_key(s): float(p) for s, p in zip(sentences, best)}


@dataclass(frozen=True)
class SentenceGate:
    """The static side of the cascade: its position heads, prototypes and vectors, and the gate."""

    heads: Mapping[str, LinearHead]
    prototypes: Mapping[str, np.ndarray]
    vectors: TextVectors
    gate: float

    def opened(self, thread: ThreadView) -> Callable[[Sentence], bool]:
        """Which candidate sentences of the thread MiniLM is to encode."""
        scores = best_position(thread.messages, self.heads, self.vectors, self.prototypes)
        gate = self.gate
        return lambda s: scores.get(sentence_key(s), 0.0) >= gate


def gate_for_recall(kept_static: Sequence[float], recall: float = GATE_RECALL) -> float:
    """The highest gate that passes ``recall`` of the sentences MiniLM keeps (their static scores)."""
    best = GATES[0]
    for gate in GATES:
        if sum(1 for p in kept_static if p >= gate) >= recall * len(kept_static):
            best = gate
    return best


def choose_gate(
    threads: Sequence[TrainingThread],
    minilm: TextVectors,
    minilm_prototypes: Mapping[str, np.ndarray],
    static: TextVectors,
    static_prototypes: Mapping[str, np.ndarray],
    settings: TrainingSettings,
    positions_threshold: float,
    fit: FitHeads,
    recall: float = GATE_RECALL,
) -> float:
    """The gate, by inner grouped cross-validation on ``threads`` (``TrainingThread``s): the
    folds ``choose_thresholds`` uses, so a memo ``fit`` fits each MiniLM fold once."""
    training = list(threads)
    kept: list[float] = []
    folds = inner_folds(training, settings.inner_folds)
    for held in folds:
        fitted = [t for i, t in enumerate(training) if i not in held]
        scored = [v for i in held for tv in training[i].views for v in tv.messages]
        by_static = best_position(scored, fit(fitted, static, static_prototypes, settings), static, static_prototypes)
        by_minilm = best_position(scored, fit(fitted, minilm, minilm_prototypes, settings), minilm, minilm_prototypes)
        kept += [by_static.get(key, 0.0) for key, p in by_minilm.items() if p >= positions_threshold]
    return gate_for_recall(kept, recall)


class FitMemo:
    """``_fit_all`` remembered by (vectors, training threads): the thresholds' inner folds and
    the gate's fit the same MiniLM and static heads, so each is fitted once (same result)."""

    def __init__(self, fit: FitHeads) -> None:
        self.fit = fit
        self.memo: dict[tuple[int, tuple[str, ...]], dict[str, LinearHead]] = {}

    def __call__(self, threads: Sequence[TrainingThread], vectors: TextVectors, prototypes: Mapping[str, np.ndarray],
                 settings: TrainingSettings) -> dict[str, LinearHead]:
        key = (id(vectors), tuple(t.name for t in threads))
        if key not in self.memo:
            self.memo[key] = self.fit(threads, vectors, prototypes, settings)
        return self.memo[key]
