"""Reply relations: each answering block's attitude to the quote above it, and the
message's overall relation to its parent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analyzer.analysis.records import Claim, PositionTaken, RelationLabel
from analyzer.nlp.extensions import Marked


TONE_CAP = 1.0
TONE = "tone."
"""Cue ids of tone rules (light evidence, capped per block) start with this."""


@dataclass(frozen=True, slots=True)
class RelationSettings:
    threshold: float = 1.0
    """Cue weight an attitude needs before it counts."""
    position_weight: float = 0.0
    """Weight of each shared (agree) or opposed (disagree) position with the parent's own
    message. Off by default: on the gold threads it added noise on top of the camps."""
    claim_weight: float = 1.0
    """Weight of each claim of an answer that takes the same (agree) or the other (disagree)
    side as a claim inside the quoted span it answers."""
    elsewhere_factor: float = 0.5
    """Share of a block's attitude that counts toward the parent when the block answers a
    quote of another message (the grandparent, quoted by the parent)."""
    mixed_ratio: float = 0.5
    """Both attitudes make a mixed reply only when the weaker has this share of the stronger."""
    camp_weight: float = 0.0
    """Weight of each position on which the two authors stand on opposite sides across the
    thread (a reply across camps is rarely agreement); half of it for the same side. Off by
    default: measured on the gold threads it helped one and hurt another (people in one
    camp still argue about details)."""


@dataclass(frozen=True, slots=True)
class Attitude:
    agree: float = 0.0
    disagree: float = 0.0

    def __add__(self, other: Attitude) -> Attitude:
        return Attitude(self.agree + other.agree, self.disagree + other.disagree)

    def scaled(self, factor: float) -> Attitude:
        return Attitude(self.agree * factor, self.disagree * factor)


def attitude_of(marks: Iterable[Marked], *, answers_question: bool = False) -> Attitude:
    """Sum relation cues: an agree cue under negation ("I don't agree") counts against.
    A bare yes/no answering a question is an answer, not an attitude. A block that opens by
    agreeing ("Right.", "I agree with X.") is framed by it: its critical tone and its
    "But ..." sentences elaborate on the agreement; only explicit disagreement still counts."""
    counted = [m for m in marks if not (answers_question and m.answer)]
    # "However, I agree with ..." : a contrast that leads into agreement is no rebuttal.
    agreeing = {m.sentence_start for m in counted if _is_explicit(m) and _agrees(m)}
    counted = [m for m in counted if not (m.contrast and m.sentence_start in agreeing)]
    framed = any(m.opening and _is_explicit(m) and _agrees(m) for m in counted)
    agree = disagree = 0.0
    tone = Attitude()
    for mark in counted:
        if framed and not _is_explicit(mark) and not _agrees(mark):
            continue
        if not mark.cue_id.startswith(TONE):
            if _agrees(mark):
                agree += mark.weight
            else:
                disagree += mark.weight
        elif mark.label == "agree":
            tone = tone + Attitude(mark.weight, 0.0)
        else:
            tone = tone + Attitude(0.0, mark.weight)
    # Tone is light evidence: however long the block, it adds at most TONE_CAP per side.
    return Attitude(agree + min(tone.agree, TONE_CAP), disagree + min(tone.disagree, TONE_CAP))


_SIDES_WITH = re.compile(r"\b(?i:agree|agreeing|concur|side|sides|siding)\s+(?i:with)\s+(?P<name>[A-Z][\w-]*)")
_NOT_NAMES = frozenset({"you", "your", "that", "this", "these", "those", "it", "the", "both", "all", "everything", "most", "much", "him", "her", "them", "what", "every", "each", "my", "our"})


def toward_addressee(marks: Sequence[Marked], text: str, addressee: str) -> list[Marked]:
    """Drop agreement with somebody else by name ("I concur with Marc that ...") when
    answering someone who is not Marc: siding with a third party says nothing of agreeing
    with the person answered (in a debate, it is often the opposite). ``addressee`` is the
    name (or, lacking one, the address) of the author of the text answered."""
    names = {w.lower() for w in re.findall(r"[^\W\d_]+", addressee) if len(w) >= 2}
    kept = []
    for mark in marks:
        if mark.label == "agree" and _agrees(mark):
            found = _SIDES_WITH.search(text, mark.start, mark.sentence_end)
            if found is not None and _someone_else(found.group("name"), names):
                continue
        kept.append(mark)
    return kept


def _someone_else(name: str, addressee: set[str]) -> bool:
    name = name.lower().removesuffix("'s").removesuffix("s'")
    if name in _NOT_NAMES:
        return False
    # "Sean" answering seanjc@google.com is agreeing with the addressee.
    return not any(name == part or (len(part) >= 3 and (part.startswith(name) or name.startswith(part))) for part in addressee)


def _agrees(mark: Marked) -> bool:
    return (mark.label == "agree") == (mark.stance == "for")


def takes_issue(mark: Marked) -> bool:
    """An explicit disagreement cue (or a negated agreement: "I don't agree")."""
    return _is_explicit(mark) and not _agrees(mark)


def _is_explicit(mark: Marked) -> bool:
    """A cue that states an attitude, as opposed to tone or a contrastive opener."""
    return not mark.cue_id.startswith(TONE) and not mark.contrast


def position_attitude(
    mine: Sequence[PositionTaken], theirs: Sequence[PositionTaken], weight: float
) -> Attitude:
    """Taking the parent's side of a position is agreement; the other side, disagreement."""
    their_stance = {p.position: p.stance for p in theirs}
    agree = disagree = 0.0
    for position in mine:
        stance = their_stance.get(position.position)
        if stance is None:
            continue
        if stance == position.stance:
            agree += weight
        else:
            disagree += weight
    return Attitude(agree, disagree)


def claim_attitude(answer: Sequence[Claim], quoted: Sequence[Claim], weight: float) -> Attitude:
    """Claim against claim: the answer's sides versus the quoted text's, position by position."""
    theirs = {(c.position, c.stance) for c in quoted}
    agree = disagree = 0.0
    for position, stance in {(c.position, c.stance) for c in answer}:
        if (position, stance) in theirs:
            agree += weight
        elif (position, "against" if stance == "for" else "for") in theirs:
            disagree += weight
    return Attitude(agree, disagree)


def sides(positions: Mapping[str, Sequence[PositionTaken]], authors: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per author, the positions on which they took one side only, across the thread."""
    seen: dict[str, dict[str, set[str]]] = {}
    for message_id, taken in positions.items():
        for p in taken:
            seen.setdefault(authors[message_id], {}).setdefault(p.position, set()).add(p.stance)
    return {a: {pos: next(iter(st)) for pos, st in by.items() if len(st) == 1} for a, by in seen.items()}


def camp_attitude(mine: Mapping[str, str], theirs: Mapping[str, str], weight: float) -> Attitude:
    agree = disagree = 0.0
    for position, stance in mine.items():
        other = theirs.get(position)
        if other is None:
            continue
        if other == stance:
            agree += weight / 2
        else:
            disagree += weight
    return Attitude(agree, disagree)


def label_of(attitude: Attitude, settings: RelationSettings) -> tuple[RelationLabel, float]:
    agrees = attitude.agree >= settings.threshold
    disagrees = attitude.disagree >= settings.threshold
    balanced = min(attitude.agree, attitude.disagree) >= settings.mixed_ratio * max(attitude.agree, attitude.disagree)
    if agrees and disagrees and not balanced:
        agrees, disagrees = attitude.agree > attitude.disagree, attitude.disagree > attitude.agree
    if agrees and disagrees:
        return "mixed", _confidence(min(attitude.agree, attitude.disagree))
    if agrees:
        return "agree", _confidence(attitude.agree - attitude.disagree)
    if disagrees:
        return "disagree", _confidence(attitude.disagree - attitude.agree)
    return "neutral", _confidence(settings.threshold - max(attitude.agree, attitude.disagree))


def _confidence(margin: float) -> float:
    return round(0.5 + 0.5 * max(margin, 0.0) / (max(margin, 0.0) + 1.0), 3)
