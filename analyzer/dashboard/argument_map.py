"""The argument map: a thread's argument graph cut to what a reader can take in.

Layered left to right (Graphviz ``dot`` on the server, :mod:`analyzer.dashboard.graph_drawing`):
positions → the people who argued them (edge coloured by their side) → each person's strongest claim. The default view holds at most ``budget`` nodes
(40): positions first, then the people with most claims, then one claim each. A click on
a person or a position *expands* it (every claim of that person, more people of that
position, up to ``EXPANSION`` nodes each); a click on any node shows the message behind it.
Replies between claims are not edges (they would add layers and crossings); a claim
that drew disagreement carries a red border instead. Pure: no Streamlit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.dashboard.digest import claim_why, strongest
from analyzer.display import shorten
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import anchor

BUDGET = 40
EXPANSION = 12


@dataclass
class MapNodes:
    """What the map shows, built up within the budget."""

    elements: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    expands: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """Node -> the claim it stands for, with its score and signals (shown on a click)."""
    hidden: int = 0

    def add(self, node: str, data: dict[str, Any], message_id: str | None,
            claim: views.ClaimRef | None = None) -> None:
        self.elements[node] = {"data": {"id": node, **data}}
        if message_id:
            self.messages[node] = message_id
        if claim is not None:
            self.notes[node] = claim_note(claim)

    def link(self, source: str, target: str, relation: str) -> None:
        edge = f"{source}>{target}"
        self.edges[edge] = {"data": {"id": edge, "source": source, "target": target, "relation": relation}}


def claim_note(claim: views.ClaimRef) -> str:
    """``Name: position (for), 0.94 · model … — “sentence”``."""
    return (f"{claim.author_name}: {claim.position} ({claim.stance}), {claim_why(claim)} — "
            f"“{shorten(claim.text, 300)}”")


def _person_node(person: str, position: str) -> str:
    return anchor(f"person:{person}:{position}")


def _side(claims: Sequence[views.ClaimRef]) -> str:
    votes = Counter(c.stance for c in claims)
    return "for" if votes["for"] > votes["against"] else "against" if votes["against"] > votes["for"] else "divided"


def argument_map(ag: ArgumentGraph, *, expanded: Iterable[str] = (), excluded: frozenset[str] = frozenset(),
                 budget: int = BUDGET) -> MapNodes:
    """The layered map of one thread's argument graph; ``expanded`` holds the node ids
    (people, positions) a reader clicked open, ``excluded`` person ids (robots) to leave out."""
    opened = set(expanded)
    claims = [c for c in views.claims(ag) if c.author not in excluded]
    answered = Counter(t for _, t, _, _, _ in views.responses(ag))
    by_pair: dict[tuple[str, str], list[views.ClaimRef]] = defaultdict(list)
    for claim in claims:
        by_pair[(claim.position, claim.author)].append(claim)
    positions = sorted({c.position for c in claims}, key=lambda p: (-sum(1 for c in claims if c.position == p), p))
    shown = MapNodes()
    for position in positions[:budget]:
        node = anchor(f"position:{position}")
        best = strongest([c for c in claims if c.position == position], answered)
        shown.add(node, {"kind": "position", "label": position}, best.message_id, best)
        shown.expands[node] = node
    pairs = sorted(by_pair, key=lambda k: (-len(by_pair[k]), -answered[strongest(by_pair[k], answered).node_id], k))
    _people(shown, pairs, by_pair, answered, opened, budget)
    _claims(shown, pairs, by_pair, answered, opened, budget)
    _mark_disputed(shown, ag)
    return shown


def _people(shown: MapNodes, pairs: list[tuple[str, str]], by_pair: dict[tuple[str, str], list[views.ClaimRef]],
            answered: Counter[str], opened: set[str], budget: int) -> None:
    extra: Counter[str] = Counter()
    for position, person in pairs:
        position_node = anchor(f"position:{position}")
        if position_node not in shown.elements:
            continue
        in_budget = len(shown.elements) < budget
        expanding = position_node in opened and extra[position] < EXPANSION
        if not in_budget and not expanding:
            shown.hidden += 1
            continue
        if not in_budget:
            extra[position] += 1
        mine = by_pair[(position, person)]
        best = strongest(mine, answered)
        node = _person_node(person, position)
        side = _side(mine)
        shown.add(node, {"kind": "person", "stance": side,
                         "label": f"{shorten(best.author_name, 22)} ({len(mine)})"}, best.message_id, best)
        shown.expands[node] = node
        shown.link(position_node, node, side)


def _claims(shown: MapNodes, pairs: list[tuple[str, str]], by_pair: dict[tuple[str, str], list[views.ClaimRef]],
            answered: Counter[str], opened: set[str], budget: int) -> None:
    for position, person in pairs:
        person_node = _person_node(person, position)
        if person_node not in shown.elements:
            continue
        mine = sorted(by_pair[(position, person)], key=lambda c: (-answered[c.node_id], -min(len(c.text), 300), c.date))
        wanted = mine[:EXPANSION] if person_node in opened else mine[:1]
        for index, claim in enumerate(wanted):
            if index == 0 and len(shown.elements) >= budget and person_node not in opened:
                shown.hidden += 1
                break
            node = anchor(claim.node_id)
            shown.add(node, {"kind": "claim", "stance": claim.stance, "label": shorten(claim.text, 70)},
                      claim.message_id, claim)
            shown.link(person_node, node, claim.stance)


def _mark_disputed(shown: MapNodes, ag: ArgumentGraph) -> None:
    """Claims on the map that a reply disagreed with (or answered mixed)."""
    for _, target, label, _, _ in views.responses(ag):
        node = shown.elements.get(anchor(target))
        if node is not None and label in ("disagree", "mixed"):
            node["data"]["disputed"] = "yes"


def elements(shown: MapNodes) -> list[dict[str, Any]]:
    return list(shown.elements.values()) + list(shown.edges.values())
