"""Thread and corpus decision timelines of the synthetic GICD_IIDR debate."""

from __future__ import annotations

from dataclasses import replace

from analyzer.debate import MergedCommit
from analyzer.graph.ids import message_node
from analyzer.timeline.build import corpus_timeline, kinds_present, merged_label, thread_timeline
from tests.debate_factory import V1_ID, V2_ID, DebateBuilder, sample_debate


def test_thread_timeline_has_messages_positions_decisions_versions_and_commit() -> None:
    timeline = thread_timeline(sample_debate(), V2_ID)
    assert kinds_present(timeline) == ("version", "message", "position", "decision", "commit")
    assert [e.message_id for e in timeline.of_kind("message")] == [V2_ID, "ack.4@example.org", "apply.5@example.org"]
    assert [e.label for e in timeline.of_kind("commit")] == ["merged as 4b1d2c3e5f60 in v6.19"]
    decisions = [e.label for e in timeline.of_kind("decision")]
    assert decisions == ["previous version superseded by Sam Ortiz", "ack/review by Oliver Quill", "applied by Morgan Keel",
                         "policy ruling by Morgan Keel"]


def test_events_are_in_date_order_with_the_commit_last() -> None:
    events = thread_timeline(sample_debate(), V2_ID).events
    dated = [e.date for e in events if e.date]
    assert dated == sorted(dated)
    assert events[-1].kind == "commit"


def test_versions_of_the_series_show_in_both_threads() -> None:
    debate = sample_debate()
    for thread_id in (V1_ID, V2_ID):
        versions = thread_timeline(debate, thread_id).of_kind("version")
        assert [e.label for e in versions] == ["v1 of 2 posted (superseded)", "v2 of 2 posted"]


def test_a_position_appears_once_per_thread_at_its_first_claim() -> None:
    timeline = thread_timeline(sample_debate(), V1_ID)
    positions = [(e.label, e.person) for e in timeline.of_kind("position")]
    assert positions == [
        ("pin-previous-behaviour first argued (for)", "Sam Ortiz"),
        ("architecture-compliance first argued (for)", "Morgan Keel"),
        ("evidence-required first argued (for)", "Morgan Keel"),
        ("quirks-opt-out first argued (against)", "Oliver Quill"),
        ("userspace-configures first argued (for)", "Oliver Quill"),
    ]
    assert all(e.node_id.startswith("claim:") for e in timeline.of_kind("position"))


def test_corpus_timeline_is_the_cross_thread_decision_timeline() -> None:
    timeline = corpus_timeline(sample_debate())
    assert not timeline.of_kind("message")
    assert {e.thread_id for e in timeline.of_kind("decision")} == {V1_ID, V2_ID}
    assert [e.label for e in timeline.of_kind("decision")][0] == "NAK by Morgan Keel"
    assert len(timeline.of_kind("version")) == 2  # not repeated per thread


def test_undated_messages_sort_last() -> None:
    b = DebateBuilder()
    b.message("a@example.org", author="sam", subject="[PATCH] x", body="Text.\n")
    b.message("b@example.org", author="rita", parent="a@example.org", body="Undated.\n")
    debate = b.build()
    messages = {**debate.messages, "b@example.org": replace(debate.messages["b@example.org"], date=None)}
    timeline = thread_timeline(replace(debate, messages=messages), "a@example.org")
    assert [e.message_id for e in timeline.events] == ["a@example.org", "b@example.org"]
    assert timeline.events[-1].node_id == message_node("b@example.org")


def test_merged_label_without_tag() -> None:
    assert merged_label(MergedCommit("abc" * 14, "s", "m@x", None, None)) == f"merged as {('abc' * 14)[:12]} (not in a release tag yet)"


def test_a_decision_is_shown_with_the_name_of_the_person_it_resolves_to() -> None:
    debate = sample_debate()
    info = debate.messages["apply.5@example.org"]
    analysis = debate.analyses[info.message_id]
    # The analysis records the actor as written in the mail (here: an address); the
    # timeline, like the graph, shows the person that resolves to, not the From name.
    decisions = tuple(replace(d, actor="MORGAN@example.org") for d in analysis.decisions)
    renamed = replace(info, author_name="mkeel (via a list gateway)")
    debate = replace(debate, messages={**debate.messages, info.message_id: renamed},
                     analyses={**debate.analyses, info.message_id: replace(analysis, decisions=decisions)})
    labels = [e.label for e in thread_timeline(debate, V2_ID).of_kind("decision") if e.message_id == info.message_id]
    assert labels and all(label.endswith("by Morgan Keel") for label in labels)
