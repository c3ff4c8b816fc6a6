"""Why each label was given, how sure the analysis is of it, and a reader's cut-off.

Every record the analysis produces (claim, message position, reply relation, decision,
behaviour mention) carries a score and the signals that fired: ``model:<what> <p>`` (a
learned head's probability), ``rule:<cue id>`` (a cue rule), ``structure:<what>`` (a
trailer, a series posting), ``feature:<name>`` (the features that weighed most in a
model's choice), ``weak:<place>/<form>[/alone]`` (how a behaviour the head linked was
loosely named: ``weak:own/alias/alone``). This module turns them into one line a reader can check, and leaves
out the labels below a confidence the reader chooses, everywhere at once: the views,
graphs, timelines and reports are built from the ``Debate`` it returns, so nothing shows
a label the reader hid. Pure functions over plain records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from analyzer.analysis.records import Claim, Decision, Mention, MessageAnalysis, PositionTaken, Relation
from analyzer.debate import Debate

Label = Claim | PositionTaken | Relation | Decision | Mention
L = TypeVar("L", Claim, PositionTaken, Relation, Decision, Mention)
LabelKind = Literal["claims", "positions", "relations", "decisions", "behaviours"]
LABEL_KINDS: tuple[LabelKind, ...] = ("claims", "positions", "relations", "decisions", "behaviours")
_SINGULAR = {"claims": "claim", "positions": "position", "relations": "relation", "decisions": "decision",
             "behaviours": "behaviour mention"}
NO_SIGNAL = "no signal recorded"


def confidence(label: Label) -> float:
    """The label's confidence on a 0–1 scale. A message position read from cue rules
    scores the summed weight ``w`` of its cues; it reads as ``w / (w + 1)``, the scale
    the rules give each claim (a learned position's score is already a probability)."""
    if isinstance(label, PositionTaken):
        if label.basis == "model":
            return label.score
        return round(label.score / (label.score + 1.0), 3) if label.score > 0 else 0.0
    return label.confidence


def signal_text(signal: str) -> str:
    """One signal as words: ``rule:pin.keep-old`` → ``rule cue pin.keep-old``,
    ``model:position pin-previous 0.71`` → ``model position pin-previous 0.71``."""
    source, _, what = signal.partition(":")
    if not what:
        return signal
    if source == "rule":  # cue ids are dotted (``pin.keep-old``); other rules are named in words
        return f"rule cue {what}" if "." in what else f"rule {what}"
    if source == "structure":
        return f"structure: {what.replace(':', ' ', 1)}"
    if source == "weak":  # own/alias/alone -> named loosely: alias in own text, alone
        place, _, rest = what.partition("/")
        form, _, alone = rest.partition("/")
        return f"named loosely: {form or 'name'} in {_PLACE_WORDS.get(place, place)}" + (", alone" if alone else "")
    return f"{source} {what}"


_PLACE_WORDS = {"own": "own text", "patch": "patch", "subject": "subject", "quote": "answered quote"}


def signals_text(signals: Sequence[str]) -> str:
    """The signals that fired, in one line (``model … · rule cue … · structure: …``)."""
    return " · ".join(signal_text(s) for s in signals) if signals else NO_SIGNAL


def why(label: Label) -> str:
    """Score and signals: ``0.71 · model position pin-previous 0.71 · rule cue …``."""
    return score_and_signals(confidence(label), label.signals)


def score_and_signals(score: float, signals: Sequence[str]) -> str:
    return f"{score:.2f} · {signals_text(signals)}"


@dataclass(frozen=True, slots=True)
class LabelEvidence:
    """One label of a message as a reader checks it."""

    kind: str
    """claim, position, reply, decision or behaviour."""
    label: str
    """``pin-previous-behaviour (for)``, ``disagree with its parent``, ``rejected``…"""
    why: str
    """Score and signals (:func:`why`)."""
    sentence: str
    """The text it comes from (empty when none was recorded)."""


def message_evidence(body: str, analysis: MessageAnalysis | None, *, claims: bool = True) -> list[LabelEvidence]:
    """Every label of a message with its score, signals and evidence sentence (claims
    first, unless ``claims`` is False); behaviour mentions of one catalogue entry with the
    same score are one row."""
    if analysis is None:
        return []
    rows = [LabelEvidence("claim", f"{c.position} ({c.stance})", why(c), c.text) for c in analysis.claims] if claims else []
    rows += [LabelEvidence("position", f"{p.position} ({p.stance}, from {p.basis})", why(p), p.evidence)
             for p in analysis.positions]
    for r in analysis.relations:
        answered = "its parent" if r.quote_index is None else f"quoted block {r.quote_index + 1}"
        said = body[r.own_start:r.own_end] if r.own_start is not None and r.own_end is not None else ""
        rows.append(LabelEvidence("reply", f"{r.label} with {answered}", why(r), said))
    rows += [LabelEvidence("decision", d.kind, why(d), d.evidence) for d in analysis.decisions]
    named: dict[tuple[str, str], list[str]] = {}
    for m in analysis.mentions:
        if m.kind == "behaviour":
            named.setdefault((m.target, why(m)), []).append(m.text)
    rows += [LabelEvidence("behaviour", f"{target}{f' ×{len(texts)}' if len(texts) > 1 else ''}", reason, texts[0])
             for (target, reason), texts in named.items()]
    return rows


@dataclass(frozen=True, slots=True)
class HiddenLabels:
    """What a cut-off left out: labels below ``cutoff``, per kind, of ``total`` labels."""

    cutoff: float = 0.0
    claims: int = 0
    positions: int = 0
    relations: int = 0
    decisions: int = 0
    behaviours: int = 0
    total: int = 0
    """Labels there were before the cut."""

    @property
    def count(self) -> int:
        return self.claims + self.positions + self.relations + self.decisions + self.behaviours

    def of(self, kind: LabelKind) -> int:
        return int(getattr(self, kind))

    def __add__(self, other: HiddenLabels) -> HiddenLabels:
        return HiddenLabels(max(self.cutoff, other.cutoff), self.claims + other.claims,
                            self.positions + other.positions, self.relations + other.relations,
                            self.decisions + other.decisions, self.behaviours + other.behaviours,
                            self.total + other.total)

    def sentence(self) -> str:
        """``12 of 340 labels below 0.60 left out (8 claims, 3 relations, 1 decision).``"""
        if self.cutoff <= 0:
            return f"All {self.total} labels shown (no confidence cut-off)."
        parts = [f"{n} {_SINGULAR[k]}{'s' if n != 1 else ''}" for k in LABEL_KINDS if (n := self.of(k))]
        detail = f" ({', '.join(parts)})" if parts else ""
        return f"{self.count} of {self.total} labels below {self.cutoff:.2f} left out{detail}."


def _kept(labels: Iterable[L], cutoff: float) -> tuple[tuple[L, ...], int]:
    every = tuple(labels)
    kept = tuple(label for label in every if confidence(label) >= cutoff)
    return kept, len(every) - len(kept)


def analysis_above(analysis: MessageAnalysis, cutoff: float) -> tuple[MessageAnalysis, HiddenLabels]:
    """The message's labels with a confidence of at least ``cutoff``, and what was left
    out. Mentions of commits, links and paths are structure, not judgement: always kept."""
    claims, n_claims = _kept(analysis.claims, cutoff)
    positions, n_positions = _kept(analysis.positions, cutoff)
    relations, n_relations = _kept(analysis.relations, cutoff)
    decisions, n_decisions = _kept(analysis.decisions, cutoff)
    unattested, n_unattested = _kept(analysis.unattested, cutoff)
    behaviours, n_behaviours = _kept((m for m in analysis.mentions if m.kind == "behaviour"), cutoff)
    kept_ids = {id(m) for m in behaviours}
    mentions = tuple(m for m in analysis.mentions if m.kind != "behaviour" or id(m) in kept_ids)
    total = (len(analysis.claims) + len(analysis.positions) + len(analysis.relations) + len(analysis.decisions)
             + len(analysis.unattested) + sum(1 for m in analysis.mentions if m.kind == "behaviour"))
    hidden = HiddenLabels(cutoff, n_claims, n_positions, n_relations, n_decisions + n_unattested, n_behaviours, total)
    if hidden.count == 0:
        return analysis, hidden
    return replace(
        analysis,
        claims=claims, positions=positions, relations=relations, decisions=decisions, unattested=unattested,
        mentions=mentions,
    ), hidden


def debate_above(debate: Debate, cutoff: float, thread_ids: Sequence[str] | None = None) -> tuple[Debate, HiddenLabels]:
    """``debate`` without the labels below ``cutoff`` in the given threads (all when
    None), and what was left out there. A cut-off of 0 leaves the debate as it is."""
    if thread_ids is None:
        chosen: Iterable[str] = debate.analyses
    else:
        chosen = [m for t in thread_ids for m in debate.thread(t).message_ids if m in debate.analyses]
    hidden = HiddenLabels(cutoff)
    changed = {}
    for message_id in chosen:
        kept, left_out = analysis_above(debate.analyses[message_id], cutoff)
        hidden += left_out
        if kept is not debate.analyses[message_id]:
            changed[message_id] = kept
    if not changed:
        return debate, hidden
    return replace(debate, analyses={**debate.analyses, **changed}), hidden
