"""The Thread page's timeline drawn on the server: a lane per person, a dated axis, each
event a mark coloured by meaning and shaped by kind, a hover title with its detail and score.

Why not a Vega chart: on a new tab Vega's bundle, parse and canvas drawing cost the
Thread page 0.15–0.3 s of the browser's main thread; positioned HTML costs nothing
measurable and reads the same (docs/benchmarks-dashboard.md). Why not SVG: Streamlit's
``st.html`` sanitises with DOMPurify's HTML profile, which drops SVG.

Pure: the events frame of :func:`analyzer.dashboard.frames.events_frame` in, HTML text
out. Every text from mail goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import pandas as pd

from analyzer.dashboard.charts import EVENT_COLOURS
from analyzer.display import shorten

COLOURS: Mapping[str, str] = EVENT_COLOURS
"""Mark colour by ``mark``: the same meanings as every other page."""
SHAPES: Mapping[str, str] = {"message": "circle", "position": "triangle-down", "decision": "diamond",
                             "version": "square", "commit": "triangle-up"}
GLYPHS: Mapping[str, str] = {"circle": "●", "triangle-down": "▼", "diamond": "◆", "square": "■", "triangle-up": "▲"}
LANE = 26
"""Height of a person's lane (px)."""
LABELS = 190
"""Width of the people column (px; names cut to fit)."""
AXIS = 22
_SPANS = (("h", 3600), ("6h", 6 * 3600), ("D", 86400), ("7D", 7 * 86400), ("MS", 30 * 86400),
          ("QS", 91 * 86400), ("YS", 365 * 86400), ("5YS", 5 * 365 * 86400))
"""Candidate tick spacings (pandas frequency, seconds), finest first."""
MAX_TICKS = 8


@dataclass(frozen=True, slots=True)
class Mark:
    x: float
    """Per cent of the plot's width."""
    lane: int
    shape: str
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    """Per cent of the plot's width."""
    label: str


@dataclass(frozen=True, slots=True)
class TimelineDrawing:
    lanes: tuple[str, ...]
    """People in order of their first event."""
    ticks: tuple[Tick, ...]
    marks: tuple[Mark, ...]
    legend: tuple[tuple[str, str, str], ...]
    """(label, shape, colour) for every mark kind and colour drawn."""


def layout(events: pd.DataFrame) -> TimelineDrawing:
    """Coordinates for every dated event of the frame."""
    frame = events.dropna(subset=["date"]).sort_values("date", kind="stable")
    actors = frame["actor"].fillna("").replace("", "(merged)")
    people = list(dict.fromkeys(actors))
    lane = {person: index for index, person in enumerate(people)}
    dates = pd.to_datetime(frame["date"], utc=True)
    start, end = (dates.min(), dates.max()) if len(dates) else (pd.Timestamp(0, tz="UTC"),) * 2
    span = max((end - start).total_seconds(), 1.0)
    pad = span * 0.03
    low, high = start - pd.Timedelta(seconds=pad), end + pd.Timedelta(seconds=pad)

    def x_of(when: pd.Timestamp) -> float:
        return float(round((when - low).total_seconds() / (high - low).total_seconds() * 100, 2))

    marks = tuple(
        Mark(x_of(when), lane[person], SHAPES.get(row.kind, "circle"), COLOURS.get(row.mark, "#7f8c8d"),
             _title(when, person, row.kind, row.label, row.detail, row.why))
        for when, person, row in zip(dates, actors, frame.itertuples(index=False)))
    ticks = tuple(Tick(x_of(when), label) for when, label in date_ticks(low, high))
    order = list(SHAPES)
    shown = sorted(set(zip(frame["kind"], frame["mark"])),
                   key=lambda km: (order.index(km[0]) if km[0] in order else len(order), km[1]))
    legend = tuple((_legend_label(kind, mark), SHAPES.get(kind, "circle"), COLOURS.get(mark, "#7f8c8d"))
                   for kind, mark in shown)
    return TimelineDrawing(tuple(people), ticks, marks, legend)


def date_ticks(low: pd.Timestamp, high: pd.Timestamp) -> list[tuple[pd.Timestamp, str]]:
    """At most MAX_TICKS ticks on a round spacing, every one labelled with its date (and the
    hour when the ticks are less than a day apart)."""
    seconds = (high - low).total_seconds()
    frequency = next((f for f, step in _SPANS if seconds / step <= MAX_TICKS), _SPANS[-1][0])
    hourly = frequency in {"h", "6h"}
    stamps = list(pd.date_range(low.ceil("h" if hourly else "D"), high, freq=frequency))
    if len(stamps) > MAX_TICKS:
        stamps = stamps[:: -(-len(stamps) // MAX_TICKS)]
    return [(s, s.strftime("%Y-%m-%d %H:%M" if hourly else "%Y-%m-%d")) for s in stamps]


def _title(when: pd.Timestamp, person: str, kind: str, label: object, detail: object, why: object) -> str:
    parts = [when.strftime("%Y-%m-%d %H:%M"), person, kind, str(label or ""), shorten(str(detail or ""), 300)]
    if why:
        parts.append(f"score · signals: {why}")
    return "\n".join(p for p in parts if p)


def _legend_label(kind: str, mark: str) -> str:
    if kind == "message":
        return "posting" if mark == "post" else f"reply: {mark}"
    return kind if kind == mark else f"{kind}: {mark}"


def timeline_html(events: pd.DataFrame) -> str:
    """The drawing as HTML and CSS: lanes of positioned marks (a glyph coloured by meaning,
    its detail as the hover title), so it passes Streamlit's HTML sanitiser (which drops
    SVG) and stretches to the page's width. Well-formed XML, every text escaped."""
    drawing = layout(events)
    by_lane: dict[int, list[Mark]] = {}
    for mark in sorted(drawing.marks, key=lambda m: m.shape != "circle"):  # events drawn over plain messages
        by_lane.setdefault(mark.lane, []).append(mark)
    out = ['<div class="mlpa-timeline" role="img" aria-label="Timeline" '
           'style="position:relative;font-size:12px;line-height:1.2;max-width:1100px">',
           f'<div style="position:absolute;left:{LABELS}px;right:0;top:0;height:{len(drawing.lanes) * LANE}px;'
           'pointer-events:none">']
    out += [f'<div style="position:absolute;left:{t.x}%;top:0;bottom:0;border-left:1px solid rgba(128,128,128,0.25)">'
            '</div>' for t in drawing.ticks]
    out.append("</div>")
    for index, person in enumerate(drawing.lanes):
        shade = "rgba(128,128,128,0.08)" if index % 2 == 0 else "transparent"
        out.append(f'<div style="display:flex;height:{LANE}px;align-items:center">'
                   f'<div title="{escape(person)}" style="flex:none;width:{LABELS - 8}px;padding-right:8px;text-align:right;'
                   f'overflow:hidden;white-space:nowrap;text-overflow:ellipsis">{escape(person)}</div>'
                   f'<div class="mlpa-lane" style="position:relative;flex:1;height:100%;background:{shade}">')
        out += [_mark(m) for m in by_lane.get(index, ())]
        out.append("</div></div>")
    out.append(f'<div style="display:flex"><div style="width:{LABELS}px;flex:none"></div>'
               f'<div style="position:relative;flex:1;height:{AXIS}px;border-top:1px solid #888">')
    out += [f'<div style="position:absolute;left:{t.x}%;top:3px;transform:translateX(-50%);white-space:nowrap">'
            f'{escape(t.label)}</div>' for t in drawing.ticks]
    out.append(f'</div></div><div style="display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0 0 {LABELS}px">')
    out += [f'<span><span style="color:{colour}">{GLYPHS[shape]}</span> {escape(label)}</span>'
            for label, shape, colour in drawing.legend]
    out.append("</div></div>")
    return "".join(out)


def _mark(mark: Mark) -> str:
    return (f'<span class="mlpa-event" title="{escape(mark.title)}" style="position:absolute;left:{mark.x}%;'
            f'top:50%;transform:translate(-50%,-50%);color:{mark.colour};font-size:15px;cursor:default;'
            f'text-shadow:0 0 2px #fff">{GLYPHS[mark.shape]}</span>')
