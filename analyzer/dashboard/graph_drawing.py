"""The Thread page's graphs (argument map, who answered whom) laid out by Graphviz on the
server and sent to the browser as one inline SVG.

Why on the server: a layered layout is what Graphviz ``dot`` is made for (the reports use
it too), it is deterministic, and a drawn SVG costs the browser almost nothing — no
component frame, no graph library to load, no layout to run on every new tab (the
Cytoscape component spent ~0.5 s of main-thread work per page load). Every node carries
its id as the SVG group's ``id`` (and its kind and side as classes) so a click can name it (:mod:`analyzer.dashboard.graph_view`).

Pure: the elements of :class:`analyzer.dashboard.charts.GraphElements` in, DOT or SVG out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import graphviz

from analyzer.dashboard.charts import AMBER, GREY, RED, RELATION_COLOURS, STANCE_COLOURS
from analyzer.display import shorten
from analyzer.graph.draw import plain, render_svg, text_label

Direction = Literal["LR", "TB"]
FONT = "DejaVu Sans"
LARGE = 150
"""Past this many nodes dot's crossing minimisation gets slow: its cheapest settings are used."""
_STANCE_FILL = {"for": "#e3f1e8", "against": "#f7e1de", "divided": "#fbeed5"}


def graph_dot(elements: Sequence[Mapping[str, Any]], *, notes: Mapping[str, str] | None = None,
              direction: Direction = "LR") -> graphviz.Digraph:
    """The graph in DOT: nodes styled by kind and side, edges coloured by meaning."""
    notes = notes or {}
    dot = graphviz.Digraph(name="graph")
    dot.attr(rankdir=direction, fontname=FONT, fontsize="10", nodesep="0.18", ranksep="0.45", bgcolor="transparent")
    dot.attr("node", fontname=FONT, fontsize="10", style="filled", margin="0.10,0.04", height="0.3")
    dot.attr("edge", arrowsize="0.6", penwidth="1.3")
    nodes = [e["data"] for e in elements if "source" not in e["data"]]
    edges = [e["data"] for e in elements if "source" in e["data"]]
    if len(nodes) > LARGE:
        dot.attr(mclimit="0.1", nslimit="2", nslimit1="2", searchsize="10")
    for data in nodes:
        node_id = str(data["id"])
        kind = str(data.get("kind", ""))
        dot.node(node_id, id=node_id, tooltip=plain(notes.get(node_id) or str(data.get("label", ""))),
                 **{"class": " ".join(filter(None, (kind, str(data.get("stance", "")))))}, **_node_style(data))
    for data in edges:
        colour = _edge_colour(str(data.get("relation", "")))
        if data.get("kind") == "reply":
            # a reply points at the message it answers; laid out parent first
            dot.edge(str(data["target"]), str(data["source"]), dir="back", color=colour)
        else:
            dot.edge(str(data["source"]), str(data["target"]), color=colour)
    return dot


def graph_svg(elements: Sequence[Mapping[str, Any]], *, notes: Mapping[str, str] | None = None,
              direction: Direction = "LR") -> str:
    """The inline ``<svg>`` of :func:`graph_dot`, without Graphviz's ``<title>`` elements
    (they name DOT ids; the tooltips are the labels and notes)."""
    return re.sub(r"<title>[^<]*</title>\n?", "", render_svg(graph_dot(elements, notes=notes, direction=direction)))


def _node_style(data: Mapping[str, Any]) -> dict[str, str]:
    kind = str(data.get("kind", ""))
    label = str(data.get("label", ""))
    stance = str(data.get("stance", ""))
    style: dict[str, str]
    if kind == "position":
        style = {"shape": "box", "style": "filled,rounded,bold", "fillcolor": "#5d6d7e", "fontcolor": "white",
                 "fontsize": "11", "label": plain(shorten(label, 60))}
    elif kind == "person":
        style = {"shape": "ellipse", "fillcolor": _STANCE_FILL.get(stance, "#eceff1"),
                 "color": STANCE_COLOURS.get(stance, GREY), "penwidth": "1.6", "label": plain(shorten(label, 32))}
    elif kind == "claim":
        style = {"shape": "box", "fillcolor": _STANCE_FILL.get(stance, "white"), "color": STANCE_COLOURS.get(stance, GREY),
                 "fontsize": "9", "label": text_label(label, width=44, max_lines=2)}
    else:  # a message of the reply graph
        decided = data.get("decision") == "yes"
        style = {"shape": "box", "style": "filled,rounded", "fontsize": "9",
                 "fillcolor": "#fbeed5" if decided else "#eef2f5",
                 "color": AMBER if decided else _edge_colour(str(data.get("relation", ""))),
                 "penwidth": "2" if decided else "1", "label": text_label(label, width=26, max_lines=2)}
    if data.get("disputed") == "yes":
        style |= {"color": RED, "penwidth": "3"}
    return style


def _edge_colour(relation: str) -> str:
    return (RELATION_COLOURS | STANCE_COLOURS).get(relation, "#b0b8bf")
