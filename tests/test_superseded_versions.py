"""A new version of a series withdraws the one it replaces: a `withdrawn` decision on the new
posting, its evidence the change-log line naming the old version — in `label` and in the
store, where the old version may arrive after the new one."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from analyzer.analysis.decisions import Actor, superseding
from analyzer.analysis.inputs import PreviousVersion
from analyzer.cli import app
from tests.conftest import CORPUS

runner = CliRunner()
V1_ROOT = "20260505021233.88412-1-weilin.chen@example.com"
V2_ROOT = "20260520073102.40917-1-weilin.chen@example.com"
AUTHOR = Actor(name="Wei-Lin Chen", date="2026-05-20T07:31:02+00:00", roles=frozenset({"author"}))


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_change_log_line_that_starts_from_the_replaced_version_is_the_evidence() -> None:
    body = "Cover text.\n\nv2 -> v3:\n - rename\n\n  v3 -> v4:\n - rebase\n\nv3: https://lore.kernel.org/all/x/\n"
    decision = superseding("v4@x", body, "[PATCH v4 0/2] thing", PreviousVersion("v3@x", 3, "[PATCH v3 0/2] thing"), AUTHOR)
    assert (decision.kind, decision.actor, decision.date) == ("withdrawn", "Wei-Lin Chen", AUTHOR.date)
    assert decision.evidence == "v3 -> v4:"
    assert body[decision.start : decision.end] == decision.evidence


def test_without_a_change_log_the_subject_says_what_is_replaced() -> None:
    decision = superseding("v2@x", "Just the patch.\n", "[PATCH v2] thing", PreviousVersion("v1@x", 1, "[PATCH] thing"), AUTHOR)
    assert (decision.start, decision.end) == (0, 0)
    assert decision.evidence == "[PATCH v2] thing (replaces v1)"
    assert decision.confidence < superseding("v2@x", "Changes since v1:\n", "s", PreviousVersion("v1@x", 1, "s"), AUTHOR).confidence


def test_label_marks_the_new_posting_not_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "kvm.jsonl"
    _run("label", str(CORPUS / "kvm.mbox"), "-o", str(out))
    lines = {line["message_id"]: line for line in map(json.loads, out.read_text().splitlines())}
    assert "withdrawn" in lines[V2_ROOT]["decisions"]
    assert "withdrawn" not in lines[V1_ROOT]["decisions"]


def _split_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """The sample's v1 thread and everything else, as two mbox files."""
    source = mailbox.mbox(str(CORPUS / "kvm.mbox"))
    v1_ids = {V1_ROOT}
    messages = list(source)
    for message in messages:  # the file is in date order: parents come first
        if (message["In-Reply-To"] or "").strip().strip("<>") in v1_ids:
            v1_ids.add((message["Message-ID"] or "").strip().strip("<>"))
    old, rest = mailbox.mbox(str(tmp_path / "v1.mbox")), mailbox.mbox(str(tmp_path / "rest.mbox"))
    for message in messages:
        (old if (message["Message-ID"] or "").strip().strip("<>") in v1_ids else rest).add(message)
    old.flush()
    rest.flush()
    return tmp_path / "v1.mbox", tmp_path / "rest.mbox"


def test_an_old_version_ingested_later_still_makes_the_new_one_withdraw_it(tmp_path: Path) -> None:
    v1, rest = _split_corpus(tmp_path)
    db = tmp_path / "s.db"
    _run("ingest", str(rest), "--db", str(db), "--json")
    _run("analyze", "--db", str(db), "--json")
    query = "SELECT d.evidence, d.start, d.end, m.body FROM decisions d JOIN messages m USING (message_id) WHERE d.kind = 'withdrawn' AND d.message_id = ?"
    with sqlite3.connect(db) as con:
        assert con.execute(query, (V2_ROOT,)).fetchall() == [], "no earlier version known yet"
    _run("ingest", str(v1), "--db", str(db), "--json")
    report = json.loads(_run("analyze", "--db", str(db), "--json"))
    assert report["analysed"] == 2, "the new v1 thread, and the v2 thread whose posting now replaces it"
    with sqlite3.connect(db) as con:
        [(evidence, start, end, body)] = con.execute(query, (V2_ROOT,)).fetchall()
    assert evidence == "Changes since v1:" == body[start:end]


def test_the_timeline_says_the_previous_version_was_superseded(tmp_path: Path) -> None:
    from analyzer.store.db import Store
    from analyzer.store.debate import load_debate
    from analyzer.timeline.build import thread_timeline

    db = tmp_path / "s.db"
    _run("ingest", str(CORPUS / "kvm.mbox"), "--db", str(db), "--json")
    _run("analyze", "--db", str(db), "--json")
    store = Store.open(db)
    timeline = thread_timeline(load_debate(store, [V2_ROOT]), V2_ROOT)
    [event] = [e for e in timeline.of_kind("decision") if e.message_id == V2_ROOT]
    assert event.label == "previous version superseded by Wei-Lin Chen"
    assert event.detail == "Changes since v1:"


def test_a_resend_or_a_misdated_lower_version_replaces_nothing() -> None:
    from analyzer.analysis.inputs import previous_versions
    from analyzer.thread.records import SeriesVersion

    def version(n: int, root: str, following: str | None) -> SeriesVersion:
        return SeriesVersion("s", n, root, root, f"[PATCH v{n}] x", "a@x", None, following)

    series = [version(2, "v2@x", "resend@x"), version(2, "resend@x", "v3@x"), version(3, "v3@x", "v1-late@x"), version(1, "v1-late@x", None)]
    assert {new: old.message_id for new, old in previous_versions(series).items()} == {"v3@x": "resend@x"}
