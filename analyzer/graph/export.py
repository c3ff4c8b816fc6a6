"""Exports of the argument graph: GraphML, node-link JSON, DOT and AIF JSON.

AIF (the Argument Interchange Format, in the JSON shape AIFdb and OVA read) has
``nodes`` (``nodeID``, ``text``, ``type``, ``timestamp``), ``edges`` (``edgeID``, ``fromID``,
``toID``), ``locutions`` (``nodeID`` of an L-node, ``personID``) and ``participants``.
The mapping:

- each claim is an I-node (its sentence) said in an L-node ("Name: sentence"), joined by a
  YA-node "Asserting" (L -> YA -> I);
- an agreeing reply is an RA-node "Default Inference" from the reply's I-node to the
  answered I-node; a disagreeing one a CA-node "Default Conflict"; a mixed one both; the
  reply's L-node anchors the RA/CA through a YA-node ("Agreeing"/"Disagreeing");
- a reply or an answered message that has no claim stands as an I-node of its subject.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import networkx as nx

from analyzer.graph.build import ArgumentGraph
from analyzer.graph.draw import full_dot

ExportFormat = Literal["graphml", "json", "aif", "dot"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("graphml", "json", "aif", "dot")


def export_text(ag: ArgumentGraph, fmt: ExportFormat) -> str:
    """The graph in ``fmt``, as the text of a file."""
    if fmt == "graphml":
        return to_graphml(ag)
    if fmt == "json":
        return json.dumps(to_node_link(ag), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "aif":
        return json.dumps(to_aif(ag), indent=1, ensure_ascii=False) + "\n"
    return str(full_dot(ag).source)


def to_graphml(ag: ArgumentGraph) -> str:
    return "\n".join(nx.generate_graphml(ag.graph, prettyprint=True)) + "\n"


def to_node_link(ag: ArgumentGraph) -> dict[str, Any]:
    data: dict[str, Any] = nx.node_link_data(ag.graph, edges="edges")
    data["graph"] = {"threads": list(ag.thread_ids)}
    return data


class _AifWriter:
    """Numbers AIF nodes and edges as it adds them (AIFdb uses numeric string ids)."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, str]] = []
        self.edges: list[dict[str, str]] = []
        self.locutions: list[dict[str, str]] = []

    def node(self, kind: str, text: str, date: str = "") -> str:
        node_id = str(len(self.nodes) + 1)
        self.nodes.append({"nodeID": node_id, "text": text, "type": kind, "timestamp": aif_timestamp(date)})
        return node_id

    def edge(self, source: str, target: str) -> None:
        self.edges.append({"edgeID": str(len(self.edges) + 1), "fromID": source, "toID": target})


def to_aif(ag: ArgumentGraph) -> dict[str, Any]:
    g = ag.graph
    writer = _AifWriter()
    people = _participants(ag)
    said: dict[str, tuple[str, str]] = {}
    """graph node -> (I-node, L-node)"""
    for node, d in sorted(g.nodes(data=True), key=lambda item: (str(item[1].get("date", "")), item[0])):
        if d["kind"] == "claim":
            said[node] = _assert(writer, people, d["author"], d["author_name"], d["text"], d["date"])
    for source, target, d in _responses(g):
        for end in (source, target):
            if end not in said:
                m = g.nodes[end]
                said[end] = _assert(writer, people, m["author"], m["author_name"], m["subject"], m["date"])
        _respond(writer, said[source], said[target], str(d["label"]))
    names = {d["person_id"]: d["name"] for _, d in g.nodes(data=True) if d["kind"] == "person"}
    participants = [{"participantID": aif_id, "firstname": names[pid], "surname": ""}
                    for pid, aif_id in people.items()]
    return {"nodes": writer.nodes, "edges": writer.edges, "locutions": writer.locutions,
            "participants": participants}


def aif_timestamp(date: str) -> str:
    """AIFdb writes ``YYYY-MM-DD HH:MM:SS``; our dates are ISO 8601 in UTC."""
    return date[:19].replace("T", " ") if date else ""


def _participants(ag: ArgumentGraph) -> dict[str, str]:
    """person id -> AIF personID (numbered in name order)."""
    people = sorted((d["name"], d["person_id"]) for _, d in ag.graph.nodes(data=True) if d["kind"] == "person")
    return {pid: str(i + 1) for i, (_, pid) in enumerate(people)}


def _responses(g: nx.MultiDiGraph) -> Iterator[tuple[str, str, dict[str, Any]]]:
    edges = [(s, t, d) for s, t, d in g.edges(data=True) if d["kind"] == "responds-to" and d["label"] != "neutral"]
    yield from sorted(edges, key=lambda e: (e[0], e[1]))


def _assert(writer: _AifWriter, people: dict[str, str], person: str, name: str, text: str,
            date: str) -> tuple[str, str]:
    proposition = writer.node("I", text, date)
    locution = writer.node("L", f"{name}: {text}", date)
    asserting = writer.node("YA", "Asserting")
    writer.edge(locution, asserting)
    writer.edge(asserting, proposition)
    writer.locutions.append({"nodeID": locution, "personID": people.get(person, "0"), "timestamp": aif_timestamp(date)})
    return proposition, locution


def _respond(writer: _AifWriter, reply: tuple[str, str], answered: tuple[str, str], label: str) -> None:
    schemes = {"agree": [("RA", "Default Inference", "Agreeing")],
               "disagree": [("CA", "Default Conflict", "Disagreeing")],
               "mixed": [("RA", "Default Inference", "Agreeing"), ("CA", "Default Conflict", "Disagreeing")]}
    for kind, text, illocution in schemes[label]:
        scheme = writer.node(kind, text)
        writer.edge(reply[0], scheme)
        writer.edge(scheme, answered[0])
        anchor_node = writer.node("YA", illocution)
        writer.edge(reply[1], anchor_node)
        writer.edge(anchor_node, scheme)
