"""Linear heads: logistic regression over named features and a dense vector (a sentence
embedding), stored as plain arrays so that loading and predicting need numpy only.

Training (``analyzer.learn.training``) fits them with scikit-learn and hands over the
coefficients; nothing here imports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from analyzer.errors import ConfigError

Features = Mapping[str, float]


@dataclass(frozen=True)
class LinearHead:
    """``classes`` has two entries for a binary head (probability of ``classes[1]``) or
    more for a multinomial one (softmax)."""

    name: str
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    scale: np.ndarray
    """Divides each named feature (max-abs scaling learned on the training data)."""
    dense_size: int
    coef: np.ndarray
    """(n_outputs, n_features + dense_size): one row for binary heads, one per class else."""
    intercept: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(self.feature_names)})

    def layout(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        """The rows in this head's columns (its named features, then the dense part), before
        scaling: heads that read the same features beside the same dense width share it."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        x = np.zeros((len(rows), len(self.feature_names) + self.dense_size), dtype=np.float64)
        for r, row in enumerate(rows):
            for name, value in row.items():
                i = index.get(name)
                if i is not None:
                    x[r, i] = value
        if self.dense_size:
            if dense is None or dense.shape != (len(rows), self.dense_size):
                raise ValueError(f"head {self.name} needs a dense part of width {self.dense_size}")
            x[:, len(self.feature_names) :] = dense
        return x

    def scaled(self, layout: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """``layout`` with the named features divided by this head's scale: the matrix
        ``probabilities`` reads (a copy unless ``in_place``)."""
        x = layout if in_place else layout.copy()
        x[:, : len(self.feature_names)] /= self.scale
        return x

    def matrix(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        return self.scaled(self.layout(rows, dense), in_place=True)

    def predict_proba(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        """(n_rows, n_classes) probabilities."""
        if not rows:
            return np.zeros((0, len(self.classes)))
        return self.probabilities(self.matrix(rows, dense))

    def scored(self, batch: Batch) -> np.ndarray:
        """``predict_proba`` of the batch's rows, from the matrix the batch shares."""
        return batch.probabilities(self)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n_rows, n_classes) probabilities of rows already laid out by ``matrix`` (heads
        with the same features and scaling can share one)."""
        scores = x @ self.coef.T + self.intercept
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-np.clip(scores[:, 0], -50, 50)))
            return np.column_stack([1.0 - p, p])
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def top_features(self, row: Features, *, output: int = 0, n: int = 3, sign: float = 1.0) -> list[str]:
        """The named features that pushed this row's score up the most (for explanations);
        ``sign`` -1 gives those that pushed a binary head's score down (towards ``classes[0]``)."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        coef = self.coef[min(output, len(self.coef) - 1)] * sign
        contributions = [
            (coef[index[k]] * v / self.scale[index[k]], k) for k, v in row.items() if k in index and v
        ]
        return [k for c, k in sorted(contributions, reverse=True)[:n] if c > 0]


class Batch:
    """Rows to score and their feature matrices, each built once for every head that reads
    it: heads with the same named features beside the same dense width share one layout
    (the three relation tiers; the judgement gate and the decision heads fitted on every
    message), those also scaled the same way one matrix (the eight position heads of a
    bundle), and a head read twice is scored once (the judgement gate under its three
    kinds). Scores are ``LinearHead.predict_proba``'s, the same numbers, and read-only."""

    def __init__(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> None:
        self.rows = rows
        self.dense = dense
        self._layouts: dict[tuple[tuple[str, ...], int], np.ndarray] = {}
        self._matrices: dict[tuple[tuple[str, ...], int, bytes], np.ndarray] = {}
        self._scores: dict[int, tuple[LinearHead, np.ndarray]] = {}
        """By the head's id, with the head, so that the id is not reused while remembered."""

    def matrix(self, head: LinearHead) -> np.ndarray:
        columns = (head.feature_names, head.dense_size)
        key = (*columns, head.scale.tobytes())
        if key not in self._matrices:
            if columns not in self._layouts:
                self._layouts[columns] = head.layout(self.rows, self.dense)
            self._matrices[key] = head.scaled(self._layouts[columns])
        return self._matrices[key]

    def probabilities(self, head: LinearHead) -> np.ndarray:
        """(n_rows, n_classes): ``head.predict_proba(rows, dense)``."""
        remembered = self._scores.get(id(head))
        if remembered is None:
            p = head.probabilities(self.matrix(head)) if self.rows else np.zeros((0, len(head.classes)))
            p.flags.writeable = False
            remembered = self._scores[id(head)] = (head, p)
        return remembered[1]


class ScoringHead(Protocol):
    """What reading a head needs: a ``LinearHead``, or heads read together (``GatedHead``,
    ``TieredRelationHead``)."""

    @property
    def classes(self) -> tuple[str, ...]: ...

    @property
    def dense_size(self) -> int: ...

    def predict_proba(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray: ...

    def scored(self, batch: Batch) -> np.ndarray: ...

    def top_features(self, row: Features, *, output: int = 0, n: int = 3) -> list[str]: ...


JUDGEMENT = "judgement"
"""The gate of the judgement kinds: does the message pass a judgement on the change at all."""
JUDGED_KINDS = ("changes-requested", "rejected", "policy-ruling")
"""Decision kinds read under the judgement gate: they overlap (a refusal is often also a change
request), so each is learned among the messages that pass some judgement."""
JUDGED_HEADS = tuple(f"decision.{kind}" for kind in JUDGED_KINDS)


@dataclass(frozen=True)
class GatedHead:
    """A binary head read under a gate: P(yes) = P(gate) x P(yes | gate), ``kind`` fitted
    only on the rows the gate's label holds for (a judged kind under ``JUDGEMENT``). A bundle
    stores the two as the plain heads they are; ``reading_head`` joins them."""

    gate: LinearHead
    kind: LinearHead

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def classes(self) -> tuple[str, ...]:
        return self.kind.classes

    @property
    def dense_size(self) -> int:
        return self.kind.dense_size

    def predict_proba(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        return self.scored(Batch(rows, dense))

    def scored(self, batch: Batch) -> np.ndarray:
        q = batch.probabilities(self.kind)[:, 1] * batch.probabilities(self.gate)[:, 1]
        return np.column_stack([1.0 - q, q])

    def top_features(self, row: Features, *, output: int = 0, n: int = 3) -> list[str]:
        """The features that pushed the kind's own head (which judgement, given one)."""
        return self.kind.top_features(row, output=output, n=n)


RELATION = "relation"
RELATION_TIERS = ("relation.attitude", "relation.mixed-or-disagree", "relation.disagree")
"""The binary heads of the tiered reply relation (``TieredRelationHead``), each the
probability of "yes"."""


@dataclass(frozen=True)
class TieredRelationHead:
    """The reply relation read in tiers rather than as four unordered labels: whether the reply
    takes an attitude at all (any label but neutral), and for a reply that does, where it sits
    on the scale agree < mixed < disagree (ordinal: at least mixed? disagrees?). P(neutral) =
    1 - a; P(agree) = a (1 - m); P(mixed) = a (m - d); P(disagree) = a d, with d capped at m.
    Cross-validated over the 45 threads it beat the one multinomial head on every split
    (2026-12-07, docs/analysis.md)."""

    attitude: LinearHead
    mixed_or_disagree: LinearHead
    disagree: LinearHead
    classes: tuple[str, ...] = ("agree", "disagree", "mixed", "neutral")

    @property
    def dense_size(self) -> int:
        return self.attitude.dense_size

    def predict_proba(self, rows: Sequence[Features], dense: np.ndarray | None = None) -> np.ndarray:
        return self.scored(Batch(rows, dense))

    def scored(self, batch: Batch) -> np.ndarray:
        a, m, d = (batch.probabilities(h)[:, 1] for h in (self.attitude, self.mixed_or_disagree, self.disagree))
        d = np.minimum(d, m)
        by_label = {"agree": a * (1 - m), "disagree": a * d, "mixed": a * (m - d), "neutral": 1 - a}
        return np.column_stack([by_label[c] for c in self.classes])

    def top_features(self, row: Features, *, output: int = 0, n: int = 3) -> list[str]:
        """The features that pushed the tier deciding this label towards it."""
        label = self.classes[output]
        head, sign = {
            "neutral": (self.attitude, -1.0),
            "agree": (self.mixed_or_disagree, -1.0),
            "mixed": (self.mixed_or_disagree, 1.0),
            "disagree": (self.disagree, 1.0),
        }[label]
        return head.top_features(row, n=n, sign=sign)


def relation_head(heads: Mapping[str, LinearHead]) -> ScoringHead | None:
    """The reply-relation head of a bundle: the tiered one, or a single multinomial head (as
    bundles trained before 2026-12-07 hold)."""
    attitude, mixed_or_disagree, disagree = RELATION_TIERS
    if all(name in heads for name in RELATION_TIERS):
        return TieredRelationHead(heads[attitude], heads[mixed_or_disagree], heads[disagree])
    return heads.get(RELATION)


def reading_head(heads: Mapping[str, LinearHead], name: str) -> ScoringHead | None:
    """The head that reads ``name`` from a bundle's stored heads: the relation's tiers joined
    (``relation_head``), a judged decision kind under the judgement gate when the bundle holds
    one (bundles trained before 2026-12-07 do not), else the stored head itself."""
    if name == RELATION:
        return relation_head(heads)
    head, gate = heads.get(name), heads.get(JUDGEMENT)
    if head is not None and gate is not None and name in JUDGED_HEADS:
        return GatedHead(gate, head)
    return head


def save_heads(heads: Sequence[LinearHead], path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for h in heads:
        arrays[f"{h.name}.scale"] = h.scale.astype(np.float32)
        arrays[f"{h.name}.coef"] = h.coef.astype(np.float32)
        arrays[f"{h.name}.intercept"] = h.intercept.astype(np.float32)
        meta.append({"name": h.name, "classes": list(h.classes), "features": list(h.feature_names), "dense": h.dense_size})
    np.savez_compressed(path.with_suffix(".npz"), **arrays)  # type: ignore[arg-type]
    path.with_suffix(".json").write_text(json.dumps(meta, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def load_heads(path: Path) -> dict[str, LinearHead]:
    """The heads as ``save_heads`` stored them, each alone (``reading_head`` joins those read
    together)."""
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        arrays = np.load(path.with_suffix(".npz"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the trained heads ({exc}); run `analyzer train`") from exc
    heads = {}
    for m in meta:
        name = m["name"]
        heads[name] = LinearHead(
            name=name,
            classes=tuple(m["classes"]),
            feature_names=tuple(m["features"]),
            scale=arrays[f"{name}.scale"].astype(np.float64),
            dense_size=int(m["dense"]),
            coef=arrays[f"{name}.coef"].astype(np.float64),
            intercept=arrays[f"{name}.intercept"].astype(np.float64),
        )
    return heads
