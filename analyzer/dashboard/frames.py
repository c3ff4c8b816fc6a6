"""Tables the dashboard and notebooks show, as pandas DataFrames built from plain records.

Pure functions: no Streamlit, no store. The loaders feed them what the store returns; a
notebook feeds them a ``Debate`` it loaded itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analyzer.debate import Debate
from analyzer.evidence import signals_text
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.views import BehaviourUse, Interaction, PositionMatrix, StancePoint
from analyzer.timeline.records import Timeline

DISPUTED = frozenset({"disagree", "mixed"})


def _when(value: str | None) -> pd.Timestamp | None:
    """A stored ISO 8601 date as a UTC timestamp (stored dates are UTC already)."""
    return pd.to_datetime(value, utc=True) if value else None


def _name(debate: Debate, person_id: str) -> str:
    person = debate.people.get(person_id)
    return person.name if person else person_id


def claims_frame(debate: Debate) -> pd.DataFrame:
    """Every claim with its author, date and thread, oldest first."""
    rows = []
    for message_id, analysis in debate.analyses.items():
        info = debate.messages.get(message_id)
        if info is None:
            continue
        rows += [{"date": _when(info.date), "thread_id": info.thread_id, "message_id": message_id,
                  "author": info.author_name, "position": c.position, "stance": c.stance,
                  "confidence": c.confidence, "signals": signals_text(c.signals), "text": c.text}
                 for c in analysis.claims]
    columns = ["date", "thread_id", "message_id", "author", "position", "stance", "confidence", "signals", "text"]
    return pd.DataFrame(rows, columns=columns).sort_values(["date", "message_id"], ignore_index=True)


def decisions_frame(debate: Debate) -> pd.DataFrame:
    """Every decision with its thread subject, actor and evidence sentence, oldest first."""
    rows = []
    for message_id, analysis in debate.analyses.items():
        info = debate.messages.get(message_id)
        if info is None:
            continue
        subject = debate.thread(info.thread_id).root_subject
        for d in analysis.decisions:
            rows.append({"date": _when(d.date or info.date), "thread_id": info.thread_id, "thread": subject,
                         "message_id": message_id, "kind": d.kind,
                         "actor": _name(debate, debate.actor_of(d.actor, info)), "evidence": d.evidence})
    columns = ["date", "thread_id", "thread", "message_id", "kind", "actor", "evidence"]
    return pd.DataFrame(rows, columns=columns).sort_values(["date", "message_id"], ignore_index=True)


def events_frame(timeline: Timeline, debate: Debate) -> pd.DataFrame:
    """The dated events of a timeline (``analyzer.timeline``), with ``mark``: how a message
    answers its parent (agree, disagree… or ``post`` for a root), what a decision decided
    (rejected, endorsed…), else the event kind."""
    rows = []
    for e in timeline.events:
        if not e.date:
            continue
        analysis = debate.analyses.get(e.message_id) if e.message_id else None
        relation = analysis.relation if analysis else None
        mark = (e.meaning or e.kind) if e.kind != "message" else (relation.label if relation else "post")
        rows.append({"date": _when(e.date), "thread_id": e.thread_id, "message_id": e.message_id, "kind": e.kind,
                     "actor": e.person, "label": e.label, "detail": e.detail, "mark": mark, "why": e.why})
    columns = ["date", "thread_id", "message_id", "kind", "actor", "label", "detail", "mark", "why"]
    return pd.DataFrame(rows, columns=columns)


def position_matrix_frame(matrix: PositionMatrix, names: Mapping[str, str]) -> pd.DataFrame:
    """Long form: one row per (person, position) with claims for and against and the net."""
    rows = [{"person": names.get(p, p), "position": pos, "for": c.supports, "against": c.opposes,
             "net": c.supports - c.opposes} for (p, pos), c in matrix.cells.items()]
    return pd.DataFrame(rows, columns=["person", "position", "for", "against", "net"])


def interaction_frame(interactions: Iterable[Interaction], names: Mapping[str, str]) -> pd.DataFrame:
    """Who answered whom: one row per (replier, answered) with each label's count."""
    rows = [{"from": names.get(i.source, i.source), "to": names.get(i.target, i.target), "agree": i.agree,
             "disagree": i.disagree, "mixed": i.mixed, "neutral": i.neutral} for i in interactions]
    return pd.DataFrame(rows, columns=["from", "to", "agree", "disagree", "mixed", "neutral"])


def stance_frame(timeline: Mapping[str, Sequence[StancePoint]], names: Mapping[str, str]) -> pd.DataFrame:
    rows = [{"date": _when(p.date), "person": names.get(person, person), "position": p.position,
             "stance": p.stance, "message_id": p.message_id, "text": p.text}
            for person, points in timeline.items() for p in points]
    return pd.DataFrame(rows, columns=["date", "person", "position", "stance", "message_id", "text"])


def behaviour_frame(index: Mapping[str, Sequence[BehaviourUse]], debate: Debate) -> pd.DataFrame:
    """Per behaviour: how many messages and threads name it, who, which positions were
    argued around it, and how many disagreeing or mixed replies it drew or made."""
    rows = []
    for behaviour, uses in index.items():
        messages = {u.message_id for u in uses}
        rows.append({
            "behaviour": behaviour,
            "messages": len(messages),
            "threads": len({u.thread_id for u in uses}),
            "people": sorted({_name(debate, u.author) for u in uses}),
            "positions": sorted({p for u in uses for p in u.positions}),
            "disputes": _disputes_touching(debate, messages),
        })
    frame = pd.DataFrame(rows, columns=["behaviour", "messages", "threads", "people", "positions", "disputes"])
    return frame.sort_values(["disputes", "messages", "behaviour"], ascending=[False, False, True], ignore_index=True)


def _disputes_touching(debate: Debate, messages: set[str]) -> int:
    count = 0
    for analysis in debate.analyses.values():
        relation = analysis.relation
        if relation and relation.label in DISPUTED and (relation.message_id in messages or relation.to_message_id in messages):
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class PeopleFrames:
    """What the People page shows, for one set of threads."""

    matrix: pd.DataFrame
    interactions: pd.DataFrame
    stances: pd.DataFrame
    camps: pd.DataFrame


def people_frames(ag: ArgumentGraph, names: Mapping[str, str]) -> PeopleFrames:
    """Participants x positions, who answered whom how, stance over time and the camps,
    from the views of the argument graph."""
    camp_rows = [{"position": c.position, "for": [names.get(p, p) for p in c.supporters],
                  "against": [names.get(p, p) for p in c.opponents], "divided": [names.get(p, p) for p in c.divided]}
                 for c in views.camps(ag)]
    return PeopleFrames(
        matrix=position_matrix_frame(views.position_matrix(ag), names),
        interactions=interaction_frame(views.interaction_matrix(ag), names),
        stances=stance_frame(views.stance_over_time(ag), names),
        camps=pd.DataFrame(camp_rows, columns=["position", "for", "against", "divided"]),
    )


def uses_frame(uses: Sequence[BehaviourUse], debate: Debate) -> pd.DataFrame:
    """The messages naming one behaviour: when, in which thread, by whom, arguing what."""
    rows = []
    for use in uses:
        info = debate.messages.get(use.message_id)
        rows.append({"date": _when(info.date if info else None), "thread": debate.thread(use.thread_id).root_subject,
                     "author": _name(debate, use.author), "positions": list(use.positions),
                     "message_id": use.message_id, "thread_id": use.thread_id})
    return pd.DataFrame(rows, columns=["date", "thread", "author", "positions", "message_id", "thread_id"])
