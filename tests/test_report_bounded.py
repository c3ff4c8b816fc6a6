"""The corpus report is bounded: its size does not grow with the number of threads, it
cites only the messages its claims, decisions and behaviour uses need, and its top threads
link to their own reports, which `report --all` writes beside it."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.report.build import corpus_report
from analyzer.report.corpus import CorpusLimits, report_stem
from analyzer.report.html import environment, render_html
from analyzer.report.markdown import render_markdown
from analyzer.report.write import write_report
from tests.debate_factory import corpus_debate

HREF = re.compile(r'href="#([^"]+)"')
IDS = re.compile(r'\bid="([^"]+)"')


def sizes(threads: int) -> tuple[int, int, int]:
    debate = corpus_debate(threads)
    env = environment()
    report = corpus_report(debate, env)
    html = render_html(report, env)
    assert set(HREF.findall(html)) <= set(IDS.findall(html))
    return len(html.encode()), len(render_markdown(report).encode()), len(report.messages)


def test_corpus_report_size_does_not_grow_with_threads() -> None:
    small_html, small_md, small_cited = sizes(40)
    big_html, big_md, big_cited = sizes(400)
    limits = CorpusLimits()
    cap = limits.behaviours * limits.uses_per_behaviour + limits.events + 10 * limits.people * limits.stances_per_person
    assert big_cited <= cap
    # Ten times the threads (and people and behaviours): the page stays within a third more,
    # where the old report (every thread root cited in full) grew tenfold.
    assert big_html < 1.35 * small_html, (small_html, big_html)
    assert big_md < 1.35 * small_md, (small_md, big_md)
    assert big_html < 600_000


def test_corpus_report_lists_top_threads_with_counts_and_notes() -> None:
    debate = corpus_debate(60)
    report = corpus_report(debate, environment(), limits=CorpusLimits(threads=5, behaviours=4))
    assert len(report.threads) == 5 and len(report.behaviours) == 4
    totals = [b.total for b in report.behaviours]
    assert totals == sorted(totals, reverse=True) and all(len(b.uses) <= 3 for b in report.behaviours)
    assert any("of 60" in note for note in report.notes)
    every = {t.thread_id: t for t in debate.threads}
    assert {row.report_stem for row in report.threads} <= {report_stem(debate, t) for t in every}
    for message in report.messages:  # cited as excerpts: claim sentences, not whole bodies
        text = "".join(p.text for p in message.pieces)
        assert len(text) < len(debate.messages[message.message_id].body) or message.truncated == 0


def test_report_all_writes_the_linked_thread_reports(tmp_path: Path) -> None:
    debate = corpus_debate(30)
    written = write_report(debate, tmp_path, thread_id=None, formats=["html", "md"])
    html = (tmp_path / "corpus.html").read_text()
    linked = set(re.findall(r'href="([^"#/]+\.html)"', html))
    assert len(linked) == CorpusLimits().threads
    assert linked <= {p.name for p in written}
    md = (tmp_path / "corpus.md").read_text()
    assert set(re.findall(r"\]\(([^)#/]+\.md)\)", md)) <= {p.name for p in written}
