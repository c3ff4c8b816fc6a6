"""Per-participant summaries derived from the stored records: for each person, the
positions they took (with stance, how many messages, first and last message), and the
span of their participation. Pure: a function of a Debate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from analyzer.debate import Debate, MessageInfo
from analyzer.thread.records import UNDATED



@dataclass(frozen=True, slots=True)
class PositionRecord:
    position: str
    stance: str
    messages: int
    first_message_id: str
    last_message_id: str
    from_claims: int
    """Messages that argued it in their own words (the rest inherit it from the profile)."""


@dataclass(frozen=True, slots=True)
class ParticipantSummary:
    person_id: str
    name: str
    messages: int
    first_message_id: str
    last_message_id: str
    first_date: str | None
    last_date: str | None
    positions: tuple[PositionRecord, ...]


def participant_summaries(debate: Debate) -> list[ParticipantSummary]:
    """One summary per author, most active first."""
    by_author: dict[str, list[MessageInfo]] = defaultdict(list)
    for message in debate.messages.values():
        by_author[message.author_id].append(message)
    summaries = [_summary(person_id, sorted(msgs, key=_when), debate) for person_id, msgs in by_author.items()]
    return sorted(summaries, key=lambda s: (-s.messages, s.name))


def _when(message: MessageInfo) -> tuple[str, str]:
    return (message.date or UNDATED, message.message_id)


def _summary(person_id: str, messages: list[MessageInfo], debate: Debate) -> ParticipantSummary:
    taken: dict[tuple[str, str], list[tuple[MessageInfo, str]]] = defaultdict(list)
    for message in messages:
        analysis = debate.analyses.get(message.message_id)
        for position in analysis.positions if analysis else ():
            taken[(position.position, position.stance)].append((message, position.basis))
    records = tuple(
        PositionRecord(
            position=position,
            stance=stance,
            messages=len(seen),
            first_message_id=seen[0][0].message_id,
            last_message_id=seen[-1][0].message_id,
            from_claims=sum(1 for _, basis in seen if basis == "claims"),
        )
        for (position, stance), seen in sorted(taken.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    person = debate.people.get(person_id)
    return ParticipantSummary(
        person_id=person_id,
        name=person.name if person else messages[0].author_name,
        messages=len(messages),
        first_message_id=messages[0].message_id,
        last_message_id=messages[-1].message_id,
        first_date=messages[0].date,
        last_date=messages[-1].date,
        positions=records,
    )
