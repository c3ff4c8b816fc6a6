"""Scores of predictions against gold, exactly as ``shared/gold/FORMAT.md`` defines them."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass

from analyzer.analysis.gold import GoldLine

RELATION_LABELS = ("agree", "disagree", "mixed", "neutral")


@dataclass(frozen=True, slots=True)
class SetScore:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int

    def as_json(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positives,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(frozen=True, slots=True)
class LabelScore:
    accuracy: float
    macro_f1: float
    scored: int

    def as_json(self) -> dict[str, float | int]:
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4), "n": self.scored}


def set_score(predicted: Collection[Hashable], gold: Collection[Hashable]) -> SetScore:
    """Precision, recall and F1 of two sets of items. Empty against empty scores 1.0."""
    predicted_set, gold_set = set(predicted), set(gold)
    tp = len(predicted_set & gold_set)
    precision = tp / len(predicted_set) if predicted_set else (1.0 if not gold_set else 0.0)
    recall = tp / len(gold_set) if gold_set else (1.0 if not predicted_set else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SetScore(precision, recall, f1, tp, len(predicted_set), len(gold_set))


def label_score(pairs: Sequence[tuple[str, str]], labels: Sequence[str] = RELATION_LABELS) -> LabelScore:
    """Accuracy and macro-F1 over (gold, predicted) label pairs; macro over the labels
    that occur in gold or predictions (a label absent from both is not averaged in)."""
    if not pairs:
        return LabelScore(1.0, 1.0, 0)
    accuracy = sum(g == p for g, p in pairs) / len(pairs)
    f1s = []
    for label in labels:
        if not any(label in pair for pair in pairs):
            continue
        tp = sum(g == p == label for g, p in pairs)
        predicted = sum(p == label for _, p in pairs)
        gold = sum(g == label for g, _ in pairs)
        precision = tp / predicted if predicted else 0.0
        recall = tp / gold if gold else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return LabelScore(accuracy, sum(f1s) / len(f1s), len(pairs))


@dataclass(frozen=True, slots=True)
class Evaluation:
    positions: SetScore
    positions_any_stance: SetScore
    behaviours: SetScore
    relations: LabelScore
    decisions: SetScore
    missing: tuple[str, ...] = ()
    """Gold message ids the predictions have no line for (scored as empty predictions)."""

    def as_json(self) -> dict[str, object]:
        return {
            "positions": self.positions.as_json(),
            "positions_any_stance": self.positions_any_stance.as_json(),
            "behaviours": self.behaviours.as_json(),
            "relations": self.relations.as_json(),
            "decisions": self.decisions.as_json(),
        } | ({"missing_predictions": list(self.missing)} if self.missing else {})


def evaluate(gold: Iterable[GoldLine], predicted: Iterable[GoldLine], *, catalogue_ids: Collection[str]) -> Evaluation:
    """Score predictions line by line against gold. Predicted behaviour ids not in
    ``catalogue_ids`` (ids a project added itself) are left out, as FORMAT.md says."""
    gold_lines = list(gold)
    by_id = {line.message_id: line for line in predicted}
    missing = tuple(g.message_id for g in gold_lines if g.message_id not in by_id)
    empty = GoldLine(message_id="")
    pos_p: set[tuple[str, ...]] = set()
    pos_g: set[tuple[str, ...]] = set()
    any_p: set[tuple[str, ...]] = set()
    any_g: set[tuple[str, ...]] = set()
    beh_p: set[tuple[str, ...]] = set()
    beh_g: set[tuple[str, ...]] = set()
    dec_p: set[tuple[str, ...]] = set()
    dec_g: set[tuple[str, ...]] = set()
    relation_pairs: list[tuple[str, str]] = []
    for g in gold_lines:
        p = by_id.get(g.message_id, empty)
        mid = g.message_id
        pos_g |= {(mid, *x) for x in g.positions}
        pos_p |= {(mid, *x) for x in p.positions}
        any_g |= {(mid, x[0]) for x in g.positions}
        any_p |= {(mid, x[0]) for x in p.positions}
        beh_g |= {(mid, b) for b in g.behaviours}
        beh_p |= {(mid, b) for b in p.behaviours if b in catalogue_ids}
        dec_g |= {(mid, d) for d in g.decisions}
        dec_p |= {(mid, d) for d in p.decisions}
        if g.relation is not None:
            relation_pairs.append((g.relation.label, p.relation.label if p.relation else "none"))
    return Evaluation(
        positions=set_score(pos_p, pos_g),
        positions_any_stance=set_score(any_p, any_g),
        behaviours=set_score(beh_p, beh_g),
        relations=label_score(relation_pairs),
        decisions=set_score(dec_p, dec_g),
        missing=missing,
    )
