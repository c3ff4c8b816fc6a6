"""Cascade experiment: the static encoder's position heads score every candidate sentence
(cheap), and only the sentences whose static score for some position reaches a low gate are
encoded by MiniLM and scored by the MiniLM heads; the others argue no position.

Quality (default): the folds of ``analyzer eval --cv`` (5 thread-grouped folds over the 45
annotated threads). In each fold, on the training threads only: the MiniLM bundle as
``eval --cv`` trains it, the static position heads, and the gate, chosen by an inner
grouped cross-validation (the folds ``train`` uses for thresholds) as the highest value
that keeps ``--recall`` of the sentences the MiniLM heads keep (probability at the bundle's
positions threshold). The held-out threads are then read three ways: MiniLM alone (this
must give ``eval --cv``'s figure), and the cascade at each recall target. Prints pooled
positions F1 and the share of candidate sentences MiniLM encodes.

Cost (``--db``): messages per CPU-second of the learned reading over the first threads of a
structured store (``--messages``, default 2,000), with the shipped bundles and the readers
``analyze`` uses: MiniLM alone, static alone and the cascade at ``--gate`` (default: the
shipped bundle's).

    nice -n 10 .venv/bin/python benchmarks/cascade.py [--recall 0.9,0.95,0.98]
    nice -n 10 .venv/bin/python benchmarks/cascade.py --db STORE --gate 0.1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from analyzer.analysis.catalogue import load_catalogue, load_taxonomy
from analyzer.analysis.gold import GoldLine
from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.scoring import evaluate
from analyzer.learn.apply import learned_analysis
from analyzer.learn.cv import _lines, taxonomy_prototypes
from analyzer.learn.encoder import CachedVectors, sentence_encoder
from analyzer.learn.examples import TextVectors, sentence_rows
from analyzer.learn.folds import balance_groups, grouped_folds, shuffled_folds, thread_groups
from analyzer.learn.heads import LinearHead
from analyzer.learn.model import LearnedModels
from analyzer.learn.predict import POSITION_PREFIX
from analyzer.learn import training
from analyzer.learn.training import TrainingSettings, TrainingThread, train_models
from analyzer.learn.views import ThreadView
from analyzer.learn.workflow import DEFAULT_COMBINATION, RELATION_VECTORS, _seed, default_data, prepare

GATES = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


class GatedVectors:
    """MiniLM vectors for the texts the gate opened, zero rows for the rest (never encoded)."""

    blank = False

    def __init__(self, inner: TextVectors) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.open: set[str] = set()
        self.asked = 0
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        rows = [i for i, t in enumerate(texts) if t in self.open]
        self.asked += len(texts)
        self.encoded += len(rows)
        if rows:
            out[rows] = self.inner.encode([texts[i] for i in rows])
        return out


class GatedHead:
    """A position head that gives 0 to a sentence the gate kept closed (its zero vector)."""

    def __init__(self, head: LinearHead) -> None:
        self.head = head
        self.name = head.name
        self.classes = head.classes
        self.dense_size = head.dense_size

    def predict_proba(self, rows: Sequence[Mapping[str, float]], dense: np.ndarray | None = None) -> np.ndarray:
        probs = self.head.predict_proba(rows, dense).copy()
        if dense is not None and len(probs):
            closed = ~np.any(dense != 0, axis=1)
            probs[closed, 1] = 0.0
            probs[closed, 0] = 1.0
        return probs


def gated(models: LearnedModels) -> LearnedModels:
    heads = {n: (GatedHead(h) if n.startswith(POSITION_PREFIX) else h) for n, h in models.heads.items()}
    return replace(models, heads=heads)  # type: ignore[arg-type]


def best_position(views: Sequence[ThreadView], heads: Mapping[str, LinearHead], vectors: TextVectors,
                  prototypes: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Per candidate sentence text, its highest probability over the position heads."""
    found: dict[str, float] = {}
    for tv in views:
        rows, sentences = sentence_rows(tv.messages, vectors, prototypes)
        if not sentences:
            continue
        best = np.zeros(len(sentences))
        for name, head in heads.items():
            if name.startswith(POSITION_PREFIX):
                best = np.maximum(best, head.predict_proba(rows.features, rows.dense)[:, 1])
        for s, p in zip(sentences, best):
            found[s.text] = max(found.get(s.text, 0.0), float(p))
    return found


def choose_gate(kept_static: Sequence[float], recall: float) -> float:
    """The highest gate that keeps ``recall`` of the sentences MiniLM keeps."""
    if not kept_static:
        return GATES[0]
    best = GATES[0]
    for gate in GATES:
        if sum(1 for p in kept_static if p >= gate) >= recall * len(kept_static):
            best = gate
    return best


def _memo_fits() -> None:
    """Memoise head fitting by (vectors, training threads): ``train_models``' inner folds and
    the gate's inner folds fit the same MiniLM heads, so each is fitted once (same result)."""
    fit = training._fit_all
    memo: dict[tuple[int, tuple[str, ...]], dict[str, LinearHead]] = {}

    def cached(threads, vectors, prototypes, settings):  # type: ignore[no-untyped-def]
        key = (id(vectors), tuple(t.name for t in threads))
        if key not in memo:
            memo[key] = fit(threads, vectors, prototypes, settings)
        return memo[key]

    training._fit_all = cached


def quality(recalls: Sequence[float], splits: int = 1) -> None:
    _memo_fits()
    prepared = prepare(default_data())
    corpus, views = prepared.corpus, prepared.views
    taxonomy = load_taxonomy(None)
    kinds = {b.id: b.kind for b in prepared.catalogue}
    groups = thread_groups(corpus)
    training_threads = [TrainingThread(c.name, groups[i], tuple(views[c.name]), c.gold_by_id()) for i, c in enumerate(corpus)]
    settings = TrainingSettings(combination=DEFAULT_COMBINATION, positions=taxonomy.position_ids, kinds=kinds,
                                relation_vectors=RELATION_VECTORS)
    minilm, static = CachedVectors(sentence_encoder("minilm")), CachedVectors(sentence_encoder("static"))
    _seed()
    protos_m, protos_s = taxonomy_prototypes(taxonomy, minilm), taxonomy_prototypes(taxonomy, static)
    names = ["minilm", *(f"cascade@{r}" for r in recalls)]
    table: dict[str, list[tuple[float, float, float]]] = {n: [] for n in names}
    started = time.monotonic()
    for seed in range(splits):
        split = grouped_folds(corpus, 5) if seed == 0 else shuffled_folds(corpus, 5, seed)
        label = "default" if seed == 0 else f"seed {seed}"
        predicted: dict[str, dict[str, list[GoldLine]]] = {n: {} for n in names}
        shares: dict[str, list[int]] = {n: [0, 0] for n in names}
        gates: dict[float, list[float]] = {r: [] for r in recalls}
        for number, held in enumerate(split):
            train = [t for i, t in enumerate(training_threads) if i not in held]
            models = train_models(train, minilm, protos_m, settings)
            static_heads = training._fit_all(train, static, protos_s, settings)
            # The gate, on the training threads: inner folds' static and MiniLM scores.
            kept: list[float] = []
            cut = models.threshold("positions")
            inner = balance_groups([t.group for t in train], [len(t.gold) for t in train], settings.inner_folds)
            for inner_held in inner:
                fit = [t for i, t in enumerate(train) if i not in inner_held]
                scored = [tv for i in inner_held for tv in train[i].views]
                by_static = best_position(scored, training._fit_all(fit, static, protos_s, settings), static, protos_s)
                by_minilm = best_position(scored, training._fit_all(fit, minilm, protos_m, settings), minilm, protos_m)
                kept += [by_static.get(text, 0.0) for text, p in by_minilm.items() if p >= cut]
            chosen = {r: choose_gate(kept, r) for r in recalls}
            for r, g in chosen.items():
                gates[r].append(g)
            held_views = [tv for i in held for tv in views[corpus[i].name]]
            by_static = best_position(held_views, static_heads, static, protos_s)
            for i in held:
                c = corpus[i]
                predicted["minilm"][c.name] = _lines(c, [learned_analysis(v, models, minilm, kinds) for v in views[c.name]], kinds)
                for r in recalls:
                    gate = GatedVectors(minilm)
                    gate.open = {t for t, p in by_static.items() if p >= chosen[r]}
                    lines = _lines(c, [learned_analysis(v, gated(models), gate, kinds) for v in views[c.name]], kinds)
                    predicted[f"cascade@{r}"][c.name] = lines
                    shares[f"cascade@{r}"][0] += gate.encoded
                    shares[f"cascade@{r}"][1] += gate.asked
            print(f"{label} fold {number + 1}/5: {len(kept)} sentences kept by MiniLM in the inner folds; gates "
                  + ", ".join(f"recall {r}: {g}" for r, g in chosen.items())
                  + f" ({time.monotonic() - started:.0f} s)", flush=True)
        print(f"\n{label}: pooled over {len(corpus)} threads:")
        for name in names:
            row = []
            for selected in (corpus, [c for c in corpus if c.source == "silver"], [c for c in corpus if c.source == "gold"]):
                gold = [g for c in selected for g in c.gold]
                lines = [line for c in selected for line in predicted[name][c.name]]
                row.append(evaluate(gold, lines, catalogue_ids=prepared.scoring_ids))
            encoded, asked = shares[name]
            share = f"{encoded / asked:.1%} of candidate sentences encoded by MiniLM" if asked else "every candidate sentence"
            p = row[0].positions
            table[name].append((p.f1, row[1].positions.f1, row[2].positions.f1))
            print(f"{name:14s} positions F1 {p.f1:.3f} ({p.precision:.2f} / {p.recall:.2f}; silver {row[1].positions.f1:.3f}, "
                  f"gold {row[2].positions.f1:.3f}), any stance {row[0].positions_any_stance.f1:.3f}; {share}", flush=True)
        for r in recalls:
            print(f"gates chosen at recall {r}: {gates[r]}", flush=True)
    if splits > 1:
        print("\npositions F1 per split (all 45), and the mean over the splits:")
        for name in names:
            f1s = [row[0] for row in table[name]]
            diffs = [a - b for a, b in zip(f1s, (row[0] for row in table["minilm"]))]
            print(f"{name:14s} " + "  ".join(f"{x:.3f}" for x in f1s) + f"  mean {statistics.mean(f1s):.3f}"
                  + (f"  (vs minilm: " + " ".join(f"{d:+.3f}" for d in diffs) + f"; mean {statistics.mean(diffs):+.4f})" if name != "minilm" else ""))
            print(f"{'':14s} silver mean {statistics.mean(r[1] for r in table[name]):.3f}, gold mean {statistics.mean(r[2] for r in table[name]):.3f}")


class Counting:
    """An encoder that counts the texts it is handed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name")
        self.dimension = getattr(inner, "dimension")
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts)  # type: ignore[attr-defined, no-any-return]


def cost(db: Path, messages_wanted: int, gate: float | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_encoders import _cpu_seconds, _inputs

    from analyzer.analysis.thread import rules_reader
    from analyzer.learn.reader import LearnedReader, learned_reader
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from analyzer.store.db import Store

    from analyzer.learn.reader import bundle_gate

    gate = bundle_gate() if gate is None else gate
    store = Store.open(db)
    inputs = _inputs(store, messages_wanted)
    messages = sum(len(i.messages) for i in inputs)
    print(f"{len(inputs)} threads, {messages} messages; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    annotator = Annotator(build_pipeline(PipelineSettings()))
    kinds = {b.id: b.kind for b in load_catalogue(None)}
    readers: dict[str, Callable[[ThreadInput], ThreadAnalysis]] = {
        "rules alone": rules_reader(annotator),
        "learned, minilm": learned_reader(annotator, kinds, encoder="minilm"),
        "learned, static": learned_reader(annotator, kinds, encoder="static"),
        f"cascade @ {gate}": learned_reader(annotator, kinds, encoder="cascade", gate=gate),
    }
    for reader in readers.values():  # load the models outside the timing
        reader(inputs[0])
        if isinstance(reader, LearnedReader) and isinstance(reader.vectors, CachedVectors):
            reader.vectors.encoder = Counting(reader.vectors.encoder)
    asked = 0
    for name, reader in readers.items():
        seconds = _cpu_seconds(reader, inputs)
        rate = messages / seconds
        extra = ""
        if isinstance(reader, LearnedReader) and isinstance(reader.vectors, CachedVectors):
            encoded = getattr(reader.vectors.encoder, "texts", 0)
            asked = asked or encoded
            extra = f"; {encoded} candidate sentences encoded" + (f" ({encoded / asked:.0%} of MiniLM's)" if reader.gate else "")
        print(f"{name:18s}: {rate:7.1f} msg per CPU-second ({seconds:.1f} CPU-s){extra}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recall", default="0.9,0.95,0.98", help="recall targets of the gate (quality run)")
    parser.add_argument("--splits", type=int, default=1, help="the default split and SPLITS - 1 shuffled ones (benchmarks/cv_splits.py)")
    parser.add_argument("--db", type=Path, help="a structured store: measure the cost instead")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--gate", type=float, default=None, help="the gate for the cost run (default: the shipped bundle's)")
    args = parser.parse_args()
    if args.db is not None:
        cost(args.db, args.messages, args.gate)
    else:
        quality([float(r) for r in args.recall.split(",")], args.splits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
