"""Features: plain functions from a message view to named numbers (rule cues, structure)
and to the text a text model reads. No model code here, so training and inference share
exactly one definition of every feature."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.learn.views import MessageView, Sentence, posting_subject
from analyzer.nlp.extensions import Marked

Features = dict[str, float]

_GIVEN = ("Acked-by", "Reviewed-by", "Tested-by", "Nacked-by")
_QUESTION = re.compile(r"\?\s*$")
_THANKS = re.compile(r"^\W*(?:thanks|thank you|thx|cheers)\b", re.IGNORECASE)


def _log(n: float) -> float:
    return math.log1p(max(n, 0.0))


def structure_features(view: MessageView) -> Features:
    """Where the message sits and what kind of mail it is."""
    m = view.message
    seg = m.segmentation
    parent = view.parent
    given = [t for t in seg.trailers if not t.in_patch and t.key in _GIVEN]
    own_chars = sum(len(s.text) for s in view.sentences)
    questions = sum(1 for s in view.sentences if _QUESTION.search(s.text))
    f: Features = {
        "is_root": float(m.parent_id is None),
        "is_posting": float(view.is_posting),
        "depth": _log(view.depth),
        "same_author_as_parent": float(parent is not None and parent.author_id == m.author_id),
        "is_root_author": float(m.author_id == view.root.author_id),
        "parent_is_root": float(parent is not None and parent.parent_id is None),
        "parent_is_root_author": float(parent is not None and parent.author_id == view.root.author_id),
        "parent_is_posting": float(parent is not None and posting_subject(parent.subject)),
        "has_patch": float(seg.has_patch),
        "quotes": _log(len(seg.quotes)),
        "quoted_patch": float(any(q.patch for q in seg.quotes)),
        "own_blocks": _log(len(seg.own)),
        "own_chars": _log(own_chars),
        "sentences": _log(len(view.sentences)),
        "questions": _log(questions),
        "question_share": questions / len(view.sentences) if view.sentences else 0.0,
        "thanks": float(any(_THANKS.search(s.text) for s in view.sentences)),
        "no_own_text": float(not view.sentences),
        "replaces_version": float(m.replaces is not None),
        "author_messages": _log(view.author_messages),
        "thread_authors": _log(view.thread_authors),
        "maintainer_role": float(any(r.startswith("maintainer") for r in m.author_roles)),
    }
    for key in _GIVEN:
        f[f"gives_{key.lower()}"] = float(any(t.key == key for t in given))
    f["gives_trailer_other_person"] = float(
        any(t.email and t.email.lower() != m.author_id.lower() and "@" in m.author_id for t in given)
    )
    return f


def cue_features(marks: Iterable[Marked], prefix: str) -> Features:
    """Summed cue weight per (label, stance), and per kind of cue (tone, opening,
    contrast, answer), so a model can weigh what the rules weigh by hand."""
    f: Features = {}
    for mark in marks:
        kind = "tone" if mark.cue_id.startswith("tone.") else "cue"
        for key in (
            f"{prefix}{mark.label}.{mark.stance}",
            f"{prefix}{kind}.{mark.label}.{mark.stance}",
            *( [f"{prefix}opening.{mark.label}.{mark.stance}"] if mark.opening else [] ),
            *( [f"{prefix}contrast"] if mark.contrast else [] ),
            *( [f"{prefix}answer.{mark.label}.{mark.stance}"] if mark.answer else [] ),
        ):
            f[key] = f.get(key, 0.0) + mark.weight
    return f


def rule_label_features(view: MessageView) -> Features:
    """What the rules decided for the message: its relation, positions and decisions."""
    rules = view.rules
    f: Features = {}
    relation = rules.relation
    if relation is not None:
        f[f"rule_relation.{relation.label}"] = relation.confidence
    for block in rules.relations:
        if block.quote_index is not None:
            key = f"rule_block.{block.label}"
            f[key] = f.get(key, 0.0) + 1.0
    for p in rules.positions:
        f[f"rule_position.{p.position}.{p.stance}"] = p.score
        f["rule_positions"] = f.get("rule_positions", 0.0) + 1.0
    for d in rules.decisions:
        f[f"rule_decision.{d.kind}"] = d.confidence
    return f


def relation_features(view: MessageView) -> Features:
    marks = [m for r in view.marks for m in r.relation_cues]
    opening = [m for s in view.sentences if s.index == 0 for m in s.relation_cues]
    claims = [m for r in view.marks for m in r.claims]
    return (
        structure_features(view)
        | cue_features(marks, "rel.")
        | cue_features(opening, "rel_open.")
        | {f"claims.{k}": v for k, v in _summed(claims).items()}
        | rule_label_features(view)
        | dialogue_features(view)
    )


def dialogue_features(view: MessageView) -> Features:
    """The turn a reply answers and how it answers it: whether the author answers a reply
    to their own message (a rebuttal), what the rules read in the parent (its relation,
    its decisions, its share of questions, whether it carries a patch), whether the quotes
    answered are questions or code, and how much is written against how much is quoted."""
    m = view.message
    seg = m.segmentation
    f: Features = {}
    parent = view.parent_reading
    if parent is not None:
        if parent.grandparent_author_id is not None:
            f["dlg.rebuttal"] = float(parent.grandparent_author_id == m.author_id)
        if parent.relation is not None:
            f[f"dlg.parent_rel.{parent.relation}"] = 1.0
        f["dlg.parent_questions"] = parent.question_share
        f["dlg.parent_has_patch"] = float(parent.has_patch)
        for kind in parent.decisions:
            f[f"dlg.parent_dec.{kind}"] = 1.0
    answered = [seg.quotes[o.answers] for o in seg.own if o.answers is not None]
    prose = [q for q in answered if not q.patch]
    f["dlg.answers_question"] = sum(1 for q in prose if q.text.rstrip().endswith("?")) / len(prose) if prose else 0.0
    f["dlg.answers_patch_share"] = (len(answered) - len(prose)) / len(answered) if answered else 0.0
    own = sum(len(s.text) for s in view.sentences)
    f["dlg.own_over_quoted"] = math.log1p(own) - math.log1p(sum(len(q.text) for q in answered))
    f["dlg.short_reply"] = float(own < 120)
    return f


def decision_features(view: MessageView) -> Features:
    marks = [m for r in view.marks for m in r.decision_cues]
    return structure_features(view) | cue_features(marks, "dec.") | rule_label_features(view)


def message_context(view: MessageView) -> Features:
    """The message's structure as every one of its sentences carries it (``msg.`` names)."""
    return {f"msg.{k}": v for k, v in structure_features(view).items()}


def sentence_features(view: MessageView, sentence: Sentence, context: Features | None = None) -> Features:
    """A sentence in its message: its cues and the message's structure (``context``: the
    message's ``message_context``, when already worked out for its other sentences)."""
    f = cue_features(sentence.claims, "pos.") | cue_features(sentence.decision_cues, "dec.")
    f |= cue_features(sentence.relation_cues, "rel.")
    f["opening"] = float(sentence.index == 0)
    f["first_block"] = float(sentence.block == 0)
    f["chars"] = _log(len(sentence.text))
    f["question"] = float(bool(_QUESTION.search(sentence.text)))
    return f | (message_context(view) if context is None else context)


def _summed(marks: Iterable[Marked]) -> Features:
    f: Features = {}
    for m in marks:
        f[f"{m.label}.{m.stance}"] = f.get(f"{m.label}.{m.stance}", 0.0) + m.weight
    return f


@dataclass(frozen=True, slots=True)
class ReplyText:
    """The text a relation model reads: the answer, its openings, and what it answers."""

    own: str
    openings: str
    answered: str


def reply_text(view: MessageView) -> ReplyText:
    seg = view.message.segmentation
    openings = " ".join(s.text for s in view.sentences if s.index == 0)
    answered = " ".join(seg.quotes[o.answers].text[-600:] for o in seg.own if o.answers is not None and not seg.quotes[o.answers].patch)
    return ReplyText(view.own_text, openings, answered)
