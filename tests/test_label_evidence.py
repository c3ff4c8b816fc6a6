"""Every label explains itself, and a reader can hide the unsure ones: on a real store (the
gold threads of ../shared, read by the learned analysis, the default), a confidence
cut-off leaves out exactly the labels the store scores below it, in the library, the
reports and the dashboard's Thread page, and each label shown carries its score and the
signals that fired beside its sentence."""

from __future__ import annotations

import html
import json
import math
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli import app as cli
from analyzer.debate import Debate
from analyzer.errors import ConfigError
from analyzer.evidence import LabelKind, debate_above, signals_text, why
from analyzer.graph.ids import claim_anchor
from analyzer.report.markdown import md_text
from tests.conftest import ROOT, require_shared

CUTOFFS = (0.5, 0.8, 0.95)
BELOW: dict[LabelKind, str] = {
    # Rows of the store a cut-off ``?`` must leave out, per kind. A message position read
    # from cue rules scores a summed weight w, read as w / (w + 1) (analyzer.evidence).
    "claims": "SELECT count(*) FROM claims WHERE confidence < ? {thread}",
    "positions": "SELECT count(*) FROM message_positions WHERE (CASE WHEN basis = 'model' THEN score "
                 "ELSE round(score / (score + 1.0), 3) END) < ? {thread}",
    "relations": "SELECT count(*) FROM relations WHERE confidence < ? {thread}",
    "decisions": "SELECT count(*) FROM decisions WHERE confidence < ? {thread}",
    "behaviours": "SELECT count(*) FROM mentions WHERE kind = 'behaviour' AND confidence < ? {thread}",
}


def _analysed_gold(folder: Path, *analyze: str) -> Path:
    """The gold threads of ../shared ingested and analysed (``analyze``: extra options)."""
    gold = require_shared("gold")
    db = folder / "gold.db"
    runner = CliRunner()
    ingested = runner.invoke(cli, ["ingest", *(str(p) for p in sorted(gold.glob("*.mbox"))), "--db", str(db),
                                   "--no-progress"])
    assert ingested.exit_code == 0, ingested.output
    analysed = runner.invoke(cli, ["analyze", "--db", str(db), "-j", "1", "--no-progress", *analyze])
    assert analysed.exit_code == 0, analysed.output
    return db


@pytest.fixture(scope="module")
def gold_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _analysed_gold(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="module")
def debate(gold_db: Path) -> Debate:
    with api.open_store(gold_db) as store:
        return api.load_debate(store)


def below(db: Path, cutoff: float, thread_id: str | None = None) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {kind: connection.execute(sql.format(thread="AND thread_id = ?" if thread_id else ""),
                                         (cutoff, thread_id) if thread_id else (cutoff,)).fetchone()[0]
                for kind, sql in BELOW.items()}


def biggest_thread(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return str(connection.execute("SELECT thread_id FROM claims GROUP BY thread_id ORDER BY count(*) DESC "
                                      "LIMIT 1").fetchone()[0])


def test_the_store_holds_signals_and_a_spread_of_scores(gold_db: Path) -> None:
    """The premise of the rest: the default (learned) reading records what fired, and
    its scores straddle the cut-offs tried below."""
    with sqlite3.connect(gold_db) as connection:
        signalled = connection.execute("SELECT count(*) FROM claims WHERE signals LIKE '%model:%'").fetchone()[0]
        assert signalled > 0
    counts = [sum(below(gold_db, c).values()) for c in CUTOFFS]
    assert 0 < counts[0] < counts[1] < counts[2]


@pytest.mark.parametrize("cutoff", CUTOFFS)
def test_a_cutoff_leaves_out_exactly_the_labels_the_store_scores_below_it(gold_db: Path, debate: Debate,
                                                                           cutoff: float) -> None:
    kept, hidden = debate_above(debate, cutoff)
    assert {kind: hidden.of(kind) for kind in BELOW} == below(gold_db, cutoff)
    assert hidden.total == sum(below(gold_db, 1.01).values())
    with sqlite3.connect(gold_db) as connection:
        wanted = set(connection.execute("SELECT message_id, position, stance, start, end FROM claims "
                                        "WHERE confidence >= ?", (cutoff,)).fetchall())
    shown = {(c.message_id, c.position, c.stance, c.start, c.end) for a in kept.analyses.values() for c in a.claims}
    assert shown == wanted
    kept_decisions = sum(len(a.decisions) + len(a.unattested) for a in kept.analyses.values())
    every_decision = sum(len(a.decisions) + len(a.unattested) for a in debate.analyses.values())
    assert every_decision - kept_decisions == hidden.decisions
    with api.open_store(gold_db) as store:  # the library's loader applies the same cut
        loaded = api.load_debate(store, min_confidence=cutoff)
        with pytest.raises(ConfigError, match="from 0 to 1"):
            api.load_debate(store, min_confidence=cutoff + 1)
    assert sum(len(a.claims) for a in loaded.analyses.values()) == len(wanted)


def test_a_label_explains_itself_in_words(debate: Debate) -> None:
    claim = next(c for a in debate.analyses.values() for c in a.claims if any(s.startswith("rule:") for s in c.signals))
    text = api.explain(claim)
    assert text.startswith(f"{claim.confidence:.2f} · model position {claim.position}")
    cue = next(s for s in claim.signals if s.startswith("rule:")).removeprefix("rule:")
    assert f"rule cue {cue}" in text
    assert signals_text(("structure:trailer:Acked-by",)) == "structure: trailer Acked-by"


def test_report_leaves_out_the_labels_below_the_cutoff_and_says_how_many(gold_db: Path, debate: Debate,
                                                                          tmp_path: Path) -> None:
    thread_id = biggest_thread(gold_db)
    result = CliRunner().invoke(cli, ["report", thread_id, "--db", str(gold_db), "-o", str(tmp_path),
                                      "--format", "html,md", "--min-confidence", "0.9"])
    assert result.exit_code == 0, result.output
    page = next(tmp_path.glob("*.html")).read_text()
    markdown = next(tmp_path.glob("*.md")).read_text()
    left_out = below(gold_db, 0.9, thread_id)
    total = sum(below(gold_db, 1.01, thread_id).values())
    sentence = f"{sum(left_out.values())} of {total} labels below 0.90 left out"
    assert sentence in page and md_text(sentence) in markdown
    claims = [c for m in debate.thread(thread_id).message_ids for c in debate.analyses[m].claims]
    assert any(c.confidence < 0.9 for c in claims) and any(c.confidence >= 0.9 for c in claims)
    for claim in claims:  # a claim is highlighted (has its anchor) exactly when it is kept
        assert (f'id="{claim_anchor(claim)}"' in page) == (claim.confidence >= 0.9), (claim.confidence, claim.text)
    scores = [float(s) for s in re.findall(r'class="why">score (\d\.\d\d)', page)]
    assert scores and min(scores) >= 0.9
    strong = next(c for c in claims if c.confidence >= 0.9 and any(s.startswith("rule:") for s in c.signals))
    assert html.escape(why(strong), quote=True) in page and md_text(why(strong)) in markdown
    item = next(li for li in re.findall(r"<li>.*?</li>", page, re.S) if claim_anchor(strong) in li)
    written = [s.replace(":", " ", 1) for s in strong.signals if s.startswith("model:")]
    written += [f"rule cue {s.removeprefix('rule:')}" for s in strong.signals if s.startswith("rule:")]
    assert written and all(w in item for w in written), (item, written)
    assert f"score {strong.confidence:.2f}" in item


def test_report_all_applies_the_cutoff_to_every_thread_report(gold_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--all", "--db", str(gold_db), "-o", str(tmp_path),
                                      "--format", "md", "--min-confidence", "0.8"])
    assert result.exit_code == 0, result.output
    corpus = (tmp_path / "corpus.md").read_text()
    assert md_text(f"{sum(below(gold_db, 0.8).values())} of ") in corpus
    threads = [p for p in tmp_path.glob("*.md") if p.name != "corpus.md"]
    assert len(threads) == 4 and all(md_text("labels below 0.80 left out") in p.read_text() for p in threads)


@pytest.fixture
def thread_page(gold_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("ANALYZER_DB", str(gold_db))
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _run_thread_page(app: AppTest, thread_id: str, cutoff: str) -> AppTest:
    app.query_params["scope"] = thread_id
    app.query_params["min_confidence"] = cutoff
    app.run()
    app.switch_page(str(ROOT / "analyzer/dashboard/pages/thread.py")).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_the_thread_page_hides_labels_below_the_cutoff_in_the_url(gold_db: Path, debate: Debate,
                                                                   thread_page: AppTest) -> None:
    thread_id = biggest_thread(gold_db)
    claims = [c for m in debate.thread(thread_id).message_ids for c in debate.analyses[m].claims]
    best: dict[str, float] = {}
    for c in claims:
        best[c.text] = max(best.get(c.text, 0.0), c.confidence)
    # A cut-off from the thread's own scores (the bundles decide them), on the slider's
    # 0.05 steps: about a quarter of its claim sentences fall below it, the rest stay.
    cutoff = min(math.ceil(sorted(best.values())[len(best) // 4] * 20) / 20, 0.95)
    app = _run_thread_page(thread_page, thread_id, f"{cutoff:.2f}")
    assert [s.value for s in app.sidebar.slider] == [pytest.approx(cutoff)]
    captions = " ".join(c.value for c in app.caption).replace("\\", "")  # markdown escapes
    left_out = sum(below(gold_db, cutoff, thread_id).values())
    assert f"{left_out} of {sum(below(gold_db, 1.01, thread_id).values())} labels below {cutoff:.2f} left out" in captions
    # The camps' strongest sentences carry their score: none below the cut-off.
    scores = [float(s) for s in re.findall(r"score (\d\.\d\d)", captions)]
    assert scores and min(scores) >= cutoff
    panel = next(e.proto.body for e in app.main if type(e).__name__ == "Html")
    assert "Why these labels" in panel and "<details class=\"evidence\" open>" in panel
    shown = re.findall(r"score (\d\.\d\d) · model position [a-z-]+ \d\.\d\d", captions)
    assert shown and all(float(score) >= cutoff for score in shown)
    hidden_sentences = {text for text, confidence in best.items() if confidence < cutoff}
    assert hidden_sentences
    assert not any(f"“{html.escape(s[:60], quote=True)}" in panel for s in hidden_sentences)


def test_a_bad_cutoff_in_the_url_is_named_and_shows_every_label(gold_db: Path, thread_page: AppTest) -> None:
    app = thread_page
    app.query_params["scope"] = biggest_thread(gold_db)
    app.query_params["min_confidence"] = "lots"
    app.run()
    # named by the page the session opens on (the Overview, which takes the cut-off too)
    assert any("not a number from 0 to 1" in w.value for w in app.warning)
    app.switch_page(str(ROOT / "analyzer/dashboard/pages/thread.py")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [s.value for s in app.sidebar.slider] == [0.0]
    assert any("labels shown (no confidence cut" in c.value.replace("\\", "") for c in app.caption)


def test_a_cutoff_outside_0_to_1_is_refused(gold_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "--all", "--db", str(gold_db), "-o", str(tmp_path),
                                      "--min-confidence", "1.5"])
    assert result.exit_code == 2 and "--min-confidence" in result.output
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def rules_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _analysed_gold(tmp_path_factory.mktemp("evidence-rules"), "--method", "rules")


def test_the_rules_say_which_cue_or_structure_gave_each_label(rules_db: Path) -> None:
    """--method rules: every claim names its cue, every message position its cues and its
    sentence (or the author's other messages), every relation made by cues names them."""
    with sqlite3.connect(rules_db) as connection:
        claims = connection.execute("SELECT signals FROM claims").fetchall()
        positions = connection.execute("SELECT basis, signals, evidence FROM message_positions").fetchall()
        relations = connection.execute("SELECT label, signals FROM relations").fetchall()
        decisions = connection.execute("SELECT kind, signals FROM decisions").fetchall()
    assert claims and positions and relations and decisions
    assert all(any(s.startswith("rule:") for s in json.loads(row[0])) for row in claims)
    for basis, signals, evidence in positions:
        listed = json.loads(signals)
        if basis == "claims":
            assert evidence and listed and all(s.startswith("rule:") for s in listed)
        else:
            assert listed and listed[0].startswith("structure:")
    explained = [json.loads(s) for label, s in relations if label != "neutral"]
    assert sum(1 for s in explained if s) >= 0.8 * len(explained)
    assert all(json.loads(s) for _, s in decisions)


def test_export_leaves_out_the_claims_below_the_cutoff(gold_db: Path, tmp_path: Path) -> None:
    thread_id = biggest_thread(gold_db)

    def claims(*extra: str) -> list[float]:
        target = tmp_path / f"graph{len(extra)}.json"
        result = CliRunner().invoke(cli, ["export", thread_id, "--db", str(gold_db), "--format", "json",
                                          "-o", str(target), *extra])
        assert result.exit_code == 0, result.output
        graph = json.loads(target.read_text())
        return [n["confidence"] for n in graph["nodes"] if n.get("kind") == "claim"]

    every, kept = claims(), claims("--min-confidence", "0.8")
    assert kept and all(c >= 0.8 for c in kept)
    with sqlite3.connect(gold_db) as connection:
        stored_below = connection.execute("SELECT count(*) FROM claims WHERE confidence < 0.8 AND thread_id = ?",
                                          (thread_id,)).fetchone()[0]
    assert stored_below > 0 and len(every) - len(kept) == stored_below
