"""The analysis commands end to end: label, eval, analyze and train, and their errors."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.analysis.catalogue import load_taxonomy
from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.cli import app
from analyzer.nlp.annotate import Annotator, BlockMarks, TextBlock
from tests.conftest import CORPUS, analysis_records, require_shared

runner = CliRunner()
TAXONOMY = load_taxonomy()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_label_writes_one_gold_format_line_per_message(tmp_path: Path) -> None:
    out = tmp_path / "kvm.jsonl"
    _run("label", str(CORPUS / "kvm.mbox"), "-o", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [line["message_id"] for line in lines]
    assert len(ids) == len(set(ids)) == 23
    positions = set(TAXONOMY.position_ids)
    for line in lines:
        assert set(line) >= {"message_id", "positions", "behaviours", "relation", "decisions"}
        assert all(p["position"] in positions and p["stance"] in ("for", "against") for p in line["positions"])
        assert set(line["decisions"]) <= set(TAXONOMY.decision_ids)
        if line["relation"] is not None:
            assert line["relation"]["to"] in ids
            assert line["relation"]["label"] in ("agree", "disagree", "mixed", "neutral")
    parents = {
        (m["Message-ID"] or "").strip().strip("<>"): (m["In-Reply-To"] or "").strip().strip("<>")
        for m in mailbox.mbox(str(CORPUS / "kvm.mbox"))
    }
    for line in lines:
        # a reply gets a relation exactly when its parent is in the file
        assert (line["relation"] is not None) == (parents[line["message_id"]] in ids)
    assert any(line["positions"] for line in lines)
    assert any("accepted" in line["decisions"] for line in lines), "the corpus has an 'Applied, thanks'"


GOLD_FLOORS = {
    # The rules alone, a little under their measured figures on the threads they were tuned on
    # (docs/analysis.md): a regression check, not evidence of quality (that is `eval --cv`).
    "kvm-guest-visible-compat-2026-05": {"positions": 0.65, "behaviours": 0.9, "decisions": 0.85, "relations": 0.75},
    "kvmarm-ccsidr-associativity-invariant-regs": {"positions": 0.7, "behaviours": 0.9, "decisions": 0.85, "relations": 0.8},
    "kvm-x86-ept-ignore-guest-pat-quirk-v1": {"positions": 0.7, "behaviours": 0.9, "decisions": 0.9, "relations": 0.8},
    "kvm-arm64-vgic-iidr-rev1-2026-05": {"positions": 0.9, "behaviours": 0.9, "decisions": 0.9, "relations": 0.9},
}


@pytest.mark.parametrize("thread", sorted(GOLD_FLOORS))
def test_eval_on_real_gold_threads(thread: str) -> None:
    gold = require_shared("gold", f"{thread}.gold.jsonl")
    scores = json.loads(_run("eval", str(gold), "--mbox", str(gold.with_name(f"{thread}.mbox")), "--method", "rules", "--json"))
    assert set(scores) >= {"positions", "positions_any_stance", "behaviours", "relations", "decisions"}
    for key in ("positions", "positions_any_stance", "behaviours", "decisions"):
        assert set(scores[key]) >= {"precision", "recall", "f1"}
    assert set(scores["relations"]) >= {"accuracy", "macro_f1"}
    floors = GOLD_FLOORS[thread]
    print(thread, {k: scores[k].get("f1", scores[k].get("accuracy")) for k in scores})
    assert scores["positions"]["f1"] >= floors["positions"]
    assert scores["behaviours"]["f1"] >= floors["behaviours"]
    assert scores["decisions"]["f1"] >= floors["decisions"]
    assert scores["relations"]["accuracy"] >= floors["relations"]


def test_eval_of_saved_predictions_equals_eval_of_the_mbox(tmp_path: Path) -> None:
    gold = require_shared("gold", "kvmarm-ccsidr-associativity-invariant-regs.gold.jsonl")
    mbox = gold.with_name("kvmarm-ccsidr-associativity-invariant-regs.mbox")
    predictions = tmp_path / "p.jsonl"
    _run("label", str(mbox), "-o", str(predictions))
    direct = json.loads(_run("eval", str(gold), "--mbox", str(mbox), "--json"))
    saved = json.loads(_run("eval", str(gold), "--predictions", str(predictions), "--json"))
    assert direct == saved
    table = _run("eval", str(gold), "--predictions", str(predictions))
    assert "positions_any_stance" in table and "macro-F1" in table


def test_a_failure_an_earlier_run_recorded_keeps_the_exit_status_1_until_retried(tmp_path: Path) -> None:
    """Exit 0 means the store's results are complete: a message an earlier run could not
    analyse (recorded, its input unchanged, so not tried again) still makes a re-run exit
    1 and say so; --retry-failed reads its thread again and, the fault gone (as memory
    running out would be), clears it."""
    db = tmp_path / "s.db"
    _run("ingest", str(CORPUS / "kvm.mbox"), "--db", str(db), "--json")
    _run("analyze", "--db", str(db), "--method", "rules", "--json")
    with sqlite3.connect(db) as con:
        message_id, thread_id = con.execute(
            "SELECT message_id, thread_id FROM claims ORDER BY message_id LIMIT 1").fetchone()
        con.execute("DELETE FROM claims WHERE message_id = ?", (message_id,))
        con.execute("INSERT INTO stage_failures(stage, message_id, thread_id, reason, detail, version) "
                    "VALUES ('analyze', ?, ?, 'MemoryError', '', 'earlier')", (message_id, thread_id))
    again = runner.invoke(app, ["analyze", "--db", str(db), "--method", "rules", "--json"])
    assert again.exit_code == 1, again.output
    assert json.loads(again.stdout)["analysed"] == 0 and json.loads(again.stdout)["outstanding"] == 1
    assert "1 messages were recorded as not segmented or analysed by earlier runs" in again.stderr
    assert "--retry-failed" in again.stderr
    retried = json.loads(_run("analyze", "--db", str(db), "--method", "rules", "--json", "--retry-failed"))
    assert (retried["analysed"], retried["failed"], retried["outstanding"]) == (1, 0, 0)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM stage_failures").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM claims WHERE message_id = ?", (message_id,)).fetchone()[0] > 0
    assert json.loads(_run("analyze", "--db", str(db), "--method", "rules", "--json"))["analysed"] == 0


def test_structure_exits_1_while_a_message_an_earlier_run_could_not_segment_remains(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _run("ingest", str(CORPUS / "kvm.mbox"), "--db", str(db), "--json")
    _run("structure", "--db", str(db), "--json")
    with sqlite3.connect(db) as con:
        message_id, thread_id = con.execute("SELECT message_id, thread_id FROM thread_members LIMIT 1").fetchone()
        con.execute("INSERT INTO stage_failures(stage, message_id, thread_id, reason, detail, version) "
                    "VALUES ('segment', ?, ?, 'ValueError', '', 'earlier')", (message_id, thread_id))
    again = runner.invoke(app, ["structure", "--db", str(db), "--json"])
    assert again.exit_code == 1, again.output
    assert json.loads(again.stdout)["failed"] == 0
    assert "1 messages were recorded as not segmented by earlier runs" in again.stderr


def test_structure_retry_failed_clears_a_segmentation_failure_once_the_fault_is_gone(tmp_path: Path) -> None:
    """A message of a real thread the segmenter failed on (the machine's fault: the same
    segmenter passes now) keeps `structure` at exit 1, naming --retry-failed;
    `structure --retry-failed` segments its thread again, clears it and exits 0."""
    from analyzer.store.db import Store
    from analyzer.store.structure import load_segmentation, rebuild_structure
    from tests.dashboard_store import archive_mbox
    from tests.test_fault_inputs import _MachineFaultOn

    mbox = archive_mbox(require_shared("archives", "kvmarm-columbia-0.git"), tmp_path / "real.mbox", 60)
    db = tmp_path / "s.db"
    _run("ingest", str(mbox), "--db", str(db), "--json")
    with sqlite3.connect(db) as con:
        (message_id,) = con.execute("SELECT message_id FROM messages ORDER BY id LIMIT 1 OFFSET 7").fetchone()
    flaky = _MachineFaultOn(message_id)
    with Store.open(db) as store:
        assert rebuild_structure(store, segmenter=flaky).failed == 1
    again = runner.invoke(app, ["structure", "--db", str(db), "--json"])
    assert again.exit_code == 1, again.output
    assert json.loads(again.stdout)["segmented"] == 0
    assert "1 messages were recorded as not segmented by earlier runs" in again.stderr
    assert "`analyzer structure --retry-failed` tries them again" in " ".join(again.stderr.split())
    retried = runner.invoke(app, ["structure", "--db", str(db), "--json", "--retry-failed", "-j", "1"])
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["failed"] == 0 and json.loads(retried.stdout)["segmented"] >= 1
    with Store.open(db) as store:
        assert store.connection.execute("SELECT count(*) FROM stage_failures").fetchone()[0] == 0
        assert load_segmentation(store, message_id) is not None
    assert runner.invoke(app, ["structure", "--db", str(db), "--json"]).exit_code == 0


class _AnnotatorFailingFor(Annotator):
    """The project's pipeline, failing on one message's blocks (a fault of the machine:
    nothing tells a re-run the input changed)."""

    def __init__(self, annotator: Annotator, message_id: str) -> None:
        super().__init__(annotator.nlp)
        self._bad = message_id

    def annotate(self, blocks: Sequence[TextBlock]) -> list[BlockMarks]:
        if any(b.message_id == self._bad for b in blocks):
            raise MemoryError("out of memory while analysing")
        return super().annotate(blocks)


def test_analyze_retry_failed_segments_then_analyses_again_what_faults_left_undone(tmp_path: Path) -> None:
    """Real mail, one message the segmenter failed on and one of another thread the
    analysis failed on (faults of the machine, gone now): `analyze` exits 1 naming
    `analyze --retry-failed`, which segments the first message's thread again (the code of
    `structure --retry-failed`), analyses both threads again and exits 0, the store then
    holding record for record what a run without faults stores."""
    from analyzer.analyze import analyze_store
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from analyzer.store.db import Store
    from analyzer.store.structure import load_segmentation, rebuild_structure
    from analyzer.workflow import analysis_fingerprint
    from tests.dashboard_store import archive_mbox
    from tests.test_fault_inputs import _MachineFaultOn

    mbox = archive_mbox(require_shared("archives", "kvmarm-columbia-0.git"), tmp_path / "real.mbox", 60)
    clean, db = tmp_path / "clean.db", tmp_path / "s.db"
    for target in (clean, db):
        _run("ingest", str(mbox), "--db", str(target), "--json")
    _run("analyze", "--db", str(clean), "--method", "rules", "--json", "-j", "1")
    with Store.open(db) as store:
        unsegmented = store.connection.execute("SELECT message_id FROM messages ORDER BY id LIMIT 1 OFFSET 7").fetchone()[0]
        assert rebuild_structure(store, segmenter=_MachineFaultOn(unsegmented), jobs=1).failed == 1
        threads = dict(store.connection.execute("SELECT message_id, thread_id FROM thread_members"))
        unanalysed = next(m for m, t in sorted(threads.items()) if t != threads[unsegmented])
        failing = _AnnotatorFailingFor(Annotator(build_pipeline(PipelineSettings())), unanalysed)
        report = analyze_store(store, failing, pipeline_fingerprint=analysis_fingerprint("rules", "rules", PipelineSettings()))
        assert report.failed == 1
    again = runner.invoke(app, ["analyze", "--db", str(db), "--method", "rules", "--json", "-j", "1"])
    assert again.exit_code == 1, again.output
    assert (json.loads(again.stdout)["analysed"], json.loads(again.stdout)["outstanding"]) == (0, 2)
    assert "`analyzer analyze --retry-failed` (segmentation, then analysis) tries them again" in " ".join(
        again.stderr.split())
    retried = runner.invoke(app, ["analyze", "--db", str(db), "--method", "rules", "--json", "-j", "1", "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    done = json.loads(retried.stdout)
    assert (done["structure"]["segmented"] >= 1, done["structure"]["failed"]) == (True, 0)
    assert (done["analysed"], done["failed"], done["outstanding"]) == (2, 0, 0)
    with Store.open(db) as store:
        assert store.connection.execute("SELECT count(*) FROM stage_failures").fetchone()[0] == 0
        assert load_segmentation(store, unsegmented) is not None
    assert analysis_records(db, row_ids=False) == analysis_records(clean, row_ids=False)
    assert runner.invoke(app, ["analyze", "--db", str(db), "--method", "rules", "--json", "-j", "1"]).exit_code == 0


def test_analyze_stores_traceable_results_and_is_incremental(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _run("ingest", str(CORPUS / "kvm.mbox"), str(CORPUS / "kvmarm.mbox"), "--db", str(db), "--json")
    first = json.loads(_run("analyze", "--db", str(db), "--json"))
    assert (first["threads"], first["analysed"], first["messages"]) == (4, 4, 42)
    again = json.loads(_run("analyze", "--db", str(db), "--json"))
    assert (again["analysed"], again["unchanged"]) == (0, 4)
    forced = json.loads(_run("analyze", "--db", str(db), "--json", "--force"))
    assert forced["analysed"] == 4
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT c.start, c.end, c.text, m.body FROM claims c JOIN messages m USING (message_id)"
        ).fetchall()
        assert rows, "the sample corpus argues positions"
        for start, end, text, body in rows:
            assert body[start:end] == text, "offsets point at exactly the claim's text"
        evidence = con.execute(
            "SELECT d.start, d.end, d.evidence, m.body FROM decisions d JOIN messages m USING (message_id)"
        ).fetchall()
        for start, end, text, body in evidence:
            assert body[start:end] == text or text.startswith(("Acked-by", "Reviewed-by", "Tested-by", "Nacked-by"))
        kinds = {row[0] for row in con.execute("SELECT DISTINCT kind FROM mentions")}
        assert "behaviour" in kinds
        assert con.execute("SELECT count(*) FROM decisions WHERE kind = 'accepted'").fetchone()[0] >= 1
        replies = 42 - 4 - 1  # every message but the 4 roots and the one whose parent is missing
        assert con.execute("SELECT count(*) FROM relations WHERE quote_index IS NULL").fetchone()[0] == replies


def test_train_is_reproducible_and_the_model_plugs_in(tmp_path: Path) -> None:
    data = tmp_path / "positions.jsonl"
    examples = [
        {"text": "Userspace must be able to restore the old behaviour after an upgrade.", "positions": [{"position": "pin-previous-behaviour", "stance": "for"}]},
        {"text": "We will not keep old behaviour around forever.", "positions": [{"position": "pin-previous-behaviour", "stance": "against"}]},
        {"text": "Show me a guest that breaks first.", "positions": [{"position": "evidence-required", "stance": "for"}]},
        {"text": "This moves the helper into its own file.", "positions": []},
    ] * 3
    data.write_text("\n".join(json.dumps(e) for e in examples))
    for name in ("a", "b"):
        _run("train-sentences", "--data", str(data), "-o", str(tmp_path / name), "--epochs", "3")
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline

    sentence = "Userspace must be able to restore the old behaviour."
    cats = [
        build_pipeline(PipelineSettings(behaviours=False, positions="model", model_dir=tmp_path / n)).get_pipe(
            "mlpa_position_model_v1"
        ).classifier(sentence).cats  # type: ignore[attr-defined]
        for n in ("a", "b")
    ]
    assert cats[0] == cats[1]
    assert max(cats[0], key=cats[0].get) == "pin-previous-behaviour/for"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["label", "/nonexistent/thread.mbox"], "no such file"),
        (["eval", "/nonexistent/gold.jsonl"], "exactly one of --mbox"),
        (["eval", "/nonexistent/gold.jsonl", "--mbox", "x.mbox"], "no such gold file"),
        (["label", str(CORPUS / "kvm.mbox"), "--positions", "guess"], "choose rules, model or both"),
        (["label", str(CORPUS / "kvm.mbox"), "--catalogue", "/nonexistent.yaml"], "nonexistent.yaml"),
    ],
)
def test_mistakes_get_one_line_that_says_what_to_do(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_analyze_on_an_empty_database_says_to_ingest_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 2
    assert "analyzer ingest" in result.output


def test_the_taxonomy_given_is_the_one_the_rules_must_speak(tmp_path: Path) -> None:
    import yaml

    from analyzer.nlp.factories import DATA

    data = yaml.safe_load((DATA / "taxonomy.yaml").read_text(encoding="utf-8"))
    data["positions"] = [p for p in data["positions"] if p["id"] != "bug-for-bug"]
    narrower = tmp_path / "taxonomy.yaml"
    narrower.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["label", str(CORPUS / "kvm.mbox"), "--taxonomy", str(narrower)])
    assert result.exit_code == 2
    assert "'bug-for-bug' is not one of" in " ".join(result.output.split())
    # The packaged taxonomy, given explicitly, labels as the default does.
    same = runner.invoke(app, ["label", str(CORPUS / "kvm.mbox"), "--taxonomy", str(DATA / "taxonomy.yaml")])
    assert same.exit_code == 0 and same.stdout == _run("label", str(CORPUS / "kvm.mbox"))


def test_label_leaves_out_only_the_message_the_reading_fails_on() -> None:
    from analyzer.analysis.label import gold_lines, label_threads, thread_inputs, unique_messages
    from analyzer.analysis.thread import rules_reader
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from tests.factories import msg, reply

    annotator = Annotator(build_pipeline(PipelineSettings()))
    rules = rules_reader(annotator)

    def fails_on_b(thread: ThreadInput) -> ThreadAnalysis:
        if any(m.message_id == "b@x" for m in thread.messages):
            raise ValueError("cannot read b")
        return rules(thread)

    root = msg("a@x", body="We must keep the old behaviour selectable.\n")
    messages = [root, reply(root, "b@x", body="No.\n"), reply(root, "c@x", body="Agreed.\n")]
    (labelled,) = label_threads(thread_inputs(unique_messages(messages)), annotator, reader=fails_on_b)
    assert [mid for mid, _ in labelled.failed] == ["b@x"]
    assert "cannot read b" in labelled.failed[0][1]
    assert sorted(line.message_id for line in gold_lines(labelled, catalogue_kinds={})) == ["a@x", "c@x"]
