"""The events a timeline shows, as plain records: posts, decisions, series versions, merges.

An adapter: ``analyzer.timeline`` (another engineer's, not there yet when this was written)
is meant to own timelines; until it does, the dashboard and the notebooks derive events
here from the ``Debate`` read model alone, so swapping in the real builder touches one module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analyzer.debate import Debate
from analyzer.graph.build import resolve_actor

EventKind = Literal["message", "decision", "version", "commit"]


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    date: str
    """ISO 8601; events without a known date are left out of timelines."""
    thread_id: str
    message_id: str
    kind: EventKind
    actor: str
    """Display name of the person (the author, or the decision's actor)."""
    label: str
    """message: its relation to the parent (``post`` for a root); decision: its kind;
    version: ``v2``; commit: the short sha."""
    detail: str
    """Subject, evidence sentence or commit subject."""


def timeline_events(debate: Debate, thread_ids: Sequence[str] | None = None) -> list[TimelineEvent]:
    """Every dated event of the given threads (all when None), oldest first."""
    wanted = set(thread_ids) if thread_ids is not None else {t.thread_id for t in debate.threads}
    events: list[TimelineEvent] = []
    for info in debate.messages.values():
        if info.thread_id not in wanted:
            continue
        analysis = debate.analyses.get(info.message_id)
        relation = analysis.relation if analysis else None
        label = relation.label if relation else ("post" if info.parent_id is None else "reply")
        if info.date:
            events.append(TimelineEvent(info.date, info.thread_id, info.message_id, "message", info.author_name, label, info.subject))
        for decision in analysis.decisions if analysis else ():
            actor = debate.people.get(resolve_actor(debate, decision.actor, info))
            when = decision.date or info.date
            if when:
                events.append(TimelineEvent(when, info.thread_id, info.message_id, "decision",
                                            actor.name if actor else info.author_name, decision.kind, decision.evidence))
    events += _releases(debate, wanted)
    return sorted(events, key=lambda e: (e.date, e.kind != "message", e.message_id, e.label))


def _releases(debate: Debate, wanted: set[str]) -> list[TimelineEvent]:
    found = []
    for version in debate.series:
        if version.thread_id in wanted and version.date:
            author = debate.messages.get(version.root_message_id)
            found.append(TimelineEvent(version.date, version.thread_id, version.root_message_id, "version",
                                       author.author_name if author else version.author_email,
                                       f"v{version.version}", version.subject))
    for commit in debate.commits:
        info = debate.messages.get(commit.message_id)
        if info and info.thread_id in wanted and commit.date:
            found.append(TimelineEvent(commit.date, info.thread_id, commit.message_id, "commit",
                                       commit.tag or "merged", commit.sha[:12], commit.subject))
    return found
