"""The argument graph of a debate, built with networkx from the analysis records.

Nodes (attribute ``kind``): person, claim, position, behaviour, decision, message.
Edges (attribute ``kind``, also the multigraph key):

    asserts          person   -> claim      the author states the claim
    argues           claim    -> position   with ``stance`` for/against
    stated-in        claim    -> message    (and decision -> message)
    wrote            person   -> message
    replies-to       message  -> message    In-Reply-To structure
    responds-to      claim|message -> claim|message   with ``label`` agree/disagree/mixed/neutral
    about-behaviour  claim|message -> behaviour
    decided-by       decision -> person

Attributes are str/int/float/bool only (never None) so that GraphML can carry them.
networkx stays inside ``analyzer.graph``: other packages hold an ``ArgumentGraph`` and ask
``analyzer.graph.views`` for plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from analyzer.analysis.records import Claim, Decision, MessageAnalysis, Relation
from analyzer.debate import Debate, MessageInfo
from analyzer.graph.ids import (
    behaviour_node,
    claim_node,
    decision_node,
    message_node,
    person_node,
    position_node,
)


@dataclass(frozen=True)
class ArgumentGraph:
    """A built graph and the threads it covers. Treat ``graph`` as read-only."""

    graph: nx.MultiDiGraph
    thread_ids: tuple[str, ...]


def build_graph(debate: Debate, thread_ids: Sequence[str] | None = None) -> ArgumentGraph:
    """The graph of the given threads (every thread of the debate when None)."""
    chosen = tuple(thread_ids) if thread_ids is not None else tuple(t.thread_id for t in debate.threads)
    graph = nx.MultiDiGraph()
    messages = [debate.messages[m] for t in chosen for m in debate.thread(t).message_ids if m in debate.messages]
    for info in sorted(messages, key=_order):
        _add_message(graph, debate, info)
    for info in sorted(messages, key=_order):
        analysis = debate.analyses.get(info.message_id)
        if analysis is not None:
            _add_analysis(graph, debate, info, analysis)
    return ArgumentGraph(graph, chosen)


def signals_attribute(signals: Sequence[str]) -> str:
    """What fired for a label, one signal a line (GraphML attributes are plain strings)."""
    return "\n".join(signals)


def thread_graph(debate: Debate, thread_id: str) -> ArgumentGraph:
    return build_graph(debate, [thread_id])


def corpus_graph(debate: Debate) -> ArgumentGraph:
    return build_graph(debate, None)


def _order(info: MessageInfo) -> tuple[str, str]:
    return (info.date or "", info.message_id)


def _add_person(graph: nx.MultiDiGraph, debate: Debate, person_id: str, fallback_name: str) -> str:
    node = person_node(person_id)
    if node not in graph:
        person = debate.people.get(person_id)
        name = person.name if person else fallback_name
        graph.add_node(node, kind="person", label=name, name=name, person_id=person_id,
                       maintainer=bool(person and person.is_maintainer))
    return node


def _add_message(graph: nx.MultiDiGraph, debate: Debate, info: MessageInfo) -> None:
    node = message_node(info.message_id)
    graph.add_node(node, kind="message", label=info.subject, message_id=info.message_id,
                   thread_id=info.thread_id, subject=info.subject, author=info.author_id,
                   author_name=info.author_name, date=info.date or "")
    author = _add_person(graph, debate, info.author_id, info.author_name)
    graph.add_edge(author, node, key="wrote", kind="wrote")
    if info.parent_id and message_node(info.parent_id) in graph:
        graph.add_edge(node, message_node(info.parent_id), key="replies-to", kind="replies-to")


def _add_analysis(graph: nx.MultiDiGraph, debate: Debate, info: MessageInfo, analysis: MessageAnalysis) -> None:
    author = person_node(info.author_id)
    for claim in analysis.claims:
        _add_claim(graph, info, author, claim)
    for mention in analysis.mentions:
        if mention.kind != "behaviour":
            continue
        target = behaviour_node(mention.target)
        graph.add_node(target, kind="behaviour", label=mention.target, behaviour=mention.target)
        source = _claim_around(analysis.claims, mention.start, mention.end)
        origin = claim_node(source) if source else message_node(info.message_id)
        graph.add_edge(origin, target, key="about-behaviour", kind="about-behaviour",
                       message_id=info.message_id, text=mention.text)
    for decision in analysis.decisions:
        _add_decision(graph, debate, info, decision)
    for relation in analysis.relations:
        _add_response(graph, debate, relation)


def _add_claim(graph: nx.MultiDiGraph, info: MessageInfo, author: str, claim: Claim) -> None:
    node = claim_node(claim)
    graph.add_node(node, kind="claim", label=claim.text, text=claim.text, position=claim.position,
                   stance=claim.stance, confidence=claim.confidence, signals=signals_attribute(claim.signals),
                   start=claim.start, end=claim.end,
                   message_id=claim.message_id, thread_id=info.thread_id, author=info.author_id,
                   author_name=info.author_name, date=info.date or "")
    position = position_node(claim.position)
    graph.add_node(position, kind="position", label=claim.position, position=claim.position)
    graph.add_edge(author, node, key="asserts", kind="asserts", stance=claim.stance)
    graph.add_edge(node, position, key="argues", kind="argues", stance=claim.stance)
    graph.add_edge(node, message_node(claim.message_id), key="stated-in", kind="stated-in")


def _add_decision(graph: nx.MultiDiGraph, debate: Debate, info: MessageInfo, decision: Decision) -> None:
    node = decision_node(decision)
    actor_id = debate.actor_of(decision.actor, info)
    actor = _add_person(graph, debate, actor_id, decision.actor or info.author_name)
    graph.add_node(node, kind="decision", label=decision.kind, decision=decision.kind,
                   message_id=decision.message_id, thread_id=info.thread_id, actor=actor_id,
                   date=decision.date or info.date or "", evidence=decision.evidence,
                   start=decision.start, end=decision.end, confidence=decision.confidence,
                   signals=signals_attribute(decision.signals))
    graph.add_edge(node, actor, key="decided-by", kind="decided-by")
    graph.add_edge(node, message_node(info.message_id), key="stated-in", kind="stated-in")


def _add_response(graph: nx.MultiDiGraph, debate: Debate, relation: Relation) -> None:
    sources = _answering(debate, relation)
    targets = _answered(debate, relation)
    for source in sources:
        for target in targets:
            if source in graph and target in graph and source != target:
                # One edge per label: a reply's rolled-up relation and its blocks' relations
                # often join the same two nodes, and with one key the last overwrote the rest.
                graph.add_edge(source, target, key=f"responds-to:{relation.label}", kind="responds-to",
                               label=relation.label,
                               confidence=relation.confidence, signals=signals_attribute(relation.signals),
                               message_id=relation.message_id,
                               to_message_id=relation.to_message_id)


def _answering(debate: Debate, relation: Relation) -> list[str]:
    """The claims of the own text that carries the relation, else the message itself."""
    claims = _claims_of(debate, relation.message_id)
    if relation.own_start is not None and relation.own_end is not None:
        claims = [c for c in claims if _overlaps(c, relation.own_start, relation.own_end)]
    return [claim_node(c) for c in claims] or [message_node(relation.message_id)]


def _answered(debate: Debate, relation: Relation) -> list[str]:
    """The claims inside the quoted span of the target, else the target message: a
    message-level relation is not spread over every claim of the parent."""
    if relation.to_start is None or relation.to_end is None:
        return [message_node(relation.to_message_id)]
    claims = [c for c in _claims_of(debate, relation.to_message_id) if _overlaps(c, relation.to_start, relation.to_end)]
    return [claim_node(c) for c in claims] or [message_node(relation.to_message_id)]


def _claims_of(debate: Debate, message_id: str) -> list[Claim]:
    analysis = debate.analyses.get(message_id)
    return list(analysis.claims) if analysis else []


def _overlaps(claim: Claim, start: int, end: int) -> bool:
    return claim.start < end and start < claim.end


def _claim_around(claims: Iterable[Claim], start: int, end: int) -> Claim | None:
    return next((c for c in claims if c.start <= start and end <= c.end), None)
