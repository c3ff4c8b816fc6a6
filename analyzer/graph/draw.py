"""The argument graph drawn as SVG with Graphviz ``dot``.

Why Graphviz: it is the standard layout engine for directed graphs, its layered layout
reads well for "who answers whom", it is deterministic for a given input (we add nodes and
edges in sorted order), and its SVG output needs no script or remote asset. The Python
``graphviz`` package builds and quotes the DOT source; the ``dot`` executable comes from
the Debian package ``graphviz``.

Two views: ``summary`` (default) stays readable for a 300-message thread — positions, their
top claims and the people grouped by camp; ``full`` draws every person, claim, position,
behaviour and decision.
"""

from __future__ import annotations

import re
import textwrap
from typing import Literal

import graphviz

from analyzer.display import shorten
from analyzer.errors import AnalyzerError
from analyzer.graph import views
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import anchor, position_node

GraphView = Literal["summary", "full"]
RELATION_COLOURS = {"agree": "#2e7d32", "disagree": "#c62828", "mixed": "#ef6c00", "neutral": "#757575"}
STANCE_COLOURS = {"for": "#2e7d32", "against": "#c62828"}
_FONT = "DejaVu Sans"
LAYERED_LIMIT = 150


def text_label(text: str, width: int = 38, max_lines: int = 4) -> graphviz.quoting.NoHtml:
    """A multi-line DOT label for arbitrary text: wrapped, shortened, backslashes doubled
    and never taken as an HTML-like label (mail text may look like ``<...>``)."""
    lines = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return graphviz.nohtml("".join(line.replace("\\", "\\\\") + "\\l" for line in lines))


PLAIN_LIMIT = 1_000
"""Characters of a one-line attribute (a tooltip): Graphviz refuses a quoted string over
16,384, and a "sentence" of mail can be a whole pasted config dump."""


def plain(text: str, limit: int = PLAIN_LIMIT) -> graphviz.quoting.NoHtml:
    return graphviz.nohtml(shorten(text, limit).replace("\\", "\\\\"))


def _digraph(name: str) -> graphviz.Digraph:
    dot = graphviz.Digraph(name=name)
    dot.attr(rankdir="LR", fontname=_FONT, fontsize="10", nodesep="0.25", ranksep="0.6")
    dot.attr("node", fontname=_FONT, fontsize="10", style="filled", fillcolor="white", margin="0.15,0.06")
    dot.attr("edge", fontname=_FONT, fontsize="9")
    return dot


def summary_dot(ag: ArgumentGraph, *, claims_per_position: int = 3) -> graphviz.Digraph:
    """Positions, each with its top claims and the camps for and against it."""
    dot = _digraph("summary")
    names = views.person_names(ag)
    shown: set[str] = set()
    for camp in views.camps(ag):
        position = position_node(camp.position)
        dot.node(anchor(position), plain(camp.position), shape="box", fillcolor="#e3f2fd", style="filled,bold",
                 id=f"g-{anchor(position)}")
        for side, people in (("for", camp.supporters), ("against", camp.opponents), ("divided", camp.divided)):
            if people:
                camp_id = anchor(f"camp:{camp.position}:{side}")
                who = ", ".join(sorted(names.get(p, p) for p in people))
                dot.node(camp_id, text_label(f"{side}: {who}", 30, 3), shape="ellipse", fillcolor="#f5f5f5")
                dot.edge(camp_id, anchor(position), color=STANCE_COLOURS.get(side, "#757575"), label=side)
        for claim in views.top_claims(ag, camp.position, claims_per_position):
            _claim_node(dot, claim)
            dot.edge(anchor(claim.node_id), anchor(position), color=STANCE_COLOURS[claim.stance], style=_stance_style(claim.stance))
            shown.add(claim.node_id)
    for source, target, label, _, _ in views.responses(ag):
        if source in shown and target in shown:
            dot.edge(anchor(source), anchor(target), color=RELATION_COLOURS[label], label=label, constraint="false")
    return dot


def full_dot(ag: ArgumentGraph) -> graphviz.Digraph:
    """Every node but the messages; messages appear only where a reply has no claim."""
    dot = _digraph("full")
    g = ag.graph
    drawn: set[str] = set()
    for node, d in sorted(g.nodes(data=True)):
        kind = d["kind"]
        if kind == "claim":
            _claim_node(dot, views.claim_ref(ag, node))
        elif kind == "message" and not any(e[2]["kind"] == "responds-to" for e in
                                           [*g.in_edges(node, data=True), *g.out_edges(node, data=True)]):
            continue
        else:
            dot.node(anchor(node), _other_label(kind, d), **_SHAPES[kind], id=f"g-{anchor(node)}")
        drawn.add(node)
    for source, target, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2]["kind"])):
        if source in drawn and target in drawn and d["kind"] not in ("stated-in", "replies-to", "wrote"):
            dot.edge(anchor(source), anchor(target), **_edge_style(d))
    if len(drawn) > LAYERED_LIMIT:
        # dot's crossing minimisation takes minutes past a few hundred nodes; neato with a
        # fixed seed is fast and still deterministic.
        dot.engine = "neato"
        dot.attr(start="1", overlap="false")
    return dot


_SHAPES: dict[str, dict[str, str]] = {
    "person": {"shape": "ellipse", "fillcolor": "#fff8e1"},
    "position": {"shape": "box", "fillcolor": "#e3f2fd", "style": "filled,bold"},
    "behaviour": {"shape": "hexagon", "fillcolor": "#f3e5f5"},
    "decision": {"shape": "octagon", "fillcolor": "#fce4ec"},
    "message": {"shape": "note", "fillcolor": "#eeeeee"},
}


def _other_label(kind: str, d: dict[str, object]) -> graphviz.quoting.NoHtml:
    if kind == "message":
        return text_label(f"{d['author_name']}: {d['subject']}", 30, 2)
    return text_label(str(d["label"]), 30, 2)


def _edge_style(d: dict[str, object]) -> dict[str, str]:
    kind = str(d["kind"])
    if kind == "responds-to":
        return {"color": RELATION_COLOURS[str(d["label"])], "label": str(d["label"])}
    if kind in ("argues", "asserts"):
        stance = str(d["stance"])
        return {"color": STANCE_COLOURS[stance], "style": _stance_style(stance)}
    return {"color": "#9e9e9e", "label": kind}


def _stance_style(stance: str) -> str:
    return "solid" if stance == "for" else "dashed"


def _claim_node(dot: graphviz.Digraph, claim: views.ClaimRef) -> None:
    dot.node(anchor(claim.node_id), text_label(f"{claim.author_name}: {claim.text}"), shape="note",
             fillcolor="#e8f5e9" if claim.stance == "for" else "#ffebee",
             href=f"#{anchor(claim.node_id)}", tooltip=plain(claim.text), id=f"g-{anchor(claim.node_id)}")


def render_svg(dot: graphviz.Digraph) -> str:
    """The drawing as an inline ``<svg>`` element (no XML prolog, doctype or comments)."""
    try:
        svg = dot.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise AnalyzerError("Graphviz 'dot' was not found: install the graphviz package (apt-get install graphviz)") from exc
    except graphviz.CalledProcessError as exc:
        raise AnalyzerError(f"Graphviz could not lay out the graph: {exc.stderr!r}") from exc
    except BrokenPipeError as exc:
        raise AnalyzerError("Graphviz stopped reading the graph before its end (it refused the input)") from exc
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    return svg.strip()


def graph_svg(ag: ArgumentGraph, view: GraphView = "summary") -> str:
    return render_svg(summary_dot(ag) if view == "summary" else full_dot(ag))
