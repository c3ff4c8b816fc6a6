"""Heatmaps as plain tables: rows and columns named in full, each cell's count written in
it and its colour saying which way it leans (colour by meaning, as on every page).

A table wraps long names instead of cutting them and needs no chart library in the
browser; it is sent as plain HTML (``st.html``): Streamlit's own styled table drew 400
cells slower than the Vega heatmaps did (docs/benchmarks-dashboard.md). Every name and
cell is HTML-escaped. Pure: frames in, pandas Stylers and HTML out.
"""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from analyzer.dashboard.charts import AMBER, GREEN, RED

NEUTRAL = "#f4f1de"
"""The middle of the diverging scale (no lean)."""
WHITE = "#ffffff"
CSS = [{"selector": "", "props": "border-collapse: collapse; font-size: 0.85rem; margin-bottom: 1rem"},
       {"selector": "th, td", "props": "border: 1px solid rgba(128, 128, 128, 0.25); padding: 2px 8px"},
       {"selector": "th", "props": "font-weight: 600; text-align: left; vertical-align: bottom"},
       {"selector": "td", "props": "text-align: right; white-space: nowrap"}]


def position_matrix_table(matrix: pd.DataFrame) -> Styler:
    """People × positions from :func:`frames.position_matrix_frame`: each cell "for / against",
    green when the person argued mostly for, red mostly against, pale when balanced."""
    counts = matrix.assign(cell=matrix["for"].astype(str) + " / " + matrix["against"].astype(str))
    text = counts.pivot_table(index="person", columns="position", values="cell", aggfunc="first", fill_value="")
    net = matrix.pivot_table(index="person", columns="position", values="net", aggfunc="sum", fill_value=0)
    order = matrix.groupby("person")[["for", "against"]].sum().sum(axis=1).sort_values(ascending=False, kind="stable")
    text, net = text.loc[order.index], net.loc[order.index, text.columns]
    text.index.name, text.columns.name = None, "person"  # named in the corner: one header row
    net.index.name, net.columns.name = None, "person"
    scale = max(int(net.abs().to_numpy().max()), 1) if net.size else 1

    def colour(column: pd.Series) -> list[str]:
        lean = net[column.name]
        return ["" if cell == "" else _background(_diverging(value / scale)) for cell, value in zip(column, lean)]

    return _escaped(text.style.apply(colour, axis=0).format(escape="html"))


def interaction_table(interactions: pd.DataFrame, label: str) -> Styler:
    """Repliers (rows) × the people they answered (columns) from
    :func:`frames.interaction_frame`: the number of ``label`` replies, darker for more."""
    shown = interactions[interactions[label] > 0]
    table = shown.pivot_table(index="from", columns="to", values=label, aggfunc="sum", fill_value=0)
    rows = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    columns = table.sum(axis=0).sort_values(ascending=False, kind="stable").index
    table = table.loc[rows, columns]
    table.index.name, table.columns.name = None, "replier ↓ answered →"
    top = max(int(table.to_numpy().max()), 1) if table.size else 1
    full = {"disagree": RED, "mixed": AMBER}.get(label, GREEN)

    def colour(value: int) -> str:
        return "" if value == 0 else _background(_mix(WHITE, full, 0.2 + 0.8 * value / top))

    return _escaped(table.style.map(colour).format(lambda v: str(v) if v else "", escape="html"))


def html(styler: Styler, name: str) -> str:
    """The styled table as one HTML fragment (its <style> block and the table); ``name``
    keeps its cell ids (which the style block addresses) apart from other tables' on the page."""
    drawn: str = styler.set_uuid(name).set_table_styles(CSS).set_table_attributes('class="mlpa-heatmap"').to_html()
    return drawn


def _escaped(styler: Styler) -> Styler:
    return styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)


def _diverging(lean: float) -> str:
    """-1 (all against) red … 0 neutral … 1 (all for) green."""
    return _mix(NEUTRAL, RED, -lean) if lean < 0 else _mix(NEUTRAL, GREEN, lean)


def _mix(start: str, end: str, share: float) -> str:
    share = min(max(share, 0.0), 1.0)
    a, b = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (start, end))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b))


def _background(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    ink = "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#ffffff"
    return f"background-color: {colour}; color: {ink}"
