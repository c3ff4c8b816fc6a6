"""Chart builders: pure functions from plain records or frames to chart specifications.

Altair charts for the cross-thread monthly views and the notebooks' thread timeline
(Streamlit renders them with its bundled Vega; the Thread page's timeline and the People
heatmaps are drawn as HTML by :mod:`~analyzer.dashboard.timeline_drawing` and
:mod:`~analyzer.dashboard.heatmaps`), the colours by meaning every page shares, and the nodes and edges of the Thread page's graphs, which
:mod:`analyzer.dashboard.graph_drawing` lays out with Graphviz (labels become escaped SVG
text and node ids are hashes: mail text cannot become markup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import altair as alt
import pandas as pd

from analyzer.dashboard import argument_map
from analyzer.debate import Debate
from analyzer.display import shorten
from analyzer.graph.build import ArgumentGraph
from analyzer.graph.ids import anchor, message_node

GREEN, RED, AMBER, GREY, BLUE = "#2e8b57", "#c0392b", "#d68910", "#7f8c8d", "#2c5d8f"
"""Colour by meaning, on every page: endorsements and agreement green, refusals and
disagreement red, half-way amber, neutral grey, rulings blue. One legend: ``MEANING``."""
RELATION_COLOURS = {"agree": GREEN, "disagree": RED, "mixed": AMBER, "neutral": GREY,
                    "post": "#2c3e50", "reply": "#95a5a6"}
STANCE_COLOURS = {"for": GREEN, "against": RED, "divided": AMBER}
DECISION_COLOURS = {"accepted": GREEN, "endorsed": "#82c99a", "changes-requested": AMBER, "rejected": RED,
                    "withdrawn": GREY, "policy-ruling": BLUE}
EVENT_COLOURS = RELATION_COLOURS | DECISION_COLOURS | {"position": "#6c3483", "version": "#1a5276", "commit": "#17202a"}
"""A timeline mark's colour by its ``mark`` (how a message answers its parent, what a
decision decided, or the event kind): the Altair chart and the Thread page's drawing."""
OUTCOME_COLOURS = {"applied": GREEN, "NAKed": RED, "changes requested": AMBER, "withdrawn": GREY, "open": BLUE}
MEANING = ("green: for, agree, applied, acked/reviewed · red: against, disagree, NAKed · "
           "amber: mixed, changes requested · grey: neutral, withdrawn · blue: policy ruling, open")
GraphView = Literal["map", "replies"]
_DATE_AXIS = alt.Axis(format="%Y-%m-%d", labelAngle=-30, title=None)
_MONTH_AXIS = alt.Axis(format="%Y-%m", labelAngle=-30, title=None)
_LABELS = alt.Axis(labelLimit=320)
"""Register names and subjects are long; Vega's default cuts labels at 180 px."""


def _scale(colours: Mapping[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def thread_timeline_chart(events: pd.DataFrame) -> alt.Chart:
    """Each event on its actor's lane: messages coloured by how they answer their parent;
    positions first argued, decisions, new versions and merges as marks of their own."""
    colours = EVENT_COLOURS
    chart: alt.Chart = (
        alt.Chart(events.assign(actor=events["actor"].replace("", "(merged)")))
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("date:T", axis=_DATE_AXIS),
            y=alt.Y("actor:N", title=None, sort=alt.EncodingSortField("date", op="min"), axis=_LABELS),
            color=alt.Color("mark:N", title="reply / event", scale=_scale(colours), legend=alt.Legend(orient="bottom")),
            shape=alt.Shape("kind:N", title="event", scale=alt.Scale(
                domain=["message", "position", "decision", "version", "commit"],
                range=["circle", "triangle-down", "diamond", "square", "triangle-up"]),
                legend=alt.Legend(orient="bottom")),
            tooltip=["date:T", "actor:N", "kind:N", "label:N", "detail:N",
                     alt.Tooltip("why:N", title="score · signals")],
        )
        .properties(height=alt.Step(28))
    )
    return chart


def stance_chart(stances: pd.DataFrame) -> alt.Chart:
    """Each person's claims over time, coloured by stance, one row per position."""
    chart: alt.Chart = (
        alt.Chart(stances)
        .mark_point(filled=True, size=70)
        .encode(
            x=alt.X("date:T", axis=_DATE_AXIS),
            y=alt.Y("person:N", title=None),
            color=alt.Color("stance:N", scale=_scale(STANCE_COLOURS), legend=alt.Legend(orient="bottom")),
            row=alt.Row("position:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["date:T", "person:N", "position:N", "stance:N", "text:N"],
        )
        .properties(height=alt.Step(18))
    )
    return chart


def decisions_chart(by_month: pd.DataFrame) -> alt.Chart:
    """Decisions per month, stacked by kind and coloured by meaning."""
    chart: alt.Chart = (
        alt.Chart(by_month)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", axis=_MONTH_AXIS),
            y=alt.Y("decisions:Q", title="decisions", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color("kind:N", title="decision", scale=_scale(DECISION_COLOURS), legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "kind:N", "decisions:Q"],
        )
        .properties(height=260)
    )
    return chart


def monthly_chart(frame: pd.DataFrame, *, category: str, value: str, colours: Mapping[str, str] | None = None,
                  title: str = "") -> alt.Chart:
    """Counts per month, one coloured stack per ``category`` (behaviours, stances…)."""
    legend = alt.Legend(orient="bottom", columns=4)
    color = (alt.Color(f"{category}:N", title=title or category, legend=legend, scale=_scale(colours)) if colours
             else alt.Color(f"{category}:N", title=title or category, legend=legend))
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", axis=_MONTH_AXIS),
            y=alt.Y(f"sum({value}):Q", title=value, axis=alt.Axis(format="d", tickMinStep=1)),
            color=color,
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), f"{category}:N", f"sum({value}):Q"],
        )
        .properties(height=240)
    )
    return chart


def stance_month_chart(stances: pd.DataFrame) -> alt.Chart:
    """Per position and month: how many claims, and which way they lean (green for, red
    against); one light chart whatever the number of months and positions."""
    wide = stances.pivot_table(index=["month", "position"], columns="stance", values="claims", aggfunc="sum",
                               fill_value=0).reset_index()
    for side in ("for", "against"):
        if side not in wide:
            wide[side] = 0
    wide = wide.assign(claims=wide["for"] + wide["against"], lean=(wide["for"] - wide["against"]) /
                       (wide["for"] + wide["against"]).clip(lower=1))
    chart: alt.Chart = (
        alt.Chart(wide)
        .mark_rect()
        .encode(
            x=alt.X("yearmonth(month):T", axis=_MONTH_AXIS),
            y=alt.Y("position:N", title=None, axis=_LABELS),
            color=alt.Color("lean:Q", title="for − against (share)",
                            scale=alt.Scale(domain=[-1, 1], range=[RED, "#f4f1de", GREEN])),
            opacity=alt.Opacity("claims:Q", legend=None, scale=alt.Scale(range=[0.35, 1])),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "position:N", "for:Q", "against:Q"],
        )
        .properties(height=alt.Step(22))
    )
    return chart


def behaviour_chart(behaviours: pd.DataFrame, top: int = 20) -> alt.Chart:
    """The behaviours that drew the most disagreement, with how often they were named."""
    frame = behaviours.head(top).melt(id_vars=["behaviour"], value_vars=["disputes", "messages"], var_name="count of")
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("behaviour:N", title=None, sort=list(behaviours.head(top)["behaviour"]), axis=_LABELS),
            x=alt.X("value:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color("count of:N", scale=alt.Scale(domain=["disputes", "messages"], range=["#c0392b", "#95a5a6"])),
            yOffset="count of:N",
            tooltip=["behaviour:N", "count of:N", "value:Q"],
        )
    )
    return chart


@dataclass(frozen=True, slots=True)
class GraphElements:
    """A graph for the Thread page (nodes and edges as ``{"data": {...}}`` records, drawn by
    :mod:`analyzer.dashboard.graph_drawing`), plus where each node's message is."""

    elements: list[dict[str, Any]]
    messages: dict[str, str] = field(default_factory=dict)
    """Node id -> message id shown when the node is clicked."""
    expands: dict[str, str] = field(default_factory=dict)
    """Node id -> what a click on it opens up (argument map people and positions)."""
    hidden: int = 0
    """Nodes left out to keep within the budget."""
    notes: dict[str, str] = field(default_factory=dict)
    """Node id -> the claim behind it with its score and signals (argument map)."""

    @property
    def node_count(self) -> int:
        return sum(1 for e in self.elements if "source" not in e["data"])


def _day(date: str | None) -> str:
    return (date or "")[:10]

def reply_graph(debate: Debate, thread_id: str) -> GraphElements:
    """One node per message, an edge from each reply to its parent coloured by how it
    answers it; messages carrying a decision are diamonds."""
    thread = debate.thread(thread_id)
    nodes, edges, messages = [], [], {}
    for message_id in thread.message_ids:
        info = debate.messages.get(message_id)
        if info is None:
            continue
        analysis = debate.analyses.get(message_id)
        relation = analysis.relation if analysis else None
        node = anchor(message_node(message_id))
        messages[node] = message_id
        decided = bool(analysis and analysis.decisions)
        nodes.append({"data": {"id": node, "label": f"{shorten(info.author_name, 24)}\n{_day(info.date)}",
                               "kind": "message", "relation": relation.label if relation else "post",
                               "decision": "yes" if decided else "no"}})
        if info.parent_id and info.parent_id in debate.messages and info.parent_id in thread.message_ids:
            parent = anchor(message_node(info.parent_id))
            edges.append({"data": {"id": f"{node}>{parent}", "source": node, "target": parent, "kind": "reply",
                                   "relation": relation.label if relation else "reply"}})
    return GraphElements(nodes + edges, messages)



def map_elements(ag: ArgumentGraph, *, expanded: Sequence[str] = (), excluded: frozenset[str] = frozenset()) -> GraphElements:
    """The layered argument map (:mod:`analyzer.dashboard.argument_map`)."""
    shown = argument_map.argument_map(ag, expanded=expanded, excluded=excluded)
    return GraphElements(argument_map.elements(shown), shown.messages, shown.expands, shown.hidden, shown.notes)


def graph_elements(ag: ArgumentGraph, debate: Debate, thread_id: str, view: GraphView, *,
                   expanded: Sequence[str] = (), excluded: frozenset[str] = frozenset()) -> GraphElements:
    if view == "replies":
        return reply_graph(debate, thread_id)
    return map_elements(ag, expanded=expanded, excluded=excluded)


def clicked_message(graph: GraphElements, node: str | None) -> str | None:
    """The message behind the node a click named (None for a node without one)."""
    return graph.messages.get(node) if node else None
