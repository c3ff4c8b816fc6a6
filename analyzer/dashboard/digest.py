"""A thread's digest: its outcome, the camps per position with each person's strongest
sentence, the most contested claims and the behaviours argued. Pure functions over the
``Debate`` of one thread and its argument graph.

The outcome rule
----------------
Only *settling* decisions decide a thread's outcome: ``accepted`` (applied), ``rejected``
(NAKed), ``changes-requested`` and ``withdrawn``. Acks, reviews (``endorsed``) and policy
rulings say how people stand, not what happened to the patch, so they never settle it.

1. The latest settling decision wins: a v2 asked for after an "I'll take it" means the
   patch was not applied as posted, and a maintainer applying it after review comments
   means it was.
2. Decisions made in the same message rank NAK > changes requested > applied > withdrawn
   (a message that both refuses and asks for changes is a refusal).
3. A NAK is not overruled by a later withdrawal: the author dropping a refused patch
   leaves it NAKed. A later ``accepted`` or ``changes-requested`` does overrule it (the
   maintainer changed their mind, or asked for a version they would take).
4. No settling decision: the thread is ``open``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from analyzer.debate import Debate
from analyzer.evidence import score_and_signals, why
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph

OutcomeKind = Literal["applied", "NAKed", "changes requested", "withdrawn", "open"]

SETTLING: Mapping[str, OutcomeKind] = {
    "accepted": "applied",
    "rejected": "NAKed",
    "changes-requested": "changes requested",
    "withdrawn": "withdrawn",
}
_RANK = {"rejected": 3, "changes-requested": 2, "accepted": 1, "withdrawn": 0}
"""Within one message: the stronger decision is the message's."""


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """One decision as the outcome rule sees it."""

    kind: str
    date: str | None
    actor: str
    """Display name of who decided."""
    message_id: str
    evidence: str = ""
    why: str = ""
    """Score and signals of the decision (:func:`analyzer.evidence.why`)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    by: str = ""
    date: str | None = None
    message_id: str | None = None
    evidence: str = ""
    why: str = ""

    @property
    def settled(self) -> bool:
        return self.kind != "open"


def outcome(decisions: Iterable[DecisionEvent]) -> Outcome:
    """The outcome of a thread from its decisions, by the rule in the module docstring."""
    settling = [d for d in decisions if d.kind in SETTLING]
    settling.sort(key=lambda d: (d.date or "", d.message_id, _RANK[d.kind]))
    current: DecisionEvent | None = None
    for event in settling:
        if current is not None and current.kind == "rejected" and event.kind == "withdrawn":
            continue
        if current is not None and current.message_id == event.message_id and _RANK[current.kind] > _RANK[event.kind]:
            continue
        current = event
    if current is None:
        return Outcome("open")
    return Outcome(SETTLING[current.kind], current.actor, current.date, current.message_id, current.evidence,
                   current.why)


def decision_events(debate: Debate, thread_id: str) -> list[DecisionEvent]:
    """Every decision of one thread, with its actor's display name."""
    names = debate.person_names()
    events = []
    for message_id in debate.thread(thread_id).message_ids:
        info = debate.messages.get(message_id)
        analysis = debate.analyses.get(message_id)
        if info is None or analysis is None:
            continue
        for d in analysis.decisions:
            actor = debate.actor_of(d.actor, info)
            events.append(DecisionEvent(d.kind, d.date or info.date, names.get(actor, actor), message_id, d.evidence,
                                        why(d)))
    return events


@dataclass(frozen=True, slots=True)
class Voice:
    """One person in a camp, with the sentence that argues their side most strongly."""

    person: str
    claims: int
    sentence: str
    message_id: str
    why: str = ""
    """Score and signals of that sentence's claim."""


@dataclass(frozen=True, slots=True)
class CampView:
    position: str
    supporters: tuple[Voice, ...]
    opponents: tuple[Voice, ...]
    divided: tuple[Voice, ...]

    @property
    def size(self) -> int:
        return len(self.supporters) + len(self.opponents) + len(self.divided)


@dataclass(frozen=True, slots=True)
class ContestedView:
    person: str
    position: str
    stance: str
    sentence: str
    message_id: str
    disagree: int
    mixed: int
    agree: int
    why: str = ""


@dataclass(frozen=True, slots=True)
class BehaviourArgued:
    behaviour: str
    messages: int
    people: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    outcome: Outcome
    decisions: tuple[DecisionEvent, ...]
    camps: tuple[CampView, ...]
    contested: tuple[ContestedView, ...]
    behaviours: tuple[BehaviourArgued, ...]


def claim_why(claim: views.ClaimRef) -> str:
    """Score and signals of a claim of the graph: ``0.94 · model position … · rule cue …``."""
    return score_and_signals(claim.confidence, claim.signals)


def strongest(claims: Sequence[views.ClaimRef], answered: Mapping[str, int]) -> views.ClaimRef:
    """The claim that best stands for a person's side: the most answered, then the longest
    sentence (more argument, less "Agreed."), then the earliest."""
    return min(claims, key=lambda c: (-answered.get(c.node_id, 0), -min(len(c.text), 300), c.date, c.node_id))


def camps(ag: ArgumentGraph, *, excluded: frozenset[str] = frozenset()) -> list[CampView]:
    """Per position, each side's people with their strongest sentence; largest camps first.
    ``excluded`` person ids (automated senders) are left out."""
    answered: dict[str, int] = {}
    for _, target, _, _, _ in views.responses(ag):
        answered[target] = answered.get(target, 0) + 1
    by_person: dict[tuple[str, str], list[views.ClaimRef]] = {}
    for claim in views.claims(ag):
        if claim.author not in excluded:
            by_person.setdefault((claim.author, claim.position), []).append(claim)
    result = []
    for camp in views.camps(ag):
        sides = []
        for people in (camp.supporters, camp.opponents, camp.divided):
            voices = []
            for person in people:
                mine = by_person.get((person, camp.position))
                if not mine:
                    continue
                side = [c for c in mine if c.stance == ("for" if people is camp.supporters else "against")] or mine
                best = strongest(side, answered)
                voices.append(Voice(best.author_name, len(mine), best.text, best.message_id, claim_why(best)))
            sides.append(tuple(sorted(voices, key=lambda v: (-v.claims, v.person))))
        if any(sides):
            result.append(CampView(camp.position, *sides))
    result.sort(key=lambda c: (-c.size, c.position))
    return result


def digest(debate: Debate, ag: ArgumentGraph, thread_id: str, *, excluded: frozenset[str] = frozenset(),
           contested: int = 5, behaviours: int = 8) -> Digest:
    """Everything the top of the Thread page says about one thread."""
    events = decision_events(debate, thread_id)
    names = debate.person_names()
    hot: list[ContestedView] = []
    seen: set[tuple[str, str]] = set()
    for c in views.contested_claims(ag, limit=3 * contested):  # a sentence arguing two positions is shown once
        if (c.claim.message_id, c.claim.text) not in seen and len(hot) < contested:
            seen.add((c.claim.message_id, c.claim.text))
            hot.append(ContestedView(c.claim.author_name, c.claim.position, c.claim.stance, c.claim.text,
                                     c.claim.message_id, c.disagree, c.mixed, c.agree, claim_why(c.claim)))
    argued = [
        BehaviourArgued(behaviour, len({u.message_id for u in uses}),
                        tuple(sorted({names.get(u.author, u.author) for u in uses if u.author not in excluded})))
        for behaviour, uses in views.behaviour_index(ag).items()
    ]
    argued.sort(key=lambda b: (-b.messages, b.behaviour))
    return Digest(outcome(events), tuple(events), tuple(camps(ag, excluded=excluded)), tuple(hot),
                  tuple(argued[:behaviours]))
