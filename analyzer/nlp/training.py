"""Train the statistical components from the project's own annotated examples.

``analyzer train`` calls :func:`train_positions`: a spaCy ``textcat_multilabel`` over
sentences, one label per ``position/stance`` pair, trained from
``analyzer/data/train/positions.jsonl`` with a fixed seed and a fixed example order, so
the same data gives the same model.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy import util as spacy_util

from analyzer.errors import ConfigError
from analyzer.jsonl import json_lines

TRAIN_DIR = Path(__file__).resolve().parent.parent / "data" / "train"
MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "models"

_TEXTCAT_CONFIG = {
    "threshold": 0.5,
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 65536,
    },
}


@dataclass(frozen=True, slots=True)
class PositionExample:
    text: str
    labels: frozenset[str]
    """``position/stance`` pairs."""


@dataclass(frozen=True, slots=True)
class TrainReport:
    examples: int
    labels: tuple[str, ...]
    epochs: int
    losses: tuple[float, ...]
    output: Path


def position_label(position: str, stance: str) -> str:
    return f"{position}/{stance}"


def read_position_examples(path: Path, *, positions: Sequence[str]) -> list[PositionExample]:
    """The examples of a positions.jsonl file; ids outside the taxonomy are an error."""
    examples = []
    for where, data in json_lines(path, what="training file"):
        try:
            labels = frozenset(position_label(p["position"], p["stance"]) for p in data["positions"])
            text = str(data["text"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{where}: not a training example ({exc})") from exc
        unknown = {label.split("/")[0] for label in labels} - set(positions)
        if unknown:
            raise ConfigError(f"{where}: unknown positions {sorted(unknown)}")
        examples.append(PositionExample(text, labels))
    return examples


def train_positions(
    examples: Sequence[PositionExample],
    *,
    positions: Sequence[str],
    output: Path,
    epochs: int = 20,
    seed: int = 13,
    dropout: float = 0.2,
) -> TrainReport:
    """Train and save a sentence classifier; deterministic for a given input and seed."""
    if not examples:
        raise ConfigError("no training examples")
    spacy_util.fix_random_seed(seed)  # type: ignore[attr-defined]
    labels = tuple(position_label(p, s) for p in positions for s in ("for", "against"))
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config=_TEXTCAT_CONFIG)
    for label in labels:
        textcat.add_label(label)  # type: ignore[attr-defined]
    data = [_example(nlp, e, labels) for e in examples]
    optimizer = nlp.initialize(lambda: data)
    order = random.Random(seed)
    losses_per_epoch = []
    for _ in range(epochs):
        shuffled = list(data)
        order.shuffle(shuffled)
        losses: dict[str, float] = {}
        for batch in spacy_util.minibatch(shuffled, size=16):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, drop=dropout, losses=losses)
        losses_per_epoch.append(round(losses.get("textcat_multilabel", 0.0), 4))
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return TrainReport(len(examples), labels, epochs, tuple(losses_per_epoch), output)


def _example(nlp: Language, example: PositionExample, labels: Sequence[str]) -> Example:
    doc = nlp.make_doc(example.text)
    return Example.from_dict(doc, {"cats": {label: float(label in example.labels) for label in labels}})
