"""The timeline drawn as inline SVG: one row per event, runs of plain messages folded.

The layout is a pure function (rows with coordinates); the SVG comes from a Jinja template
with autoescaping, so event text from mail is always text.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from jinja2 import Environment

from analyzer.display import shorten
from analyzer.graph.ids import anchor, lore_url
from analyzer.timeline.records import Timeline, TimelineEvent

ROW = 24
TOP = 30
WIDTH = 1000
FOLD_RUN = 3
"""More plain messages in a row than this become one folded row."""
COLOURS = {"message": "#90a4ae", "position": "#1565c0", "decision": "#c62828", "version": "#6a1b9a",
           "commit": "#2e7d32"}


@dataclass(frozen=True, slots=True)
class TimelineRow:
    y: int
    date: str
    kind: str
    label: str
    detail: str
    href: str
    colour: str


@dataclass(frozen=True, slots=True)
class TimelineLayout:
    width: int
    height: int
    rows: tuple[TimelineRow, ...]
    legend: tuple[tuple[str, str], ...]


def layout(timeline: Timeline, *, shown: Collection[str] | None = None, detail_chars: int = 80) -> TimelineLayout:
    """Rows for the events; an event whose message is not in ``shown`` (the messages the
    page holds; None for all) links to lore instead of an anchor."""
    rows = []
    for index, group in enumerate(_groups(timeline.events)):
        first = group[0]
        y = TOP + index * ROW
        if len(group) > 1:
            people = ", ".join(dict.fromkeys(e.person for e in group))
            label, detail = f"{len(group)} messages", f"from {people}"
        else:
            label, detail = first.label, first.detail
        rows.append(TimelineRow(y, first.date[:16].replace("T", " "), first.kind, label,
                                shorten(detail, detail_chars), event_href(first, shown), COLOURS[first.kind]))
    legend = tuple((kind, colour) for kind, colour in COLOURS.items() if any(r.kind == kind for r in rows))
    return TimelineLayout(WIDTH, TOP + max(len(rows), 1) * ROW + 10, tuple(rows), legend)


def event_href(event: TimelineEvent, shown: Collection[str] | None) -> str:
    if event.message_id is not None and shown is not None and event.message_id not in shown:
        return lore_url(event.message_id)
    return f"#{anchor(event.node_id)}" if event.node_id else ""


def _groups(events: Sequence[TimelineEvent]) -> list[list[TimelineEvent]]:
    """Events one by one, except runs of more than FOLD_RUN messages, which fold into one."""
    groups: list[list[TimelineEvent]] = []
    run: list[TimelineEvent] = []
    for event in [*events, None]:
        if event is not None and event.kind == "message":
            run.append(event)
            continue
        groups += [run] if len(run) > FOLD_RUN else [[e] for e in run]
        run = []
        if event is not None:
            groups.append([event])
    return groups


def timeline_svg(env: Environment, timeline: Timeline, shown: Collection[str] | None = None) -> str:
    return env.get_template("timeline.svg.j2").render(layout=layout(timeline, shown=shown))
