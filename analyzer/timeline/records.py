"""Plain records of a timeline: dated events, each traceable to its message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventKind = Literal["message", "position", "decision", "version", "commit"]
EVENT_KINDS: tuple[EventKind, ...] = ("version", "message", "position", "decision", "commit")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    date: str
    """ISO 8601; empty when unknown (such events sort last)."""
    kind: EventKind
    thread_id: str
    label: str
    """What happened, in a few words: ``NAK by Morgan Keel``, ``v2 posted``…"""
    message_id: str | None = None
    """The message that is the evidence (None for a commit of no known message)."""
    person: str = ""
    """Display name of who did it."""
    detail: str = ""
    """The sentence or subject that shows it."""
    node_id: str = ""
    """Argument-graph node to link to (a claim for positions, else the message)."""
    why: str = ""
    """Score and signals of the label behind a position or decision event
    (:func:`analyzer.evidence.why`)."""
    meaning: str = ""
    """What a decision event decided (its kind: ``rejected``, ``endorsed``…), for colour by
    meaning; empty for other events."""


@dataclass(frozen=True, slots=True)
class Timeline:
    title: str
    events: tuple[TimelineEvent, ...]

    def of_kind(self, kind: EventKind) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in self.events if e.kind == kind)
