"""Examples for each learned task, built the same way for training and for inference:
named features (rule cues, structure) plus a dense part (sentence vectors)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from analyzer.learn.features import Features, decision_features, message_context, relation_features, sentence_features
from analyzer.analysis.records import Mention
from analyzer.learn.views import MessageView, Sentence, ThreadView, WeakMention

MAX_SENTENCES = 40
"""Sentences per message that the position model reads: a claim about policy sits in the
prose of a reply, rarely past its fortieth sentence (the rest are often logs or code)."""
MAX_OPENINGS = 8
QUOTE_TAIL = 600
"""Characters of an answered quote that are read: the end of a quote is what is answered."""
MIN_WORDS = 3
MAX_CHARS = 1_000
"""Longest sentence read for a position: longer "sentences" are logs, config dumps or
tables the sentence splitter could not cut (a claim about policy is rarely past a few lines)."""


class TextVectors(Protocol):
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Rows:
    """Rows of one task: named features, a dense block, and what each row is about."""

    features: list[Features]
    dense: np.ndarray
    keys: list[tuple[str, ...]]


def _mean(vectors: np.ndarray, dimension: int) -> np.ndarray:
    return vectors.mean(axis=0) if len(vectors) else np.zeros(dimension, dtype=np.float32)


def relation_rows(views: Sequence[MessageView], vectors: TextVectors, *, with_vectors: bool = True) -> Rows:
    """One row per reply: its features, and (``with_vectors``) the mean vector of its answers'
    opening sentences and the mean vector of the ends of the quotes they answer."""
    if not with_vectors:
        return Rows([relation_features(v) for v in views], np.zeros((len(views), 0), dtype=np.float32), [(v.message.message_id,) for v in views])
    texts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    for view in views:
        openings = [s.text for s in view.sentences if s.index == 0][:MAX_OPENINGS]
        seg = view.message.segmentation
        answered = [
            seg.quotes[o.answers].text[-QUOTE_TAIL:]
            for o in seg.own
            if o.answers is not None and not seg.quotes[o.answers].patch
        ][:MAX_OPENINGS]
        a = len(texts)
        texts += openings
        b = len(texts)
        texts += answered
        spans.append((a, b, b, len(texts)))
    encoded = vectors.encode(texts) if texts else np.zeros((0, vectors.dimension), dtype=np.float32)
    d = vectors.dimension
    dense = np.zeros((len(views), 2 * d), dtype=np.float32)
    for row, (a, b, c, e) in enumerate(spans):
        dense[row, :d] = _mean(encoded[a:b], d)
        dense[row, d:] = _mean(encoded[c:e], d)
    return Rows([relation_features(v) for v in views], dense, [(v.message.message_id,) for v in views])


def decision_rows(views: Sequence[MessageView]) -> Rows:
    return Rows([decision_features(v) for v in views], np.zeros((len(views), 0), dtype=np.float32), [(v.message.message_id,) for v in views])


READ_SERIES_PARTS = False
"""Whether the position model reads patch n/m (n >= 1) of a series as posted: a commit
message argues the change, the series is argued in its cover letter and the replies. 6% of
the annotated positions sit in such patches, and they are 30% of the sentences the encoder
would read on the archive; leaving them out raised positions F1 under cross-validation
(0.244 -> 0.260, docs/analysis.md) and made the analysis a quarter cheaper."""


def position_sentences(view: MessageView) -> list[Sentence]:
    """The sentences of a message that can carry a position: prose of a few words, not pages."""
    if not READ_SERIES_PARTS and view.is_numbered_patch:
        return []
    return [s for s in view.sentences if len(s.text.split()) >= MIN_WORDS and len(s.text) <= MAX_CHARS][:MAX_SENTENCES]


def sentence_rows(
    views: Sequence[MessageView],
    vectors: TextVectors,
    prototypes: Mapping[str, np.ndarray],
    keep: Callable[[Sentence], bool] | None = None,
) -> tuple[Rows, list[Sentence]]:
    """One row per candidate sentence: its cues, its message's structure, its vector and
    its similarity to each prototype sentence (the taxonomy's descriptions and examples).
    ``keep`` (the cascade's gate) drops candidates before anything is encoded."""
    sentences: list[Sentence] = []
    features: list[Features] = []
    for view in views:
        context: Features | None = None
        for s in position_sentences(view):
            if keep is not None and not keep(s):
                continue
            if context is None:
                context = message_context(view)
            sentences.append(s)
            features.append(sentence_features(view, s, context))
    dense = vectors.encode([s.text for s in sentences]) if sentences else np.zeros((0, vectors.dimension), dtype=np.float32)
    if prototypes:
        names = sorted(prototypes)
        sims = dense @ np.stack([prototypes[n] for n in names]).T if len(dense) else np.zeros((0, len(names)))
        for row, f in enumerate(features):
            for j, n in enumerate(names):
                f[f"proto.{n}"] = float(sims[row, j])
    return Rows(features, dense, [(s.message_id, str(s.start)) for s in sentences]), sentences


def stance_features(sentence: Sentence, position: str) -> Features:
    """What the rules saw of one position in one sentence: weight for and against."""
    f: Features = {"bias": 1.0}
    for mark in sentence.claims:
        if mark.label == position:
            f[f"cue.{mark.stance}"] = f.get(f"cue.{mark.stance}", 0.0) + mark.weight
        else:
            f[f"other.{mark.stance}"] = f.get(f"other.{mark.stance}", 0.0) + mark.weight
    words = sentence.text.lower().split()
    f["negation"] = float(sum(w in _NEGATIONS or w.endswith("n't") for w in words))
    f[f"position.{position}"] = 1.0
    return f


_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "neither", "nor", "cannot", "without", "against"})


@dataclass(frozen=True)
class Candidate:
    message_id: str
    behaviour: str
    start: int
    end: int
    text: str
    rule: bool = True
    """Linked by the rules' linker in this message (else only loosely named: ``evidence``)."""
    evidence: WeakMention | None = None
    """The loose mention that makes it a candidate (the best one) when the rules did not link it."""
    signals: tuple[str, ...] = ()
    """How it is named: ``weak:<place>/<form>[/alone]`` for each loose mention kind found."""


_PLACES = ("own", "patch", "subject", "quote")


def _evidence_rank(w: WeakMention) -> tuple[int, int, int, int]:
    return (_PLACES.index(w.place), not w.alone, not w.longest, ("id", "alias", "code", "part").index(w.form) if w.form in ("id", "alias", "code", "part") else 4)


def _weak_signal(w: WeakMention) -> str:
    return f"weak:{w.place}/{w.form}" + ("/alone" if w.alone and w.longest else "")


def behaviour_rows(thread: ThreadView, kinds: Mapping[str, str]) -> tuple[Rows, list[Candidate]]:
    """One row per behaviour a message names: every link of the rules' linker (own text or
    patch) and every entry only loosely named (``MessageView.weak``: any case, any
    separator, a distinctive tail of the id, a function standing for it) in the own text,
    the lines a patch adds, the subject or the quote the own text answers. Features: how
    and where it is named, and how much the thread talks about it."""
    named: dict[str, Counter[str]] = {}
    for view in thread.messages:
        named[view.message.message_id] = Counter(m.target for m in view.rules.mentions if m.kind == "behaviour")
    in_thread: Counter[str] = Counter()
    for counts in named.values():
        in_thread.update(set(counts))
    n = max(len(thread.messages), 1)
    root = thread.messages[0].message.message_id if thread.messages else ""
    rows: list[Features] = []
    candidates: list[Candidate] = []
    for view in thread.messages:
        mid = view.message.message_id
        own_spans = [(s.start, s.end) for s in view.sentences]
        parent = named.get(view.message.parent_id or "", Counter())
        weak: dict[str, list[WeakMention]] = {}
        for w in view.weak:
            weak.setdefault(w.target, []).append(w)
        # an entry named only inside a longer catalogue name is that name's part, not a candidate
        weak = {t: ws for t, ws in weak.items() if any(w.longest for w in ws)}
        first: dict[str, Mention] = {}
        for m in view.rules.mentions:
            if m.kind == "behaviour":
                first.setdefault(m.target, m)
        for b in [*first, *(t for t in weak if t not in first)]:
            mention = first.get(b)
            loose = sorted(weak.get(b, ()), key=_evidence_rank)
            in_own = mention is not None and any(a <= mention.start < e for a, e in own_spans)
            f: Features = {
                "rule": float(mention is not None),
                "count": math.log1p(named[mid][b]),
                "in_own": float(in_own),
                "in_patch": float(mention is not None and not in_own),
                "in_subject": float(b.lower() in view.message.subject.lower()),
                "in_parent": float(b in parent),
                "in_root": float(b in named.get(root, ())),
                "thread_share": in_thread[b] / n,
                "exact_id": float(mention is not None and mention.text == b),
                "short_name": float(mention is not None and len(mention.text) <= 4),
                "names_in_message": math.log1p(len(named[mid])),
                f"kind.{kinds.get(b, 'other')}": 1.0,
                "is_posting": float(view.is_posting),
                "no_own_text": float(not view.sentences),
                "weak.count": math.log1p(len(loose)),
            }
            for w in loose:
                f[f"weak.{w.place}.{w.form}"] = 1.0
                f[f"weak.{w.place}"] = 1.0
                if w.alone and w.longest:
                    f[f"weak.{w.place}.{w.form}.alone"] = 1.0
                    f["weak.alone"] = 1.0
                f["weak.as_written"] = max(f.get("weak.as_written", 0.0), float(w.as_written))
            rows.append(f)
            signals = tuple(dict.fromkeys(_weak_signal(w) for w in loose))
            if mention is not None:
                candidates.append(Candidate(mid, b, mention.start, mention.end, mention.text, True, None, signals))
            else:
                e = loose[0]
                candidates.append(Candidate(mid, b, e.start, e.end, e.text, False, e, signals))
    return Rows(rows, np.zeros((len(rows), 0), dtype=np.float32), [(c.message_id, c.behaviour) for c in candidates]), candidates
