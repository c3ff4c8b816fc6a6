"""Model scores for a thread: per reply a relation distribution, per message and decision
kind a probability, per sentence and position a probability and a stance, per linked
behaviour a probability. Plain dictionaries; ``apply`` turns them into records."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analyzer.learn.examples import (
    Candidate,
    TextVectors,
    behaviour_rows,
    decision_rows,
    relation_rows,
    sentence_rows,
    stance_features,
)
from analyzer.learn.features import Features
from analyzer.learn.heads import Batch, LinearHead, ScoringHead
from analyzer.learn.model import LearnedModels
from analyzer.learn.views import MessageView, Sentence, ThreadView

DECISION_PREFIX = "decision."
POSITION_PREFIX = "position."
STANCE_PREFIX = "stance."
"""Threshold of the stance head's probability of "against", per position: 0.5 where the head
decides, 0 or above 1 where the position's usual stance does (``training.stance_thresholds``)."""


def binary_probabilities(
    heads: Mapping[str, ScoringHead], features: Sequence[Features], dense: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Per binary head, ``head.predict_proba(features, dense)[:, 1]``, the same numbers, read
    from one ``heads.Batch``: a feature matrix is built once for every head that reads it
    (the position heads of a bundle: eight heads, one matrix, which was a tenth of the
    reading's Python time), and the judgement gate is scored once for its three kinds. The
    arrays are read-only (a head's scores are shared by every head that reads them)."""
    batch = Batch(features, dense)
    return {name: head.scored(batch)[:, 1] for name, head in heads.items()}


def replies(thread: ThreadView) -> list[MessageView]:
    return [v for v in thread.messages if v.parent is not None]


def relation_scores(thread: ThreadView, models: LearnedModels, vectors: TextVectors) -> dict[str, dict[str, float]]:
    head = models.head("relation")
    views = replies(thread)
    if head is None or not views:
        return {}
    # A head trained without sentence vectors needs none: nothing is encoded for it.
    rows = relation_rows(views, vectors, with_vectors=head.dense_size > 0)
    probs = head.predict_proba(rows.features, rows.dense)
    return {v.message.message_id: dict(zip(head.classes, map(float, p))) for v, p in zip(views, probs)}


def decision_scores(thread: ThreadView, models: LearnedModels) -> dict[str, dict[str, float]]:
    rows = decision_rows(thread.messages)
    heads = {
        name.removeprefix(DECISION_PREFIX): head
        for name in models.heads
        if name.startswith(DECISION_PREFIX) and (head := models.head(name)) is not None
    }
    scored = binary_probabilities(heads, rows.features, rows.dense)
    scores: dict[str, dict[str, float]] = {v.message.message_id: {} for v in thread.messages}
    for kind, probs in scored.items():
        for view, p in zip(thread.messages, probs):
            scores[view.message.message_id][kind] = float(p)
    return scores


@dataclass(frozen=True)
class SentenceScore:
    sentence: Sentence
    position: str
    probability: float
    stance: str
    stance_probability: float


def position_scores(
    thread: ThreadView, models: LearnedModels, vectors: TextVectors, opened: Callable[[Sentence], bool] | None = None
) -> list[SentenceScore]:
    """Every candidate sentence's probability for every position, with its stance: against
    when the stance head's probability of it reaches the position's stance threshold. A
    sentence ``opened`` refuses (the cascade's gate) is neither encoded nor scored."""
    heads = {n.removeprefix(POSITION_PREFIX): h for n, h in models.heads.items() if n.startswith(POSITION_PREFIX)}
    if not heads:
        return []
    rows, sentences = sentence_rows(thread.messages, vectors, models.prototypes, opened)
    if not sentences:
        return []
    stance = models.head("stance")
    found = []
    scored = binary_probabilities(heads, rows.features, rows.dense)
    for position in sorted(heads):
        probs = scored[position]
        keep = [i for i, p in enumerate(probs) if p >= 0.05]
        against = _against(stance, [sentences[i] for i in keep], position, rows.dense[keep]) if keep else []
        cut = models.threshold(f"{STANCE_PREFIX}{position}")
        for i, q in zip(keep, against):
            side = "against" if q >= cut else "for"
            found.append(SentenceScore(sentences[i], position, float(probs[i]), side, float(q if side == "against" else 1 - q)))
    return found


def _against(head: object, sentences: Sequence[Sentence], position: str, dense: np.ndarray) -> list[float]:
    if not isinstance(head, LinearHead):
        return [0.0] * len(sentences)
    rows = [stance_features(s, position) for s in sentences]
    return [float(p) for p in head.predict_proba(rows, dense if head.dense_size else None)[:, 1]]


@dataclass(frozen=True)
class BehaviourScore:
    candidate: Candidate
    probability: float


def behaviour_scores(thread: ThreadView, models: LearnedModels, kinds: Mapping[str, str]) -> dict[tuple[str, str], BehaviourScore]:
    """Every candidate link of the thread (``examples.behaviour_rows``) with the behaviour
    head's probability; without a head, the rules' links score 1 and loose names 0."""
    head = models.head("behaviour")
    rows, candidates = behaviour_rows(thread, kinds)
    if head is None or not candidates:
        return {(c.message_id, c.behaviour): BehaviourScore(c, float(c.rule)) for c in candidates}
    probs = head.predict_proba(rows.features, rows.dense)[:, 1]
    return {(c.message_id, c.behaviour): BehaviourScore(c, float(p)) for c, p in zip(candidates, probs)}
