"""Claims (sentence-level position cues) and the positions a message takes overall."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzer.analysis.records import Claim, PositionTaken, Stance
from analyzer.nlp.extensions import Marked


@dataclass(frozen=True, slots=True)
class PositionSettings:
    threshold: float = 1.5
    """Summed cue weight a (position, stance) needs before the message is said to take it."""
    margin: float = 1.0
    """When both stances of a position are cued, the winner must lead by this much."""


def claims_from_marks(marks: Iterable[Marked], *, message_id: str, offset: int, text: str) -> list[Claim]:
    """One Claim per (sentence, position, stance); the confidence grows with the cue weight."""
    merged: dict[tuple[int, int, str, str], float] = defaultdict(float)
    cues: dict[tuple[int, int, str, str], set[str]] = defaultdict(set)
    for mark in marks:
        key = (mark.sentence_start, mark.sentence_end, mark.label, mark.stance)
        merged[key] += mark.weight
        cues[key].add(mark.cue_id)
    claims = []
    for (start, end, position, stance), weight in sorted(merged.items()):
        signals = rule_signals(cues[(start, end, position, stance)])
        start, end = tight(text, start, end)
        claims.append(
            Claim(
                message_id=message_id,
                position=position,
                stance="for" if stance == "for" else "against",
                confidence=round(weight / (weight + 1.0), 3),
                start=offset + start,
                end=offset + end,
                text=text[start:end],
                signals=signals,
            )
        )
    return claims


MAX_SIGNALS = 6
"""Signals kept per label: enough to say why, short enough to read."""


def rule_signals(cue_ids: Iterable[str]) -> tuple[str, ...]:
    """``rule:<cue id>`` for each cue that fired, in a stable order."""
    return tuple(f"rule:{c}" for c in sorted(set(cue_ids)))[:MAX_SIGNALS]


def tight(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the whitespace at its ends, so offsets and text agree exactly."""
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + len(piece.rstrip())


def claim_weight(claim: Claim) -> float:
    """Invert the confidence back to the summed cue weight it came from."""
    return round(claim.confidence / (1.0 - claim.confidence), 2) if claim.confidence < 1 else 10.0


def message_positions(claims: Sequence[Claim], settings: PositionSettings = PositionSettings()) -> list[PositionTaken]:
    """The positions a message argues: per position, the stance with the most cue weight,
    kept when it reaches the threshold and clearly beats the other stance."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"for": 0.0, "against": 0.0})
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    for claim in claims:
        totals[claim.position][claim.stance] += claim_weight(claim)
        why[(claim.position, claim.stance)] += claim.signals
    taken = []
    for position, scores in sorted(totals.items()):
        stance: Stance = "for" if scores["for"] >= scores["against"] else "against"
        other = scores["against" if stance == "for" else "for"]
        if scores[stance] >= settings.threshold and scores[stance] - other >= settings.margin:
            best = max((c for c in claims if c.position == position and c.stance == stance), key=lambda c: c.confidence)
            taken.append(
                PositionTaken(
                    position, stance, scores[stance], evidence=best.text, evidence_start=best.start,
                    evidence_end=best.end, signals=rule_signals(s.removeprefix("rule:") for s in why[(position, stance)]),
                )
            )
    return taken


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """People keep their side through a debate: a message that engages in the argument
    is read with its author's established positions (from their other messages)."""

    enabled: bool = True
    min_score: float = 4.5
    """Summed score over the author's other messages before a position is established."""
    min_messages: int = 2
    """Messages that must argue it in their own words."""
    factor: float = 0.5
    """Score given to a position inherited from the profile (below any direct evidence)."""


@dataclass(frozen=True, slots=True)
class Standing:
    """How an author has argued one (position, stance) across the thread."""

    score: float = 0.0
    messages: int = 0


def author_profiles(
    positions: dict[str, list[PositionTaken]], authors: dict[str, str]
) -> dict[str, dict[tuple[str, str], Standing]]:
    """Per author, the summed score and message count of each (position, stance)."""
    profiles: dict[str, dict[tuple[str, str], Standing]] = defaultdict(lambda: defaultdict(Standing))
    for message_id, taken in positions.items():
        profile = profiles[authors[message_id]]
        for p in taken:
            old = profile[(p.position, p.stance)]
            profile[(p.position, p.stance)] = Standing(old.score + p.score, old.messages + 1)
    return profiles


def with_profile(
    message_id: str,
    own: list[PositionTaken],
    profile: dict[tuple[str, str], Standing],
    *,
    engaged: bool,
    settings: ProfileSettings,
) -> list[PositionTaken]:
    """``own`` plus the author's established positions the message does not contradict."""
    if not settings.enabled or not engaged:
        return own
    mine = {p.position for p in own}
    added = list(own)
    for (position, stance), standing in sorted(profile.items()):
        opposite = profile.get((position, "against" if stance == "for" else "for"), Standing())
        if (
            position in mine
            or standing.messages < settings.min_messages
            or standing.score < settings.min_score
            or opposite.score * 3 > standing.score
        ):
            continue
        score = round(standing.score / standing.messages * settings.factor, 3)
        added.append(
            PositionTaken(
                position, "for" if stance == "for" else "against", score, "profile",
                signals=(f"structure:the author argued it in {standing.messages} other messages of the thread",),
            )
        )
    return added
