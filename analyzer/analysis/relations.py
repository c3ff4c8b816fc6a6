"""Reply relations: each answering block's attitude to the quote above it, and the
message's overall relation to its parent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzer.analysis.records import PositionTaken, RelationLabel
from analyzer.nlp.extensions import Marked


@dataclass(frozen=True, slots=True)
class RelationSettings:
    threshold: float = 1.5
    """Cue weight an attitude needs before it counts."""
    position_weight: float = 1.0
    """Weight of each shared (agree) or opposed (disagree) position with the parent."""


@dataclass(frozen=True, slots=True)
class Attitude:
    agree: float = 0.0
    disagree: float = 0.0

    def __add__(self, other: Attitude) -> Attitude:
        return Attitude(self.agree + other.agree, self.disagree + other.disagree)


def attitude_of(marks: Iterable[Marked]) -> Attitude:
    """Sum relation cues: an agree cue under negation ("I don't agree") counts against."""
    agree = disagree = 0.0
    for mark in marks:
        positive = mark.stance == "for"
        if (mark.label == "agree") == positive:
            agree += mark.weight
        else:
            disagree += mark.weight
    return Attitude(agree, disagree)


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


def label_of(attitude: Attitude, settings: RelationSettings) -> tuple[RelationLabel, float]:
    agrees = attitude.agree >= settings.threshold
    disagrees = attitude.disagree >= settings.threshold
    if agrees and disagrees:
        return "mixed", _confidence(min(attitude.agree, attitude.disagree))
    if agrees:
        return "agree", _confidence(attitude.agree - attitude.disagree)
    if disagrees:
        return "disagree", _confidence(attitude.disagree - attitude.agree)
    return "neutral", _confidence(settings.threshold - max(attitude.agree, attitude.disagree))


def _confidence(margin: float) -> float:
    return round(0.5 + 0.5 * max(margin, 0.0) / (max(margin, 0.0) + 1.0), 3)
