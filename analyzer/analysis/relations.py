"""Reply relations: each answering block's attitude to the quote above it, and the
message's overall relation to its parent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analyzer.analysis.records import Claim, PositionTaken, RelationLabel
from analyzer.nlp.extensions import Marked


TONE_CAP = 1.0


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
    A bare yes/no answering a question is an answer, not an attitude."""
    agree = disagree = 0.0
    tone = Attitude()
    for mark in marks:
        if answers_question and mark.answer:
            continue
        if mark.cue_id.startswith("tone."):
            tone = tone + (Attitude(mark.weight, 0.0) if mark.label == "agree" else Attitude(0.0, mark.weight))
            continue
        positive = mark.stance == "for"
        if (mark.label == "agree") == positive:
            agree += mark.weight
        else:
            disagree += mark.weight
    # Tone is light evidence: however long the block, it adds at most TONE_CAP per side.
    return Attitude(agree + min(tone.agree, TONE_CAP), disagree + min(tone.disagree, TONE_CAP))


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
