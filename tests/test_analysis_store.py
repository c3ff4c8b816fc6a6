"""Analysis records round-trip through the store with their evidence and signals."""

from __future__ import annotations

from pathlib import Path

from analyzer.analysis.records import Claim, Decision, Mention, MessageAnalysis, PositionTaken, Relation, ThreadAnalysis
from analyzer.store.analysis import load_analyses, save_thread_analysis
from analyzer.store.db import Store


def test_every_label_keeps_its_signals_and_evidence(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    analysis = MessageAnalysis(
        message_id="m1@example.org",
        claims=(Claim("m1@example.org", "quirks-opt-out", "for", 0.8, 3, 20, "add a quirk", ("model:positions 0.80",)),),
        positions=(
            PositionTaken("quirks-opt-out", "for", 0.8, "model", "add a quirk", 3, 20, ("model:positions 0.80", "rule:q.add")),
        ),
        mentions=(Mention("m1@example.org", "behaviour", "KVM_CAP_X", 0, 9, "KVM_CAP_X", 0.7, ("model:behaviours 0.70",)),),
        relations=(Relation("m1@example.org", "m0@example.org", "disagree", 0.6, signals=("structure:same-author",)),),
        decisions=(Decision("m1@example.org", "endorsed", "A", None, 0.9, 30, 40, "Acked-by: A", ("structure:trailer",)),),
    )
    save_thread_analysis(store, ThreadAnalysis("t1", (analysis,)), "fp")
    loaded = load_analyses(store)["m1@example.org"]
    assert loaded == analysis
