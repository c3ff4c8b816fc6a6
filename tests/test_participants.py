"""Participant summaries come from the stored records of a real run on the sample corpus."""

from __future__ import annotations

from pathlib import Path

from analyzer.analysis.participants import participant_summaries
from analyzer.store.db import Store
from analyzer.store.debate import load_debate
from analyzer.workflow import update_store
from tests.conftest import CORPUS


def test_summaries_match_the_stored_messages_and_positions(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        update_store(store, [(str(CORPUS / "kvm.mbox"), "auto"), (str(CORPUS / "kvmarm.mbox"), "auto")])
        debate = load_debate(store)
    summaries = participant_summaries(debate)
    assert sum(s.messages for s in summaries) == len(debate.messages) == 42
    assert [s.messages for s in summaries] == sorted((s.messages for s in summaries), reverse=True)
    for summary in summaries:
        mine = [m for m in debate.messages.values() if m.author_id == summary.person_id]
        dates = sorted(m.date for m in mine if m.date)
        assert (summary.first_date, summary.last_date) == (dates[0], dates[-1])
        for record in summary.positions:
            holders = [
                m for m in mine
                if any((p.position, p.stance) == (record.position, record.stance) for p in debate.analyses[m.message_id].positions)
            ]
            assert record.messages == len(holders)
            assert record.first_message_id in {m.message_id for m in holders}
            assert 0 <= record.from_claims <= record.messages
    assert any(s.positions for s in summaries), "somebody argues something in the sample corpus"
