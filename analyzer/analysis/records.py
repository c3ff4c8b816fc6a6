"""Plain records the analysis produces. No spaCy types: offsets point into Message.body."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Stance = Literal["for", "against"]
RelationLabel = Literal["agree", "disagree", "mixed", "neutral"]
MentionKind = Literal["behaviour", "commit", "link", "doc", "config", "symbol"]


@dataclass(frozen=True, slots=True)
class Mention:
    """A reference in own text: a catalogue behaviour, a commit, a Link: message-id, a
    Documentation path, a CONFIG_ option."""

    message_id: str
    kind: MentionKind
    target: str
    """Catalogue id for behaviours; sha / message-id / path / option name otherwise."""
    start: int
    end: int
    text: str
    confidence: float = 1.0
    signals: tuple[str, ...] = ()
    """What fired: ``rule:<cue id>``, ``model:<name> <probability>``, ``structure:<what>``."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence or clause of own text arguing one taxonomy position."""

    message_id: str
    position: str
    stance: Stance
    confidence: float
    start: int
    end: int
    text: str
    signals: tuple[str, ...] = ()
    """What fired: ``rule:<cue id>``, ``model:<name> <probability>``, ``structure:<what>``."""


@dataclass(frozen=True, slots=True)
class PositionTaken:
    """A position the message takes overall, from its claims or, failing direct words,
    from its author's established side in the thread (``basis`` says which)."""

    position: str
    stance: Stance
    score: float
    basis: Literal["claims", "profile", "model"] = "claims"
    evidence: str = ""
    """The sentence that carries the position most strongly."""
    evidence_start: int | None = None
    evidence_end: int | None = None
    signals: tuple[str, ...] = ()
    """What fired: ``rule:<cue id>``, ``model:<name> <probability>``, ``structure:<what>``."""


@dataclass(frozen=True, slots=True)
class Relation:
    """How an own-text block treats the quoted block it answers (``quote_index`` set), or
    the message's rolled-up relation to its In-Reply-To parent (``quote_index`` None)."""

    message_id: str
    to_message_id: str
    label: RelationLabel
    confidence: float
    quote_index: int | None = None
    own_start: int | None = None
    own_end: int | None = None
    to_start: int | None = None
    to_end: int | None = None
    """Span of the answered claim inside the target message's body, when resolved."""
    signals: tuple[str, ...] = ()
    """What fired: ``rule:<cue id>``, ``model:<name> <probability>``, ``structure:<what>``."""


UNATTESTED = "structure:unattested"
"""Signal of a Decision read from a trailer that names someone other than its sender."""


@dataclass(frozen=True, slots=True)
class Decision:
    message_id: str
    kind: str
    """A decision id of the taxonomy: accepted, rejected, endorsed, changes-requested,
    policy-ruling, withdrawn."""
    actor: str
    date: str | None
    confidence: float
    start: int
    end: int
    evidence: str
    signals: tuple[str, ...] = ()
    """What fired: ``rule:<cue id>``, ``model:<name> <probability>``, ``structure:<what>``."""

    @property
    def attested(self) -> bool:
        """False for a trailer naming someone other than the message's sender: kept as a
        record (its actor is the person named), but nobody's decision."""
        return UNATTESTED not in self.signals


@dataclass(frozen=True, slots=True)
class MessageAnalysis:
    """Everything the analysis says about one message."""

    message_id: str
    claims: tuple[Claim, ...] = ()
    positions: tuple[PositionTaken, ...] = ()
    """Message-level positions derived from the claims (what ``analyzer label`` reports)."""
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()
    decisions: tuple[Decision, ...] = ()
    unattested: tuple[Decision, ...] = ()
    """Trailers the message gives on someone else's behalf (b4 would not apply them):
    kept, marked with the ``structure:unattested`` signal, and counted as no one's decision."""

    @property
    def relation(self) -> Relation | None:
        """The message-level relation to the parent."""
        return next((r for r in self.relations if r.quote_index is None), None)


@dataclass(frozen=True, slots=True)
class ThreadAnalysis:
    thread_id: str
    messages: tuple[MessageAnalysis, ...] = field(default_factory=tuple)
