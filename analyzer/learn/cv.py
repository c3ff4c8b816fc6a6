"""Thread-grouped cross-validation over the real annotated threads: each thread is scored
by models (and thresholds) fitted without it or any thread of its series or topic, next to
the rules alone and a trivial baseline, in one run."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from analyzer.analysis.catalogue import Catalogue, Taxonomy
from analyzer.analysis.gold import GoldLine, GoldRelation
from analyzer.analysis.label import LabelledThread, gold_lines
from analyzer.analysis.records import MessageAnalysis, ThreadAnalysis
from analyzer.analysis.scoring import Evaluation, evaluate
from analyzer.learn.apply import learned_analysis
from analyzer.learn.corpus import AnnotatedThread
from analyzer.learn.examples import TextVectors
from analyzer.learn.folds import attached_groups, grouped_folds
from analyzer.learn.model import Combination
from analyzer.learn.cascade import FitMemo, SentenceGate, choose_gate, position_heads
from analyzer.learn.training import WHOLE, TrainingSettings, TrainingThread, _fit_all, train_models, training_threads
from analyzer.learn.views import ThreadView

METHODS = ("learned", "rules", "baseline")


@dataclass(frozen=True)
class ThreadScore:
    name: str
    source: str
    fold: int
    messages: int
    scores: dict[str, Evaluation]


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    threads: tuple[ThreadScore, ...]
    pooled: dict[str, Evaluation]
    """Per method, micro figures over every message of every thread."""
    pooled_by_source: dict[str, dict[str, Evaluation]]
    """Per folder (gold, silver), per method."""
    thresholds: tuple[dict[str, float], ...] = field(default_factory=tuple)
    """What each fold's inner cross-validation chose."""
    trained_on: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    """Per fold, the threads its models were trained on (none of the fold's own)."""

    def as_json(self) -> dict[str, object]:
        return {
            "folds": self.folds,
            "pooled": {m: e.as_json() for m, e in self.pooled.items()},
            "pooled_by_source": {s: {m: e.as_json() for m, e in by.items()} for s, by in self.pooled_by_source.items()},
            "threads": [
                {"thread": t.name, "source": t.source, "fold": t.fold, "messages": t.messages,
                 "scores": {m: e.as_json() for m, e in t.scores.items()}}
                for t in self.threads
            ],
            "thresholds": list(self.thresholds),
            "trained_on": [list(names) for names in self.trained_on],
        }


def taxonomy_prototypes(taxonomy: Taxonomy, vectors: TextVectors) -> dict[str, np.ndarray]:
    """A vector per position description and example sentence: what a sentence arguing the
    position reads like, in the taxonomy's own words (so another debate's taxonomy brings
    its own)."""
    texts: dict[str, str] = {}
    for p in taxonomy.positions:
        texts[f"{p.id}.description"] = p.description
        for stance, example in p.examples.items():
            texts[f"{p.id}.{stance}"] = example
    names = sorted(texts)
    encoded = vectors.encode([texts[n] for n in names])
    return {n: encoded[i] for i, n in enumerate(names)}


@dataclass(frozen=True)
class FoldResult:
    """What one fold gives: its held-out threads' lines per method, its thresholds (and
    gate), and the threads its models were trained on."""

    number: int
    predicted: dict[str, dict[str, list[GoldLine]]]
    thresholds: dict[str, float]
    trained_on: tuple[str, ...]


@dataclass(frozen=True)
class CrossValidationPlan:
    """The folds of a cross-validation as independent calls (``calls``; run them anywhere,
    in any order) and the pooling of their results (``result``, given in fold order)."""

    corpus: tuple[AnnotatedThread, ...]
    scoring_ids: frozenset[str]
    calls: tuple[Callable[[], FoldResult], ...]

    def result(self, folds: Sequence[FoldResult]) -> CrossValidation:
        predicted = {name: lines for f in folds for name, lines in f.predicted.items()}
        fold_of = {name: f.number for f in folds for name in f.predicted}
        corpus, scoring_ids = self.corpus, self.scoring_ids
        threads = tuple(
            ThreadScore(
                c.name, c.source, fold_of[c.name], len(c.gold),
                {m: evaluate(c.gold, predicted[c.name][m], catalogue_ids=scoring_ids) for m in METHODS},
            )
            for c in corpus
        )

        def pooled(selected: Sequence[AnnotatedThread]) -> dict[str, Evaluation]:
            gold = [g for c in selected for g in c.gold]
            return {
                m: evaluate(gold, [line for c in selected for line in predicted[c.name][m]], catalogue_ids=scoring_ids)
                for m in METHODS
            }

        sources = sorted({c.source for c in corpus})
        return CrossValidation(
            folds=len(folds),
            threads=threads,
            pooled=pooled(corpus),
            pooled_by_source={s: pooled([c for c in corpus if c.source == s]) for s in sources},
            thresholds=tuple(f.thresholds for f in folds),
            trained_on=tuple(f.trained_on for f in folds),
        )


def plan_cross_validation(
    corpus: Sequence[AnnotatedThread],
    views: Mapping[str, Sequence[ThreadView]],
    vectors: TextVectors,
    *,
    taxonomy: Taxonomy,
    catalogue: Catalogue,
    scoring_ids: frozenset[str],
    k: int = 5,
    combination: Combination = Combination(),
    relation_vectors: bool = True,
    folds: Sequence[Sequence[int]] | None = None,
    static: TextVectors | None = None,
    extra: Sequence[AnnotatedThread] = (),
    extra_weights: Mapping[str, float] = WHOLE,
    progress: Callable[[str], None] = lambda _: None,
) -> CrossValidationPlan:
    """Thread-grouped cross-validation as independent calls, one per fold, each depending on
    nothing but its arguments (so folds give the same results in any process and order:
    ``workflow.run_cross_validation`` runs them on several). ``folds`` (thread indexes per
    fold) replaces the default grouped split. ``static`` (the static encoder's vectors)
    measures the cascade: per fold, static position heads and a gate chosen by inner
    cross-validation on the fold's training threads (``learn/cascade.py``; the gate is
    recorded among the fold's thresholds). ``extra`` threads (with their views in ``views``)
    are trained on, never scored: each fold adds those that share no message, series or
    topic word with its held-out threads, and they teach the tasks ``extra_weights`` weighs
    above 0, at that weight (``training.training_threads``)."""
    groups, keys = attached_groups(corpus, extra)
    kinds = {b.id: b.kind for b in catalogue}
    prototypes = taxonomy_prototypes(taxonomy, vectors)
    static_prototypes = taxonomy_prototypes(taxonomy, static) if static is not None else {}
    training = training_threads(corpus, extra, groups, views, extra_weights)
    settings = TrainingSettings(
        combination=combination, positions=taxonomy.position_ids, kinds=kinds, relation_vectors=relation_vectors
    )
    split = [list(f) for f in folds] if folds is not None else grouped_folds(corpus, k)

    def fold(number: int) -> FoldResult:
        held = split[number]
        near = set().union(*(keys[i] for i in held))
        train = [t for i, t in enumerate(training) if i not in held and (i < len(corpus) or not keys[i] & near)]
        progress(f"fold {number + 1}/{len(split)}: training on {len(train)} threads, scoring {len(held)}")
        fit = FitMemo(_fit_all)
        models = train_models(train, vectors, prototypes, settings, fit=fit)
        gate = None
        if static is not None:
            value = choose_gate(
                train, vectors, prototypes, static, static_prototypes, settings, models.threshold("positions"), fit
            )
            gate = SentenceGate(position_heads(fit(train, static, static_prototypes, settings)), static_prototypes, static, value)
        majority = _majority_relation(train)
        predicted = {}
        for i in held:
            c = corpus[i]
            predicted[c.name] = {
                "learned": _lines(c, [learned_analysis(v, models, vectors, kinds, gate) for v in views[c.name]], kinds),
                "rules": _lines(c, [v.rules for v in views[c.name]], kinds),
                "baseline": _baseline(c, catalogue, majority),
            }
        thresholds = models.thresholds | ({"gate": gate.gate} if gate else {})
        return FoldResult(number, predicted, thresholds, tuple(t.name for t in train))

    return CrossValidationPlan(
        tuple(corpus), scoring_ids, tuple(functools.partial(fold, number) for number in range(len(split)))
    )


def _lines(thread: AnnotatedThread, analyses: Sequence[ThreadAnalysis], kinds: Mapping[str, str]) -> list[GoldLine]:
    by_id = {a.thread_id: a for a in analyses}
    lines = []
    for t in thread.threads:
        analysis = by_id.get(t.thread_id)
        messages: tuple[MessageAnalysis, ...] = analysis.messages if analysis else ()
        lines += gold_lines(LabelledThread(t, messages), catalogue_kinds=kinds)
    return lines


def _majority_relation(threads: Sequence[TrainingThread]) -> str:
    labels = Counter(g.relation.label for t in threads for g in t.gold.values() if g.relation is not None)
    return labels.most_common(1)[0][0] if labels else "neutral"


def _baseline(thread: AnnotatedThread, catalogue: Catalogue, majority: str) -> list[GoldLine]:
    """What anyone gets without reading: every reply labelled with the most frequent
    relation of the training threads, catalogue ids named verbatim in the own text, and no
    positions or decisions."""
    ids = sorted((b.id for b in catalogue if b.kind != "policy_rule"), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w])") if ids else None
    lines = []
    for m in thread.messages():
        own = "\n".join(o.text for o in m.segmentation.own)
        named = tuple(dict.fromkeys(pattern.findall(own))) if pattern else ()
        relation = GoldRelation(m.parent_id, majority) if m.parent_id else None
        lines.append(GoldLine(m.message_id, m.author_name, (), named, relation, ()))
    return lines
