"""The Thread page's timeline drawing (pure): one mark per dated event on its person's lane,
dates on the axis, colour by meaning, mail text escaped."""

from __future__ import annotations

from xml.etree import ElementTree

import pandas as pd

from analyzer.dashboard import timeline_drawing
from analyzer.dashboard.charts import DECISION_COLOURS, RELATION_COLOURS

COLUMNS = ["date", "thread_id", "message_id", "kind", "actor", "label", "detail", "mark", "why"]


def _events(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(date, kind, actor, mark) rows."""
    return pd.DataFrame([{"date": pd.Timestamp(d, tz="UTC"), "thread_id": "t", "message_id": f"m{i}", "kind": k,
                          "actor": a, "label": f"label {i}", "detail": f"detail {i}", "mark": m, "why": ""}
                         for i, (d, k, a, m) in enumerate(rows)], columns=COLUMNS)


def test_every_dated_event_is_one_mark_on_its_persons_lane() -> None:
    events = _events([("2024-01-01 10:00", "message", "Ann", "post"),
                      ("2024-01-03 09:00", "message", "Bob", "disagree"),
                      ("2024-01-20 12:00", "decision", "Ann", "rejected"),
                      ("2024-02-11 08:00", "message", "", "agree")])
    drawing = timeline_drawing.layout(events)
    assert drawing.lanes == ("Ann", "Bob", "(merged)"), "lanes in order of first event"
    assert [m.lane for m in drawing.marks] == [0, 1, 0, 2]
    xs = [m.x for m in drawing.marks]
    assert xs == sorted(xs) and 0 < xs[0] < xs[-1] < 100, "later events stand further right, all inside the plot"
    assert drawing.marks[2].shape == "diamond" and drawing.marks[2].colour == DECISION_COLOURS["rejected"]
    assert drawing.marks[1].colour == RELATION_COLOURS["disagree"]
    assert ("decision: rejected", "diamond", DECISION_COLOURS["rejected"]) in drawing.legend


def test_the_axis_labels_dates_for_spans_from_hours_to_years() -> None:
    for start, end, fmt in [("2024-01-01 10:00", "2024-01-01 16:00", "%Y-%m-%d %H:%M"),
                            ("2024-01-01", "2024-03-15", "%Y-%m-%d"), ("2012-05-01", "2024-03-15", "%Y-%m-%d")]:
        ticks = timeline_drawing.layout(_events([(start, "message", "Ann", "post"),
                                                 (end, "message", "Bob", "agree")])).ticks
        assert 2 <= len(ticks) <= timeline_drawing.MAX_TICKS, (start, end, ticks)
        for tick in ticks:
            assert pd.Timestamp(tick.label).strftime(fmt) == tick.label
        assert [t.x for t in ticks] == sorted(t.x for t in ticks)


def test_one_event_and_no_event_still_draw() -> None:
    assert len(timeline_drawing.layout(_events([("2024-01-01", "message", "Ann", "post")])).marks) == 1
    drawn = ElementTree.fromstring(timeline_drawing.timeline_html(_events([])))
    assert drawn.get("class") == "mlpa-timeline" and not drawn.findall(".//span[@class='mlpa-event']")


def test_mail_text_stays_text() -> None:
    events = _events([("2024-01-01", "message", "<script>x()</script>", "post"),
                      ("2024-01-02", "position", "Eve & <b>Co</b>", "position")])
    events.loc[1, "detail"] = "</title><img src=x onerror=alert(1)>"
    drawn = timeline_drawing.timeline_html(events)
    assert "<script" not in drawn and "<img" not in drawn and "<b>" not in drawn
    tree = ElementTree.fromstring(drawn)
    marks = tree.findall(".//span[@class='mlpa-event']")
    assert len(marks) == 2
    assert "</title><img src=x onerror=alert(1)>" in (marks[1].get("title") or ""), "the detail is shown as written"
    names = [e.text for e in tree.iter("div") if e.get("title")]
    assert names == ["<script>x()</script>", "Eve & <b>Co</b>"]
