"""Threading: short stories for each rule, Hypothesis invariants, and the gold threads."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.records import Message
from analyzer.store.db import Store
from analyzer.store.structure import load_threads, rebuild_structure
from analyzer.thread.records import Thread, ThreadingHeaders
from analyzer.thread.tree import (
    ancestors_of,
    build_threads,
    thread_messages,
    thread_signature,
)
from tests.conftest import require_shared
from tests.factories import msg, reply


def headers(*messages: Message) -> list[ThreadingHeaders]:
    return [ThreadingHeaders(m.message_id, m.subject, m.in_reply_to, m.references, m.date) for m in messages]


def shape(thread: Thread) -> list[str]:
    """``  id`` lines indented by depth, ``?`` marking placeholders, ``~`` subject links."""
    return [
        "  " * m.depth + m.message_id + ("?" if m.placeholder else "") + ("~" if m.linked_by_subject else "")
        for m in thread.members
    ]


def test_replies_nest_under_their_parents_with_siblings_by_date() -> None:
    root = msg("root")
    late = reply(root, "late", date="2026-05-12T10:00:00+00:00")
    early = reply(root, "early", date="2026-05-12T09:00:00+00:00")
    answer = reply(early, "answer")
    (thread,) = thread_messages(headers(late, answer, root, early))
    assert shape(thread) == ["root", "  early", "    answer", "  late"]
    assert thread.first_date == root.date and thread.last_date == late.date


def test_missing_parent_becomes_a_placeholder_so_the_thread_stays_whole() -> None:
    root = msg("root")
    lost = reply(root, "lost")
    child = reply(lost, "child")
    grandchild = reply(child, "grandchild")
    (thread,) = thread_messages(headers(root, child, grandchild))
    assert shape(thread) == ["root", "  lost?", "    child", "      grandchild"]
    assert thread.message_ids == ("root", "child", "grandchild")
    assert ancestors_of(thread)["grandchild"] == ("child", "lost", "root")


def test_missing_root_gives_the_thread_a_placeholder_id() -> None:
    root = msg("never-archived", subject="[PATCH] KVM: arm64: Fix it")
    a = reply(root, "a")
    b = reply(root, "b")
    (thread,) = thread_messages(headers(b, a))
    assert thread.thread_id == "never-archived" and shape(thread) == ["never-archived?", "  a", "  b"]
    assert thread.root_subject == "[PATCH] KVM: arm64: Fix it"


def test_in_reply_to_decides_when_references_disagree() -> None:
    root = msg("root")
    other = reply(root, "other")
    confused = msg("confused", in_reply_to="other", references=("root", "stale"))
    (thread,) = thread_messages(headers(root, other, confused))
    assert shape(thread) == ["root", "  other", "    confused"]


def test_reply_without_headers_joins_the_original_by_subject_only() -> None:
    original = msg("orig", subject="[PATCH] KVM: arm64: Fix the LPI leak")
    web_reply = msg("web", subject="RE: [PATCH] KVM: arm64: Fix the LPI leak")
    stranger = msg("stranger", subject="KVM: arm64: Fix the LPI leak")  # not a reply: its own thread
    lonely = msg("lonely", subject="Re: something never archived")
    result = build_threads(headers(original, web_reply, stranger, lonely))
    assert [shape(t) for t in result.threads] == [["orig", "  web~"], ["stranger"], ["lonely"]]
    assert result.subject_links == 1


def test_subject_grouping_picks_the_latest_original_before_the_reply() -> None:
    first = msg("first", subject="KVM: x86: PAT quirk", date="2026-01-01T00:00:00+00:00")
    again = msg("again", subject="KVM: x86: PAT quirk", date="2026-02-01T00:00:00+00:00")
    answer = msg("answer", subject="Re: KVM: x86: PAT quirk", date="2026-02-02T00:00:00+00:00")
    threads = thread_messages(headers(answer, again, first))
    assert [shape(t) for t in threads] == [["first"], ["again", "  answer~"]]


def test_a_cycle_in_references_is_cut_at_its_oldest_message() -> None:
    a = msg("a", references=("b",), in_reply_to="b", date="2026-05-01T00:00:00+00:00")
    b = msg("b", references=("a",), in_reply_to="a", date="2026-05-02T00:00:00+00:00")
    c = msg("c", references=("a", "b"), in_reply_to="b", date="2026-05-03T00:00:00+00:00")
    result = build_threads(headers(c, b, a))
    assert [shape(t) for t in result.threads] == [["a", "  b", "    c"]]
    assert result.cycles_broken == 1


def test_a_message_referencing_itself_is_a_root() -> None:
    (thread,) = thread_messages(headers(msg("self", in_reply_to="self", references=("self",))))
    assert shape(thread) == ["self"]


def test_duplicates_thread_once_and_signature_follows_shape() -> None:
    root = msg("root")
    child = reply(root, "child")
    (once,) = thread_messages(headers(root, child, root))
    assert once.message_ids == ("root", "child")
    (grown,) = thread_messages(headers(root, child, reply(child, "more")))
    assert thread_signature(once) != thread_signature(grown)
    assert thread_signature(once) == thread_signature(thread_messages(headers(child, root))[0])


# -- invariants ----------------------------------------------------------------------

_IDS = [f"m{i}" for i in range(12)]


@st.composite
def corpora(draw: st.DrawFn) -> list[ThreadingHeaders]:
    """Messages referencing any ids of a small pool, present or not, in any order: loops,
    self-references, duplicates and contradictions included."""
    present = draw(st.lists(st.sampled_from(_IDS), min_size=1, max_size=len(_IDS)))
    corpus = []
    for message_id in present:
        message = msg(
            message_id,
            subject=draw(st.sampled_from(["KVM: x", "Re: KVM: x", "[PATCH] y", "Re: [PATCH] y"])),
            in_reply_to=draw(st.none() | st.sampled_from([*_IDS, "gone1"])),
            references=tuple(draw(st.lists(st.sampled_from([*_IDS, "gone1", "gone2"]), max_size=4))),
            date=draw(st.none() | st.dates().map(lambda d: d.isoformat())),
        )
        (h,) = headers(message)
        undated = draw(st.booleans())  # the factory dates every message; real mail may have none
        corpus.append(dataclasses.replace(h, date=None) if undated else h)
    return corpus


def _every_present_once(threads: Iterable[Thread], corpus: list[ThreadingHeaders]) -> bool:
    seen = Counter(m for t in threads for m in t.message_ids)
    return set(seen) == {h.message_id for h in corpus} and set(seen.values()) == {1}


@settings(max_examples=300, deadline=None)
@given(corpus=corpora())
def test_threading_invariants(corpus: list[ThreadingHeaders]) -> None:
    threads = thread_messages(corpus)
    assert _every_present_once(threads, corpus)
    present = {h.message_id for h in corpus}
    all_nodes = Counter(m.message_id for t in threads for m in t.members)
    assert set(all_nodes.values()) == {1}  # a placeholder too belongs to one thread only
    for thread in threads:
        position = {m.message_id: i for i, m in enumerate(thread.members)}
        depth = {m.message_id: m.depth for m in thread.members}
        root = thread.members[0]
        assert root.parent_id is None and root.message_id == thread.thread_id and root.depth == 0
        for member in thread.members[1:]:
            assert member.parent_id is not None and position[member.parent_id] < position[member.message_id]
            assert member.depth == depth[member.parent_id] + 1
        for member in thread.members:
            assert member.placeholder == (member.message_id not in present)
        assert not any(m.placeholder for m in thread.members if not _has_present_below(thread, m.message_id))


def _has_present_below(thread: Thread, node: str) -> bool:
    lineage = ancestors_of(thread)
    return any(node in lineage[m] for m in thread.message_ids) or node in thread.message_ids


@settings(max_examples=100, deadline=None)
@given(corpus=corpora(), data=st.data())
def test_threading_does_not_depend_on_input_order(corpus: list[ThreadingHeaders], data: st.DataObject) -> None:
    unique = list({h.message_id: h for h in reversed(corpus)}.values())  # one copy per id
    assert thread_messages(unique) == thread_messages(data.draw(st.permutations(unique)))


# -- gold threads ----------------------------------------------------------------------

GOLD_THREADS = {
    "kvm-guest-visible-compat-2026-05.mbox": 1,
    "kvm-arm64-vgic-iidr-rev1-2026-05.mbox": 1,
    "kvmarm-ccsidr-associativity-invariant-regs.mbox": 1,
    "kvm-x86-ept-ignore-guest-pat-quirk-v1.mbox": 1,
}


def test_each_gold_mbox_threads_into_one_tree(tmp_path: Path) -> None:
    gold = require_shared("gold")
    found: dict[str, int] = {}
    for name in GOLD_THREADS:
        with Store.open(tmp_path / f"{name}.db") as store:
            ingest(store, [(str(gold / name), "mbox")], IngestOptions(jobs=1))
            rebuild_structure(store, segment=False)
            threads = load_threads(store)
            stored = [ThreadingHeaders(m.message_id, "", None, (), None) for m in store.messages()]
            assert _every_present_once(threads, stored)
            found[name] = len(threads)
    assert found == GOLD_THREADS
