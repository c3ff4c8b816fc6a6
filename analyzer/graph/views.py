"""Derived views of an argument graph: pure functions that return plain records.

These are what reports, exports and the dashboard show: the most contested claims, who
disagrees with whom, the camps per position, each person's stance over time, the
participants x positions matrix and the behaviour index.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import message_node


@dataclass(frozen=True, slots=True)
class ClaimRef:
    """A claim as a view shows it, with what a report needs to link it to its sentence."""

    node_id: str
    message_id: str
    thread_id: str
    author: str
    author_name: str
    position: str
    stance: str
    text: str
    start: int
    end: int
    date: str
    confidence: float = 1.0
    signals: tuple[str, ...] = ()
    """What fired for the claim (``analyzer.analysis.records.Claim.signals``)."""


@dataclass(frozen=True, slots=True)
class ContestedClaim:
    claim: ClaimRef
    disagree: int
    mixed: int
    agree: int

    @property
    def score(self) -> float:
        return self.disagree + 0.5 * self.mixed


@dataclass(frozen=True, slots=True)
class Interaction:
    """How often ``source`` answered ``target`` with each label (one count per reply)."""

    source: str
    target: str
    agree: int = 0
    disagree: int = 0
    mixed: int = 0
    neutral: int = 0


@dataclass(frozen=True, slots=True)
class Camp:
    position: str
    supporters: tuple[str, ...]
    opponents: tuple[str, ...]
    divided: tuple[str, ...]
    """People who argued both sides equally often."""


@dataclass(frozen=True, slots=True)
class StancePoint:
    date: str
    message_id: str
    position: str
    stance: str
    text: str
    node_id: str = ""
    """The claim's graph node (its report anchor comes from it)."""


@dataclass(frozen=True, slots=True)
class StanceCount:
    supports: int = 0
    opposes: int = 0


@dataclass(frozen=True, slots=True)
class PositionMatrix:
    people: tuple[str, ...]
    positions: tuple[str, ...]
    cells: Mapping[tuple[str, str], StanceCount]


@dataclass(frozen=True, slots=True)
class BehaviourUse:
    behaviour: str
    message_id: str
    thread_id: str
    author: str
    positions: tuple[str, ...]
    """Positions argued in the claims that mention the behaviour (empty for a message-level mention)."""


def _nodes(ag: ArgumentGraph, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted((n, d) for n, d in ag.graph.nodes(data=True) if d["kind"] == kind)


def claim_ref(ag: ArgumentGraph, node_id: str) -> ClaimRef:
    d = ag.graph.nodes[node_id]
    return ClaimRef(node_id, d["message_id"], d["thread_id"], d["author"], d["author_name"], d["position"],
                    d["stance"], d["text"], d["start"], d["end"], d["date"], float(d.get("confidence", 1.0)),
                    tuple(s for s in str(d.get("signals", "")).split("\n") if s))


def claims(ag: ArgumentGraph) -> list[ClaimRef]:
    """Every claim, in date order."""
    return sorted((claim_ref(ag, n) for n, _ in _nodes(ag, "claim")), key=lambda c: (c.date, c.message_id, c.start))


def person_names(ag: ArgumentGraph) -> dict[str, str]:
    return {d["person_id"]: d["name"] for _, d in _nodes(ag, "person")}


def responses(ag: ArgumentGraph) -> list[tuple[str, str, str, str, str]]:
    """(source node, target node, label, replying message, answered message) per responds-to edge."""
    return sorted((s, t, d["label"], d["message_id"], d["to_message_id"])
                  for s, t, d in ag.graph.edges(data=True) if d["kind"] == "responds-to")


def contested_claims(ag: ArgumentGraph, limit: int = 10) -> list[ContestedClaim]:
    """Claims that drew disagreement, most contested first; a reply counts once per claim."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    seen: set[tuple[str, str]] = set()
    for _source, target, label, message_id, _ in responses(ag):
        if ag.graph.nodes[target]["kind"] == "claim" and (target, message_id) not in seen:
            seen.add((target, message_id))
            labels[target][label] += 1
    ranked = [ContestedClaim(claim_ref(ag, node), c["disagree"], c["mixed"], c["agree"])
              for node, c in labels.items() if c["disagree"] or c["mixed"]]
    ranked.sort(key=lambda c: (-c.score, -(c.disagree + c.mixed + c.agree), c.claim.date, c.claim.node_id))
    return ranked[:limit]


def interaction_matrix(ag: ArgumentGraph) -> list[Interaction]:
    """Who answered whom and how, counted once per (reply, answered message, label); a
    person answering their own message is not an exchange and is left out."""
    g = ag.graph
    per_reply = {(m, to, label) for _, _, label, m, to in responses(ag)}
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for message_id, to_message_id, label in per_reply:
        source = g.nodes.get(message_node(message_id), {}).get("author")
        target = g.nodes.get(message_node(to_message_id), {}).get("author")
        if source and target and source != target:
            counts[(source, target)][label] += 1
    return [Interaction(s, t, c["agree"], c["disagree"], c["mixed"], c["neutral"])
            for (s, t), c in sorted(counts.items())]


def stance_counts(ag: ArgumentGraph) -> dict[tuple[str, str], StanceCount]:
    """(person, position) -> how many of their claims argue for and against it."""
    tally: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for claim in claims(ag):
        tally[(claim.author, claim.position)][claim.stance] += 1
    return {key: StanceCount(c["for"], c["against"]) for key, c in sorted(tally.items())}


def camps(ag: ArgumentGraph) -> list[Camp]:
    """Per position, who is for it, who against, who argued both sides equally."""
    by_position: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"for": [], "against": [], "divided": []})
    for (person, position), count in stance_counts(ag).items():
        side = "for" if count.supports > count.opposes else "against" if count.opposes > count.supports else "divided"
        by_position[position][side].append(person)
    return [Camp(position, tuple(sides["for"]), tuple(sides["against"]), tuple(sides["divided"]))
            for position, sides in sorted(by_position.items())]


def stance_over_time(ag: ArgumentGraph) -> dict[str, list[StancePoint]]:
    """Each person's claims in date order."""
    timeline: dict[str, list[StancePoint]] = defaultdict(list)
    for claim in claims(ag):
        timeline[claim.author].append(StancePoint(claim.date, claim.message_id, claim.position, claim.stance, claim.text,
                                                 claim.node_id))
    return dict(sorted(timeline.items()))


def position_matrix(ag: ArgumentGraph) -> PositionMatrix:
    counts = stance_counts(ag)
    people = tuple(sorted({p for p, _ in counts}))
    positions = tuple(sorted({pos for _, pos in counts}))
    return PositionMatrix(people, positions, counts)


def behaviour_index(ag: ArgumentGraph) -> dict[str, list[BehaviourUse]]:
    """Behaviour id -> every message that refers to it, with the positions argued there."""
    g = ag.graph
    index: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for source, target, d in g.edges(data=True):
        if d["kind"] != "about-behaviour":
            continue
        positions = index[g.nodes[target]["behaviour"]][d["message_id"]]
        if g.nodes[source]["kind"] == "claim":
            positions.add(g.nodes[source]["position"])
    result: dict[str, list[BehaviourUse]] = {}
    for behaviour, uses in sorted(index.items()):
        rows = [_use(ag, behaviour, message_id, positions) for message_id, positions in uses.items()]
        result[behaviour] = sorted(rows, key=lambda u: (g.nodes[message_node(u.message_id)]["date"], u.message_id))
    return result


def _use(ag: ArgumentGraph, behaviour: str, message_id: str, positions: set[str]) -> BehaviourUse:
    d = ag.graph.nodes[message_node(message_id)]
    return BehaviourUse(behaviour, message_id, d["thread_id"], d["author"], tuple(sorted(positions)))


def top_claims(ag: ArgumentGraph, position: str, limit: int = 3) -> list[ClaimRef]:
    """The claims that best represent a position: most answered first, then earliest."""
    answered = Counter(t for _, t, _, _, _ in responses(ag))
    chosen = [c for c in claims(ag) if c.position == position]
    chosen.sort(key=lambda c: (-answered[c.node_id], c.date, c.node_id))
    return chosen[:limit]
