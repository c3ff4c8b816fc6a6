"""Write reports to a directory: the I/O edge of the report package."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from analyzer.debate import Debate
from analyzer.graph.draw import GraphView
from analyzer.report.build import Report, corpus_report, thread_report
from analyzer.report.corpus import report_stem
from analyzer.report.html import environment, render_html
from analyzer.report.markdown import render_markdown
from analyzer.report.pdf import write_pdf

ReportFormat = Literal["html", "md", "pdf"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "md", "pdf")


def make_report(debate: Debate, thread_id: str | None, *, graph_view: GraphView = "summary",
                min_confidence: float = 0.0) -> Report:
    env = environment()
    if thread_id is None:
        return corpus_report(debate, env, graph_view=graph_view, min_confidence=min_confidence)
    return thread_report(debate, thread_id, env, graph_view=graph_view, min_confidence=min_confidence)


def write_report(
    debate: Debate,
    out_dir: Path,
    *,
    thread_id: str | None,
    formats: Sequence[ReportFormat] = REPORT_FORMATS,
    graph_view: GraphView = "summary",
    min_confidence: float = 0.0,
) -> list[Path]:
    """Write the report of one thread (or of the whole debate when ``thread_id`` is None)
    in each format, without the labels below ``min_confidence``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(debate, thread_id)
    report = make_report(debate, thread_id, graph_view=graph_view, min_confidence=min_confidence)
    written: list[Path] = []
    # HTML is rendered only for the formats made from it (the page, and the PDF of it).
    html = render_html(report) if {"html", "pdf"} & set(formats) else ""
    if "html" in formats:
        written.append(_write(out_dir / f"{stem}.html", html))
    if "md" in formats:
        graph_file = _write(out_dir / f"{stem}.graph.svg", report.graph_svg)
        written += [_write(out_dir / f"{stem}.md", render_markdown(report, graph_image=graph_file.name)), graph_file]
    if "pdf" in formats:
        written.append(write_pdf(html, out_dir / f"{stem}.pdf"))
    if thread_id is None:
        written += _top_thread_reports(debate, report, out_dir, formats, graph_view, min_confidence)
    return written


def _top_thread_reports(debate: Debate, corpus: Report, out_dir: Path, formats: Sequence[ReportFormat],
                        graph_view: GraphView, min_confidence: float) -> list[Path]:
    """The own report of each thread the corpus report links to, in its page formats (the
    PDF of the corpus report stands for the set; a PDF per thread would dominate the time)."""
    pages: list[ReportFormat] = [f for f in formats if f != "pdf"] or ["html"]
    written: list[Path] = []
    by_root = {t.message_ids[0] if t.message_ids else t.thread_id: t.thread_id for t in debate.threads}
    for row in corpus.threads:
        thread_id = by_root.get(row.root_id)
        if thread_id is not None and row.report_stem:
            written += write_report(debate, out_dir, thread_id=thread_id, formats=pages, graph_view=graph_view,
                                    min_confidence=min_confidence)
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
