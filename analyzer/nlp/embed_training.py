"""Train the classifier heads that sit on sentence embeddings (the optional
``embeddings`` extra), from the project's synthetic examples only.

Two heads, both linear over L2-normalised all-MiniLM-L6-v2 vectors and saved as small
``.npz`` files so that inference needs numpy alone (scikit-learn is needed to train):

- positions, factorised: per position a *topic* classifier (does the text argue this
  position at all?) and a *stance* classifier trained only on the texts that argue it
  (for or against?). P(position/for) = P(topic) * P(for | topic). On the synthetic set this
  beat one flat classifier per position/stance pair in 5-fold cross-validation, because
  each stance classifier sees every example of its position, not half of them.
- relations: one multinomial classifier over the reply text (agree, disagree, mixed,
  neutral). The pipeline component sees only the own-text block, so the quote it answers
  is not a feature here (see ``docs/embeddings.md`` for what the quote would add).

Probabilities are calibrated on out-of-fold scores (Platt scaling per binary head,
temperature for the multinomial one) so that a threshold means the same for every label.
Folds and solvers are seeded: the same examples and vectors give the same heads.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from analyzer.errors import ConfigError
from analyzer.jsonl import json_lines
from analyzer.nlp.training import TRAIN_DIR, PositionExample, read_position_examples

Vectors = NDArray[np.float32]
HEADS_DIR = Path(__file__).resolve().parent.parent / "data" / "models" / "embeddings"
POSITION_HEAD = "positions.npz"
RELATION_HEAD = "relations.npz"
RELATION_LABELS = ("agree", "disagree", "mixed", "neutral")
STANCES = ("for", "against")


class Encoder(Protocol):
    """Turns texts into L2-normalised sentence vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True, slots=True)
class RelationExample:
    quote: str
    reply: str
    label: str


@dataclass(frozen=True)
class BinaryHeads:
    """One calibrated logistic classifier per column: sigmoid(scale * (x.w + bias) + shift)."""

    weights: Vectors
    """(labels, dim)"""
    bias: Vectors
    scale: Vectors
    shift: Vectors

    def probabilities(self, vectors: Vectors) -> Vectors:
        raw = vectors @ self.weights.T + self.bias
        return _sigmoid(raw * self.scale + self.shift)


@dataclass(frozen=True)
class PositionHead:
    positions: tuple[str, ...]
    topic: BinaryHeads
    stance_for: BinaryHeads

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{p}/{s}" for p in self.positions for s in STANCES)

    def probabilities(self, vectors: Vectors) -> Vectors:
        """(texts, 2 * positions) in the order of ``labels``: for, against per position."""
        topic = self.topic.probabilities(vectors)
        agrees = self.stance_for.probabilities(vectors)
        out = np.empty((vectors.shape[0], 2 * len(self.positions)), dtype=np.float32)
        out[:, 0::2] = topic * agrees
        out[:, 1::2] = topic * (1.0 - agrees)
        return out


@dataclass(frozen=True)
class RelationHead:
    labels: tuple[str, ...]
    weights: Vectors
    bias: Vectors
    temperature: float

    def probabilities(self, vectors: Vectors) -> Vectors:
        logits = (vectors @ self.weights.T + self.bias) / self.temperature
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities: Vectors = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probabilities


@dataclass(frozen=True, slots=True)
class EmbedTrainReport:
    positions: int
    relations: int
    cv_positions_f1: float
    """Micro-F1 over position/stance labels, 5-fold, at ``threshold``: a synthetic-data figure."""
    cv_relations_accuracy: float
    threshold: float
    output: Path


def read_relation_examples(path: Path) -> list[RelationExample]:
    examples = []
    for where, data in json_lines(path, what="training file"):
        try:
            example = RelationExample(str(data["quote"]), str(data["reply"]), str(data["label"]))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{where}: not a relation example ({exc})") from exc
        if example.label not in RELATION_LABELS:
            raise ConfigError(f"{where}: unknown relation {example.label!r}")
        examples.append(example)
    return examples


def position_matrix(examples: Sequence[PositionExample], positions: Sequence[str]) -> NDArray[np.int8]:
    """(examples, 2 * positions) indicator matrix in PositionHead label order."""
    labels = [f"{p}/{s}" for p in positions for s in STANCES]
    return np.array([[label in e.labels for label in labels] for e in examples], dtype=np.int8)


def fit_position_head(
    vectors: Vectors, truth: NDArray[np.int8], positions: Sequence[str], *, c: float = 16.0, seed: int = 13
) -> PositionHead:
    topics = np.maximum(truth[:, 0::2], truth[:, 1::2])
    topic_heads, stance_heads = [], []
    for k in range(len(positions)):
        topic_heads.append(_fit_binary(vectors, topics[:, k], c=c, seed=seed))
        arguing = topics[:, k] == 1
        stance_heads.append(_fit_binary(vectors[arguing], truth[arguing, 2 * k], c=c, seed=seed))
    return PositionHead(tuple(positions), _stack(topic_heads), _stack(stance_heads))


def fit_relation_head(vectors: Vectors, labels: Sequence[str], *, c: float = 4.0, seed: int = 13) -> RelationHead:
    from scipy.optimize import minimize_scalar
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    target = np.array([RELATION_LABELS.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    logits = cross_val_predict(model, vectors, target, cv=folds, method="decision_function")

    def loss(temperature: float) -> float:
        scaled = logits / temperature
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(target)), target].mean())

    temperature = float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)
    model.fit(vectors, target)
    return RelationHead(
        RELATION_LABELS, model.coef_.astype(np.float32), model.intercept_.astype(np.float32), round(temperature, 4)
    )


def _fit_binary(vectors: Vectors, target: NDArray[Any], *, c: float, seed: int) -> tuple[Vectors, float, float, float]:
    """A logistic classifier and its Platt calibration from out-of-fold decision values."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if target.min() == target.max():
        raise ConfigError("a head needs positive and negative examples")
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    folds = StratifiedKFold(min(5, int(target.sum()), int(len(target) - target.sum())), shuffle=True, random_state=seed)
    raw = cross_val_predict(model, vectors, target, cv=folds, method="decision_function")
    platt = LogisticRegression(C=1e4, max_iter=5000).fit(raw.reshape(-1, 1), target)
    model.fit(vectors, target)
    return (
        model.coef_[0].astype(np.float32),
        float(model.intercept_[0]),
        float(platt.coef_[0, 0]),
        float(platt.intercept_[0]),
    )


def _stack(heads: Sequence[tuple[Vectors, float, float, float]]) -> BinaryHeads:
    return BinaryHeads(
        weights=np.stack([h[0] for h in heads]).astype(np.float32),
        bias=np.array([h[1] for h in heads], dtype=np.float32),
        scale=np.array([h[2] for h in heads], dtype=np.float32),
        shift=np.array([h[3] for h in heads], dtype=np.float32),
    )


def _sigmoid(values: NDArray[Any]) -> Vectors:
    probabilities: Vectors = (1.0 / (1.0 + np.exp(-values))).astype(np.float32)
    return probabilities


def cv_position_f1(
    vectors: Vectors, truth: NDArray[np.int8], positions: Sequence[str], *, threshold: float, c: float = 16.0, seed: int = 13
) -> float:
    """Out-of-fold micro-F1 of the position head on the synthetic examples."""
    from sklearn.model_selection import KFold

    predicted = np.zeros(truth.shape, dtype=bool)
    for train, test in KFold(5, shuffle=True, random_state=seed).split(vectors):
        head = fit_position_head(vectors[train], truth[train], positions, c=c, seed=seed)
        predicted[test] = head.probabilities(vectors[test]) >= threshold
    tp = int((predicted & (truth == 1)).sum())
    total = int(predicted.sum()) + int(truth.sum())
    return round(2 * tp / total, 4) if total else 1.0


def cv_relation_accuracy(vectors: Vectors, labels: Sequence[str], *, c: float = 4.0, seed: int = 13) -> float:
    from sklearn.model_selection import StratifiedKFold

    target = np.array(labels)
    right = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(vectors, target):
        head = fit_relation_head(vectors[train], list(target[train]), c=c, seed=seed)
        guessed = np.array(head.labels)[head.probabilities(vectors[test]).argmax(axis=1)]
        right += int((guessed == target[test]).sum())
    return round(right / len(target), 4)


def train_embedding_heads(
    encoder: Encoder,
    *,
    positions: Sequence[str],
    train_dir: Path = TRAIN_DIR,
    output: Path = HEADS_DIR,
    threshold: float = 0.3,
    seed: int = 13,
    cross_validate: bool = True,
) -> EmbedTrainReport:
    """Embed the synthetic examples, fit both heads and write them under ``output``."""
    position_examples = read_position_examples(train_dir / "positions.jsonl", positions=positions)
    relation_examples = read_relation_examples(train_dir / "relations.jsonl")
    position_vectors = encoder.encode([e.text for e in position_examples])
    reply_vectors = encoder.encode([e.reply for e in relation_examples])
    truth = position_matrix(position_examples, positions)
    relation_labels = [e.label for e in relation_examples]
    save_position_head(fit_position_head(position_vectors, truth, positions, seed=seed), output / POSITION_HEAD)
    save_relation_head(fit_relation_head(reply_vectors, relation_labels, seed=seed), output / RELATION_HEAD)
    return EmbedTrainReport(
        positions=len(position_examples),
        relations=len(relation_examples),
        cv_positions_f1=cv_position_f1(position_vectors, truth, positions, threshold=threshold, seed=seed)
        if cross_validate
        else float("nan"),
        cv_relations_accuracy=cv_relation_accuracy(reply_vectors, relation_labels, seed=seed) if cross_validate else float("nan"),
        threshold=threshold,
        output=output,
    )


def save_position_head(head: PositionHead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"{part}_{name}": getattr(getattr(head, part), name) for part in ("topic", "stance_for") for name in _BINARY}
    _save(path, arrays, positions=np.array(head.positions))


def save_relation_head(head: RelationHead, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(
        path,
        {"weights": head.weights, "bias": head.bias},
        labels=np.array(head.labels),
        temperature=np.array([head.temperature], dtype=np.float32),
    )


def load_position_head(path: Path) -> PositionHead:
    data = _load(path)
    parts = {part: BinaryHeads(*(data[f"{part}_{name}"] for name in _BINARY)) for part in ("topic", "stance_for")}
    return PositionHead(tuple(str(p) for p in data["positions"]), parts["topic"], parts["stance_for"])


def load_relation_head(path: Path) -> RelationHead:
    data = _load(path)
    return RelationHead(
        tuple(str(label) for label in data["labels"]), data["weights"], data["bias"], float(data["temperature"][0])
    )


_BINARY = ("weights", "bias", "scale", "shift")


def _save(path: Path, arrays: dict[str, Vectors], **text: NDArray[Any]) -> None:
    # np.savez stamps each member with the current time; a fixed stamp makes the file the
    # same bytes for the same heads, so a pipeline fingerprint over it stays stable.
    members = {k: v.astype(np.float32) for k, v in arrays.items()} | text
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in sorted(members.items()):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def _load(path: Path) -> dict[str, NDArray[Any]]:
    if not path.is_file():
        raise ConfigError(f"{path}: no trained embedding head; run `python -m analyzer.nlp.embed_training`")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not an embedding head ({exc})") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analyzer.nlp.embed_training``: retrain the packaged heads."""
    import argparse

    from analyzer.analysis.catalogue import load_taxonomy
    from analyzer.nlp.embeddings import SentenceEncoder

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--train-dir", type=Path, default=TRAIN_DIR)
    parser.add_argument("--output", type=Path, default=HEADS_DIR)
    parser.add_argument("--no-cv", action="store_true", help="skip the 5-fold figures (faster)")
    args = parser.parse_args(argv)
    report = train_embedding_heads(
        SentenceEncoder(),
        positions=load_taxonomy().position_ids,
        train_dir=args.train_dir,
        output=args.output,
        cross_validate=not args.no_cv,
    )
    print(json.dumps(_report_json(report)))
    return 0


def _report_json(report: EmbedTrainReport) -> dict[str, object]:
    from dataclasses import asdict

    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(report).items()}


if __name__ == "__main__":
    raise SystemExit(main())
