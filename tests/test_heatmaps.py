"""People-page heatmaps as tables (pure): counts written in the cells, colour by meaning."""

from __future__ import annotations

import re

import pandas as pd

from analyzer.dashboard import heatmaps


def _rgb(style: str) -> tuple[int, int, int]:
    colour = style.split("background-color: ")[1][:7]
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def _styles(styler: pd.io.formats.style.Styler) -> dict[tuple[str, str], str]:
    styler._compute()
    data = styler.data
    return {(data.index[r], data.columns[c]): "; ".join(f"{k}: {v}" for k, v in props)
            for (r, c), props in styler.ctx.items()}


def test_the_matrix_writes_for_and_against_and_leans_green_or_red() -> None:
    matrix = pd.DataFrame([("Ann", "pin", 5, 0), ("Ann", "quirk", 0, 3), ("Bob", "pin", 2, 2), ("Cy", "quirk", 1, 0)],
                          columns=["person", "position", "for", "against"])
    matrix["net"] = matrix["for"] - matrix["against"]
    styler = heatmaps.position_matrix_table(matrix)
    table = styler.data
    assert list(table.index) == ["Ann", "Bob", "Cy"], "most claims first"
    assert table.loc["Ann", "pin"] == "5 / 0" and table.loc["Bob", "pin"] == "2 / 2" and table.loc["Bob", "quirk"] == ""
    styles = _styles(styler)
    red, green, _ = _rgb(styles[("Ann", "pin")])
    assert green > red, "argued for: green"
    red, green, _ = _rgb(styles[("Ann", "quirk")])
    assert red > green, "argued against: red"
    assert _rgb(styles[("Bob", "pin")]) == _rgb(f"background-color: {heatmaps.NEUTRAL}"), "balanced: neutral"
    assert "background-color" not in styles.get(("Bob", "quirk"), ""), "no claims: no colour"


def test_who_answered_whom_counts_and_darkens_with_the_count() -> None:
    interactions = pd.DataFrame([("Ann", "Bob", 0, 4, 0, 1), ("Bob", "Ann", 0, 1, 0, 0), ("Cy", "Ann", 3, 0, 0, 0)],
                                columns=["from", "to", "agree", "disagree", "mixed", "neutral"])
    styler = heatmaps.interaction_table(interactions, "disagree")
    table = styler.data
    assert set(table.index) == {"Ann", "Bob"}, "only people with a disagreeing reply"
    assert table.loc["Ann", "Bob"] == 4 and table.loc["Bob", "Ann"] == 1 and table.loc["Ann", "Ann"] == 0
    styles = _styles(styler)
    assert sum(_rgb(styles[("Ann", "Bob")])) < sum(_rgb(styles[("Bob", "Ann")])), "more replies: darker"
    assert "background-color" not in styles.get(("Ann", "Ann"), "")
    assert styler.to_html().count(">4<") == 1 and ">0<" not in styler.to_html(), "zero cells stay blank"


def test_names_from_mail_stay_text() -> None:
    matrix = pd.DataFrame([("<img src=x onerror=y>", "pin", 1, 0)], columns=["person", "position", "for", "against"])
    matrix["net"] = 1
    drawn = heatmaps.html(heatmaps.position_matrix_table(matrix), "a")
    assert "<img" not in drawn and "&lt;img src=x onerror=y&gt;" in drawn and "1 / 0" in drawn
    pairs = pd.DataFrame([("<b>A</b>", "B & C", 0, 2, 0, 0)], columns=["from", "to", "agree", "disagree", "mixed", "neutral"])
    drawn = heatmaps.html(heatmaps.interaction_table(pairs, "disagree"), "b")
    assert "<b>" not in drawn and "&lt;b&gt;A&lt;/b&gt;" in drawn and "B &amp; C" in drawn


def test_two_tables_on_one_page_do_not_share_cell_styles() -> None:
    matrix = pd.DataFrame([("Ann", "pin", 1, 0)], columns=["person", "position", "for", "against"])
    matrix["net"] = 1
    pairs = pd.DataFrame([("Ann", "Bob", 0, 2, 0, 0)], columns=["from", "to", "agree", "disagree", "mixed", "neutral"])
    first = heatmaps.html(heatmaps.position_matrix_table(matrix), "matrix")
    second = heatmaps.html(heatmaps.interaction_table(pairs, "disagree"), "answered")
    ids = [set(re.findall(r'id="([^"]+)"', table)) for table in (first, second)]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
