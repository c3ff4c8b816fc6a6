"""The learned reading of a thread: model scores turned into the same records the rules
produce (Claim, PositionTaken, Relation, Decision, Mention), each with its evidence and
the signals that fired, combined with the rules' records as the bundle says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from analyzer.analysis.records import Claim, Decision, Mention, MessageAnalysis, PositionTaken, Relation, ThreadAnalysis
from analyzer.learn.cascade import SentenceGate
from analyzer.learn.examples import TextVectors
from analyzer.learn.model import LearnedModels
from analyzer.learn.predict import (
    BehaviourScore,
    SentenceScore,
    behaviour_scores,
    decision_scores,
    position_scores,
    relation_scores,
)
from analyzer.learn.views import MessageView, Sentence, ThreadView

_TRAILER_KIND = {"Acked-by": "endorsed", "Reviewed-by": "endorsed", "Tested-by": "endorsed", "Nacked-by": "rejected"}


def learned_analysis(
    thread: ThreadView,
    models: LearnedModels,
    vectors: TextVectors,
    kinds: Mapping[str, str],
    gate: SentenceGate | None = None,
) -> ThreadAnalysis:
    """``gate`` (the cascade): only the sentences it opens are encoded for the position heads."""
    mix = models.combination
    relations = relation_scores(thread, models, vectors) if mix.relations != "rules" else {}
    decisions = decision_scores(thread, models) if mix.decisions != "rules" else {}
    keep = gate.opened(thread) if gate is not None and mix.positions != "rules" else None
    sentences = position_scores(thread, models, vectors, keep) if mix.positions != "rules" else []
    behaviours = behaviour_scores(thread, models, kinds) if mix.behaviours != "rules" else {}
    by_message: dict[str, list[SentenceScore]] = defaultdict(list)
    for s in sentences:
        by_message[s.sentence.message_id].append(s)
    out = []
    for view in thread.messages:
        mid = view.message.message_id
        rules = view.rules
        claims, positions = _positions(by_message.get(mid, []), rules, models)
        out.append(
            MessageAnalysis(
                message_id=mid,
                claims=claims,
                positions=positions,
                mentions=_mentions(rules.mentions, behaviours, mid, models),
                relations=_relations(view, relations.get(mid), models),
                decisions=_decisions(view, decisions.get(mid, {}), models),
            )
        )
    return ThreadAnalysis(thread.rules.thread_id, tuple(out))


def _signal(name: str, p: float) -> str:
    return f"model:{name} {p:.2f}"


def _positions(
    scores: list[SentenceScore], rules: MessageAnalysis, models: LearnedModels
) -> tuple[tuple[Claim, ...], tuple[PositionTaken, ...]]:
    mode = models.combination.positions
    if mode == "rules":
        return rules.claims, rules.positions
    threshold = models.threshold("positions")
    claims = []
    best: dict[str, SentenceScore] = {}
    for s in scores:
        if s.probability < threshold:
            continue
        cues = [f"rule:{m.cue_id}" for m in s.sentence.claims if m.label == s.position]
        claims.append(
            Claim(
                message_id=s.sentence.message_id,
                position=s.position,
                stance="against" if s.stance == "against" else "for",
                confidence=round(s.probability, 3),
                start=s.sentence.start,
                end=s.sentence.end,
                text=s.sentence.text,
                signals=(_signal(f"position {s.position}", s.probability), _signal(f"stance {s.stance}", s.stance_probability), *cues),
            )
        )
        if s.position not in best or s.probability > best[s.position].probability:
            best[s.position] = s
    taken = [
        PositionTaken(
            position=s.position,
            stance="against" if s.stance == "against" else "for",
            score=round(s.probability, 3),
            basis="model",
            evidence=s.sentence.text,
            evidence_start=s.sentence.start,
            evidence_end=s.sentence.end,
            signals=(_signal(f"position {s.position}", s.probability), _signal(f"stance {s.stance}", s.stance_probability)),
        )
        for s in sorted(best.values(), key=lambda x: x.position)
    ]
    if mode == "union":
        have = {p.position for p in taken}
        taken += [p for p in rules.positions if p.position not in have]
        claims += [c for c in rules.claims if c.position not in have]
    return tuple(claims), tuple(taken)


def _relations(view: MessageView, scores: dict[str, float] | None, models: LearnedModels) -> tuple[Relation, ...]:
    rules = view.rules.relations
    overall = view.rules.relation
    if scores is None or overall is None or models.combination.relations == "rules":
        return rules
    label = max(scores, key=lambda k: (scores[k], k))
    if _is_series_part(view):
        label, p = "neutral", 0.9
        signals: tuple[str, ...] = ("structure:patch of a series under its cover letter",)
    else:
        p = scores[label]
        head = models.head("relation")
        from analyzer.learn.features import relation_features

        top = head.top_features(relation_features(view), output=head.classes.index(label)) if head else []
        signals = (_signal("relation", p), *(f"feature:{t}" for t in top))
    message_level = replace(overall, label=label, confidence=round(p, 3), signals=signals)  # type: ignore[arg-type]
    return tuple(r for r in rules if r.quote_index is not None) + (message_level,)


def _is_series_part(view: MessageView) -> bool:
    parent = view.parent
    return parent is not None and parent.author_id == view.message.author_id and view.is_posting


def _decisions(view: MessageView, scores: dict[str, float], models: LearnedModels) -> tuple[Decision, ...]:
    rules = view.rules.decisions
    mode = models.combination.decisions
    if mode == "rules":
        return rules
    by_kind = {d.kind: d for d in rules}
    found: dict[str, Decision] = {}
    for kind, p in sorted(scores.items()):
        if p < models.threshold(f"decision.{kind}"):
            continue
        found[kind] = _decision(view, kind, p, by_kind.get(kind))
    # A new version replacing an old one is structure, not wording: the rules' record stays.
    for kind, d in by_kind.items():
        if kind not in found and (mode == "union" or _superseding(view, d)):
            found[kind] = replace(d, signals=d.signals or ("rule:decision",))
    return tuple(found[k] for k in sorted(found))


def _superseding(view: MessageView, decision: Decision) -> bool:
    return decision.kind == "withdrawn" and view.message.replaces is not None


def _decision(view: MessageView, kind: str, p: float, rule: Decision | None) -> Decision:
    """The decision with its evidence: a trailer that makes it, else the rules' sentence,
    else the sentence whose cues point to it, else the message's opening sentence."""
    m = view.message
    signals: list[str] = [_signal(f"decision {kind}", p)]
    trailer = next(
        (t for t in m.segmentation.trailers if not t.in_patch and _TRAILER_KIND.get(t.key) == kind), None
    )
    if trailer is not None:
        start, end, evidence = trailer.start, trailer.end, f"{trailer.key}: {trailer.value}"
        signals.append(f"structure:trailer {trailer.key}")
    elif rule is not None:
        start, end, evidence = rule.start, rule.end, rule.evidence
        signals.append("rule:decision cue")
    else:
        sentence = _cued_sentence(view, kind) or (view.sentences[0] if view.sentences else None)
        if sentence is None:
            start, end, evidence = 0, 0, m.subject
        else:
            start, end, evidence = sentence.start, sentence.end, sentence.text
    return Decision(
        message_id=m.message_id,
        kind=kind,
        actor=m.author_name,
        date=m.date,
        confidence=round(p, 3),
        start=start,
        end=end,
        evidence=evidence,
        signals=tuple(signals),
    )


def _cued_sentence(view: MessageView, kind: str) -> Sentence | None:
    weighted = [(sum(c.weight for c in s.decision_cues if c.label == kind), -i, s) for i, s in enumerate(view.sentences)]
    best = max(weighted, default=None, key=lambda x: (x[0], x[1]))
    return best[2] if best is not None and best[0] > 0 else None


def _mentions(
    mentions: tuple[Mention, ...], scores: dict[tuple[str, str], BehaviourScore], message_id: str, models: LearnedModels
) -> tuple[Mention, ...]:
    """The rules' links (all of them, with the rules' confidence, under ``union``; those the
    head keeps, with its probability, under ``model``) and every loosely named entry the
    head scores at its threshold, as a Mention whose span
    is the loose name, with the head's probability and how the entry was named."""
    mode = models.combination.behaviours
    if mode == "rules" or not scores:
        return mentions
    threshold = models.threshold("behaviour")
    kept = []
    for m in mentions:
        if m.kind != "behaviour":
            kept.append(m)
            continue
        s = scores.get((message_id, m.target))
        p = s.probability if s is not None else 1.0
        named = s.candidate.signals if s is not None else ()
        if mode == "union":
            # kept whatever the head says: the rules' confidence stays, the head's score explains
            kept.append(replace(m, signals=("rule:linker", _signal("behaviour", p), *named)))
        elif p >= threshold:
            kept.append(replace(m, confidence=round(p, 3), signals=(_signal("behaviour", p), "rule:linker", *named)))
    for (mid, _), s in sorted(scores.items()):
        c = s.candidate
        if mid != message_id or c.rule or s.probability < threshold:
            continue
        kept.append(
            Mention(
                message_id, "behaviour", c.behaviour, c.start, c.end, c.text,
                confidence=round(s.probability, 3), signals=(_signal("behaviour", s.probability), *c.signals),
            )
        )
    return tuple(kept)
