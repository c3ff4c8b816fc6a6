"""Reports: HTML/Markdown/PDF of a thread and of a corpus, links from claims to sentences,
escaping of hostile mail, and the report/export commands on a real store."""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import subprocess
import datetime as dt
from dataclasses import replace
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import networkx as nx
import pytest
from PIL import Image
from typer.testing import CliRunner

from analyzer.analysis.records import Claim, ThreadAnalysis
from analyzer.cli.reports import commands
from analyzer.debate import Debate
from analyzer.graph.ids import claim_anchor, lore_url, message_anchor
from analyzer.report.build import corpus_report, thread_report
from analyzer.report.html import environment, render_html
from analyzer.report.markdown import md_text, render_markdown
from analyzer.report.model import body_pieces
from analyzer.report.timeline_svg import layout
from analyzer.report.corpus import report_stem
from analyzer.report.write import write_report
from analyzer.store.analysis import save_thread_analysis
from analyzer.store.db import Store
from analyzer.store.structure import rebuild_structure
from analyzer.timeline.build import thread_timeline
from tests.debate_factory import V1_ID, V2_ID, hostile_debate, large_debate, sample_debate
from tests.test_commits import tree  # noqa: F401  (fixture: a small kernel git tree)

HREF = re.compile(r'href="#([^"]+)"')
IDS = re.compile(r'\bid="([^"]+)"')


def thread_html(debate: Debate, thread_id: str) -> str:
    env = environment()
    return render_html(thread_report(debate, thread_id, env), env)


def test_every_claim_links_to_its_highlighted_sentence_and_lore() -> None:
    debate = sample_debate()
    html = thread_html(debate, V1_ID)
    for message_id in debate.thread(V1_ID).message_ids:
        assert f'id="{message_anchor(message_id)}"' in html
        assert f'href="{lore_url(message_id)}"' in html
        for claim in debate.analyses[message_id].claims:
            mark = re.search(rf'<mark class="{claim.stance}" id="{claim_anchor(claim)}"[^>]*>(.*?)</mark>', html, re.S)
            assert mark is not None, claim.text
            assert mark.group(1) == claim.text.replace("'", "&#39;")
            assert f'href="#{claim_anchor(claim)}"' in html


def test_every_internal_link_has_a_target() -> None:
    debate = sample_debate()
    env = environment()
    for report in (thread_report(debate, V1_ID, env), thread_report(debate, V2_ID, env), corpus_report(debate, env)):
        html = render_html(report, env)
        assert set(HREF.findall(html)) <= set(IDS.findall(html)), report.title


def test_thread_report_draws_graph_and_timeline_inline() -> None:
    html = thread_html(sample_debate(), V2_ID)
    assert html.count("<svg") == 2
    assert "merged as 4b1d2c3e5f60 in v6.19" in html
    assert "applied by Morgan Keel" in html
    assert "<script" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//(?!lore\.kernel\.org/all/)', html)


def test_corpus_report_adds_behaviours_matrix_and_cross_thread_decisions() -> None:
    env = environment()
    report = corpus_report(sample_debate(), env)
    html = render_html(report, env)
    for section in ('id="behaviours"', 'id="matrix"', 'id="threads"'):
        assert section in html
    assert [u.message_id for u in report.behaviours[0].uses] == [V1_ID, V2_ID]
    assert {e.thread_id for e in report.decisions} == {V1_ID, V2_ID}
    assert report.position_matrix is not None and "Oliver Quill" in report.position_matrix.rows
    row = report.position_matrix.rows.index("Oliver Quill")
    column = report.position_matrix.columns.index("quirks-opt-out")
    assert report.position_matrix.cells[row][column] == "+1 −1"


def test_hostile_mail_is_text_in_html_and_markdown() -> None:
    debate = hostile_debate()
    root = debate.threads[0].thread_id
    env = environment()
    report = thread_report(debate, root, env)
    html = render_html(report, env)
    assert "<script" not in html.lower().replace("&lt;script", "")
    assert "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;document.title=&#34;pwned-name&#34;&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    markdown = render_markdown(report)
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script&gt;" in markdown


def test_markdown_escapes_syntax() -> None:
    assert md_text("a | b [x](javascript:y) *z*") == r"a \| b \[x\]\(javascript:y\) \*z\*"
    assert md_text("<b>\n&") == "&lt;b&gt; &amp;"


def test_markdown_report_links_claims() -> None:
    debate = sample_debate()
    report = thread_report(debate, V1_ID, environment())
    markdown = render_markdown(report, graph_image="g.svg")
    claim = debate.analyses["nak.1@example.org"].claims[0]
    assert f'<a id="{claim_anchor(claim)}"></a>' in markdown
    assert f"](#{claim_anchor(claim)})" in markdown
    assert "![Argument graph](g.svg)" in markdown
    assert "| `evidence-required` | Morgan Keel | Rita Vance |  |" in markdown


def test_overlapping_claims_keep_both_anchors() -> None:
    body = "We must keep it. Really we must keep it forever.\n"
    outer = Claim("m", "pin-previous-behaviour", "for", 0.9, 17, 48, body[17:48])
    inner = Claim("m", "bug-for-bug", "against", 0.9, 27, 39, body[27:39])
    pieces = body_pieces(body, [outer, inner])
    assert "".join(p.text for p in pieces) == body
    anchors = [a for p in pieces for a in p.anchors]
    assert anchors == [claim_anchor(outer), claim_anchor(inner)]
    assert [p.stance for p in pieces] == ["", "for", "against", "for", ""]


def test_long_bodies_are_cut_after_the_last_claim() -> None:
    debate = sample_debate()
    info = debate.messages[V1_ID]
    patch = info.body + "diff --git a/x b/x\n" + "+line\n" * 10_000
    debate = replace(debate, messages={**debate.messages, V1_ID: replace(info, body=patch)})
    message = thread_report(debate, V1_ID, environment()).messages[0]
    assert message.truncated > 0
    assert sum(len(p.text) for p in message.pieces) + message.truncated == len(patch)


def test_timeline_folds_runs_of_messages_in_a_large_thread() -> None:
    debate = large_debate(300)
    timeline = thread_timeline(debate, debate.threads[0].thread_id)
    drawn = layout(timeline)
    assert len(timeline.of_kind("message")) == 300
    assert len(drawn.rows) < len(timeline.events)
    assert any(r.label.endswith(" messages") for r in drawn.rows)
    assert [r.y for r in drawn.rows] == sorted(r.y for r in drawn.rows)


def test_report_files_and_pdf_pages_are_not_blank(tmp_path: Path) -> None:
    written = write_report(sample_debate(), tmp_path, thread_id=V1_ID)
    stem = report_stem(sample_debate(), V1_ID)
    assert {p.name for p in written} == {f"{stem}.html", f"{stem}.md", f"{stem}.graph.svg", f"{stem}.pdf"}
    assert re.fullmatch(r"patch-0-2-kvm-arm64-vgic-make-gicd-iidr-writable-[0-9a-f]{8}", stem)
    pdf = tmp_path / f"{stem}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        reason = "pdftoppm not found (apt-get install poppler-utils)"
        pytest.fail(reason) if os.environ.get("CI") == "true" else pytest.skip(reason)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        grey = Image.open(page).convert("L")
        dark = sum(grey.histogram()[:200])
        assert dark > 200, f"{page.name} looks blank"


# --- the commands, on a real store -------------------------------------------------


def write_mbox(debate: Debate, path: Path) -> None:
    box = mailbox.mbox(str(path))
    for info in sorted(debate.messages.values(), key=lambda m: m.date or ""):
        mail = EmailMessage()
        person = debate.people[info.author_id]
        mail["From"] = f"{person.name} <{person.emails[0]}>"
        mail["To"] = "kvmarm@lists.linux.dev"
        mail["Subject"] = info.subject
        mail["Date"] = format_datetime(dt.datetime.fromisoformat(info.date or ""))
        mail["Message-ID"] = f"<{info.message_id}>"
        if info.parent_id:
            mail["In-Reply-To"] = f"<{info.parent_id}>"
            mail["References"] = f"<{info.parent_id}>"
        mail.set_content(info.body)
        box.add(mailbox.mboxMessage(mail))
    box.close()


@pytest.fixture
def filled_db(tmp_path: Path, run_ingest, store: Store) -> Path:  # type: ignore[no-untyped-def]
    """The sample debate ingested from an mbox, threaded, with its analyses stored (claim
    offsets re-found in the stored bodies)."""
    debate = sample_debate()
    write_mbox(debate, tmp_path / "thread.mbox")
    run_ingest(tmp_path / "thread.mbox")
    rebuild_structure(store, segment=False)
    bodies = dict(store.connection.execute("SELECT message_id, body FROM messages").fetchall())
    for thread in debate.threads:
        analyses = []
        for message_id in thread.message_ids:
            analysis = debate.analyses[message_id]
            claims = tuple(_refound(c, bodies[message_id]) for c in analysis.claims)
            analyses.append(replace(analysis, claims=claims))
        save_thread_analysis(store, ThreadAnalysis(thread.thread_id, tuple(analyses)), "test")
    return store.path


def _refound(claim: Claim, body: str) -> Claim:
    start = body.index(claim.text)
    return replace(claim, start=start, end=start + len(claim.text))


def test_report_command_writes_a_thread_report(filled_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(commands, ["report", "nak.1@example.org", "--db", str(filled_db),
                                           "-o", str(tmp_path / "out"), "--format", "html,md"])
    assert result.exit_code == 0, result.output
    html_files = list((tmp_path / "out").glob("*.html"))
    assert len(html_files) == 1 and html_files[0].name.startswith("patch-0-2-kvm-arm64")
    html = html_files[0].read_text()
    assert "Show me a guest that actually breaks" in html and "<svg" in html
    assert "Camps per position" in html and "Morgan Keel" in html


def test_report_command_corpus(filled_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(commands, ["report", "--all", "--db", str(filled_db), "-o", str(tmp_path), "--format", "md"])
    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "corpus.md").read_text()
    assert "## Behaviour index" in markdown and "## Participants × positions" in markdown


def test_export_command_graphml_round_trips(filled_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.graphml"
    result = CliRunner().invoke(commands, ["export", V2_ID, "--format", "graphml", "--db", str(filled_db), "-o", str(target)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(target)
    kinds = {d["kind"] for _, d in graph.nodes(data=True)}
    assert {"person", "claim", "position", "message"} <= kinds


@pytest.mark.parametrize("args, message", [
    (["report", "--db", "{db}", "-o", "{tmp}"], "either a THREAD-ID or --all"),
    (["report", "missing@example.org", "--db", "{db}", "-o", "{tmp}"], "no thread"),
    (["report", "--all", "--db", "{tmp}/none.db", "-o", "{tmp}"], "no database"),
    (["report", "--all", "--db", "{db}", "-o", "{tmp}", "--format", "docx"], "unknown --format"),
    (["export", "--all", "--db", "{db}", "--format", "xml"], "unknown --format"),
])
def test_commands_turn_errors_into_exit_2(filled_db: Path, tmp_path: Path, args: list[str], message: str) -> None:
    argv = [a.format(db=filled_db, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(commands, argv)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")


def test_full_graph_view_draws_every_kind() -> None:
    debate = sample_debate()
    env = environment()
    summary = thread_report(debate, V1_ID, env)
    full = thread_report(debate, V1_ID, env, graph_view="full")
    for label in ("GICD_IIDR", "rejected", "Rita Vance"):  # behaviour, decision, person nodes
        assert f">{label}</text>" in full.graph_svg
        assert f">{label}</text>" not in summary.graph_svg


def test_report_command_with_a_kernel_tree(filled_db: Path, tmp_path: Path, tree: Path) -> None:
    result = CliRunner().invoke(commands, ["report", V2_ID, "--db", str(filled_db), "-o", str(tmp_path / "out"),
                                           "--format", "md", "--kernel-tree", str(tree)])
    assert result.exit_code == 0, result.output
    markdown = next((tmp_path / "out").glob("*.md")).read_text()
    assert "merged as" in markdown and "in v6.19-rc1" in markdown
    bad = CliRunner().invoke(commands, ["report", V2_ID, "--db", str(filled_db), "-o", str(tmp_path),
                                        "--kernel-tree", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())
