"""``structure`` redoes only what the mail stored since its last run can change: the
connected components holding a new message (every message a new one names or that names
it, ghost parents arriving late, originals a headerless reply links to), the groups of
postings those or a change of author touch, the people, and the threads to segment
again. What it stores must be, row for row, what a run from scratch of the same store
stores (``rebuild_structure(full=True)`` on a copy), and what structuring all the mail at
once stores, whatever the order and the parts in which mail arrives."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.records import Address, Message
from analyzer.store import series_components, structure, thread_components
from analyzer.store.db import Store
from analyzer.store.structure import StructureSummary, rebuild_structure
from tests.conftest import Rows, ingest_files, require_shared, stored_rows
from tests.dashboard_store import archive_mbox
from tests.factories import msg
from tests.test_structure_components import STRUCTURE_TABLES, stored_structure, whole_store_structure

# What a run writes, compared with a run from scratch of a copy of the same store.
_NOT_COMPARED = {"structure_state", "ingest_runs", "message_index_mark"}
# What does not depend on the order in which rows were stored, compared across stores.
_ORDER_FREE = (
    *STRUCTURE_TABLES, "segmentations", "segment_blocks", "segment_attributions", "segment_quotes", "segment_own",
    "segment_trailers", "thread_people_totals", "thread_cycles",
)


def every_table(store: Store) -> Rows:
    db = store.connection
    names = [
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not r[0].startswith(("messages_fts", "sqlite_")) and r[0] not in _NOT_COMPARED
    ]
    return stored_rows(db, names, column=lambda name: not name.endswith("_at"))


def order_free(store: Store) -> Rows:
    return stored_rows(store.connection, _ORDER_FREE)


def from_scratch(store: Store, folder: Path, *, segment: bool) -> Rows:
    """Every table of a copy of ``store`` structured from scratch."""
    copy = folder / f"scratch-{id(store)}.db"
    copy.unlink(missing_ok=True)
    target = sqlite3.connect(copy)
    store.connection.backup(target)
    target.close()
    with Store.open(copy) as scratch:
        rebuild_structure(scratch, segment=segment, full=True, jobs=1)
        return every_table(scratch)


def _structure(store: Store, *, segment: bool = False) -> StructureSummary:
    return rebuild_structure(store, segment=segment, jobs=1)


# -- generated corpora -----------------------------------------------------------------

_IDS = [f"m{i}@x" for i in range(16)]
_SUBJECTS = [
    "KVM: arm64: frob", "Re: KVM: arm64: frob", "[PATCH 1/2] fix", "[PATCH 2/2] fix", "[PATCH 0/2] fix",
    "[PATCH v2 1/2] fix", "[PATCH v2 0/2] fix", "[PATCH v3 0/2] fix", "Re: [PATCH 1/2] fix", "other", "RE: Other",
    "[PATCH 1/2] alpha", "[PATCH 2/2] beta", "[PATCH v2 2/2] beta", "[PATCH] gamma", "[PATCH v2] gamma",
    "[PATCH] the whole idea",
]
_AUTHORS = [
    ("Ana Lima", "ana@x.org"), ("Ana Lima", "ANA@x.org"), ("Ana Lima", "ana@y.org"), ("Lima, Ana", "al@z.org"),
    ("Bo Chen", "bo@x.org"), ("Bo Chen", "ana@y.org"), ("Cy Dee", "ana@y.org"), ("Cy Dee", "cy@x.org"),
]


@st.composite
def corpora(draw: st.DrawFn) -> list[Message]:
    """Missing and late parents (ids named before they arrive), References cycles,
    headerless replies, patch series in several versions (by cover title, patch titles,
    Change-Id, and patches without References joined within 12 hours), covers without
    ``0/n``, undated mail, and people whose most used address (their id) moves as mail
    arrives."""
    mails = []
    for index, message_id in enumerate(draw(st.lists(st.sampled_from(_IDS), min_size=1, max_size=14, unique=True))):
        references = tuple(draw(st.lists(st.sampled_from([*_IDS, "gone@x", "gone2@x"]), max_size=3)))
        in_reply_to = draw(st.none() | st.sampled_from([*_IDS, "gone@x"]))
        name, email = draw(st.sampled_from(_AUTHORS))
        mail = msg(
            message_id, subject=draw(st.sampled_from(_SUBJECTS)), in_reply_to=in_reply_to, references=references,
            date=draw(st.sampled_from([None, "2026-01-01T00:00:00+00:00", f"2026-01-0{1 + index % 8}T00:00:00+00:00",
                                        f"2026-01-01T{index % 24:02d}:00:00+00:00"])),
            body=draw(st.sampled_from(["text\n", "diff --git a/x b/x\n", "change-id: 1234\n",
                                       "change-id: 1234\ndiff --git a/x b/x\n", "> quoted\n\nanswer\n"])),
        )
        mails.append(dataclasses.replace(mail, author=Address(name=name, email=email)))
    return mails


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mails=corpora(), order=st.randoms(use_true_random=False), cuts=st.lists(st.integers(0, 14), max_size=3),
       batch=st.integers(1, 5))
def test_mail_added_in_parts_in_any_order_is_structured_as_from_scratch(
    mails: list[Message], order: Any, cuts: list[int], batch: int, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(series_components, "BATCH_PATCHES", batch)
    monkeypatch.setattr(thread_components, "BATCH_MESSAGES", batch)
    folder = tmp_path_factory.mktemp("parts")
    shuffled = list(mails)
    order.shuffle(shuffled)
    bounds = [0, *sorted(min(c, len(shuffled)) for c in cuts), len(shuffled)]
    with Store.open(folder / "once.db") as once, Store.open(folder / "parts.db") as parts:
        once.write_batch(mails, [], [], {})
        _structure(once)
        for start, end in zip(bounds, bounds[1:]):
            parts.write_batch(shuffled[start:end], [], [], {})
            summary = _structure(parts)
            assert summary.new_messages == end - start
        assert _structure(parts).components == 0
        assert every_table(parts) == from_scratch(parts, folder, segment=False)
        assert stored_structure(parts) == whole_store_structure(parts)
        assert stored_structure(parts) == stored_structure(once)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mails=corpora(), order=st.randoms(use_true_random=False), cut=st.integers(0, 14))
def test_segments_of_mail_added_in_parts_are_those_from_scratch(
    mails: list[Message], order: Any, cut: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("segments")
    shuffled = list(mails)
    order.shuffle(shuffled)
    with Store.open(folder / "once.db") as once, Store.open(folder / "parts.db") as parts:
        once.write_batch(mails, [], [], {})
        _structure(once, segment=True)
        parts.write_batch(shuffled[:cut], [], [], {})
        _structure(parts, segment=True)
        parts.write_batch(shuffled[cut:], [], [], {})
        _structure(parts, segment=True)
        assert every_table(parts) == from_scratch(parts, folder, segment=True)
        assert order_free(parts) == order_free(once)


# -- the cases by name -----------------------------------------------------------------


def test_a_run_with_nothing_new_processes_nothing(tmp_path: Path) -> None:
    mails = [
        msg("a@x", subject="[PATCH 0/1] KVM: frob"),
        msg("b@x", subject="[PATCH 1/1] KVM: frob it", in_reply_to="a@x", references=("a@x",), body="diff --git a/x b/x\n"),
        msg("c@x", subject="Re: [PATCH 1/1] KVM: frob it", in_reply_to="b@x", references=("a@x", "b@x")),
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(mails, [], [], {})
        first = _structure(store, segment=True)
        assert (first.components, first.new_messages, first.series_groups, first.segmented) == (1, 3, 1, 3)
        before = every_table(store)
        again = _structure(store, segment=True)
        assert (again.components, again.new_messages, again.series_groups, again.segmented) == (0, 0, 0, 0)
        assert (again.threads, again.series_versions, again.people) == (first.threads, first.series_versions, 1)
        assert every_table(store) == before


def test_a_ghost_parent_arriving_joins_two_components(tmp_path: Path) -> None:
    """``g`` was only named (by ``a``'s thread); when it arrives it names ``b``, so the
    two threads become one, though neither received a message of its own."""
    first = [
        msg("a@x", subject="Re: question", in_reply_to="g@x", references=("g@x",)),
        msg("b@x", subject="question"),
        msg("c@x", subject="unrelated"),
    ]
    ghost = msg("g@x", subject="Re: question", in_reply_to="b@x", references=("b@x",))
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(first, [], [], {})
        assert _structure(store).threads == 3
        store.write_batch([ghost], [], [], {})
        summary = _structure(store)
        assert (summary.components, summary.threads) == (1, 2)
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)
        assert stored_structure(store) == whole_store_structure(store)


def test_a_new_version_in_another_thread_supersedes_the_earlier_one(tmp_path: Path) -> None:
    """Series linking across threads by title: the v1 thread receives no mail, but its
    posting is now superseded by v2."""
    diff = "diff --git a/x b/x\n"
    v1 = [msg("v1-0@x", subject="[PATCH 0/1] KVM: frob", date="2026-01-01T00:00:00+00:00"),
          msg("v1-1@x", subject="[PATCH 1/1] KVM: frob it", in_reply_to="v1-0@x", references=("v1-0@x",), body=diff,
              date="2026-01-01T00:01:00+00:00")]
    v2 = [msg("v2-0@x", subject="[PATCH v2 0/1] KVM: frob", date="2026-02-01T00:00:00+00:00"),
          msg("v2-1@x", subject="[PATCH v2 1/1] KVM: frob it", in_reply_to="v2-0@x", references=("v2-0@x",),
              body=diff, date="2026-02-01T00:01:00+00:00")]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(v2, [], [], {})
        _structure(store)
        store.write_batch(v1, [], [], {})  # the older version arrives last
        summary = _structure(store)
        assert summary.components == 1 and summary.series == 1 and summary.series_versions == 2
        superseded = dict(store.connection.execute("SELECT root_message_id, superseded_by FROM series_versions"))
        assert superseded == {"v1-0@x": "v2-0@x", "v2-0@x": None}
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)


def test_a_person_whose_id_moves_is_rewritten_on_every_earlier_message(tmp_path: Path) -> None:
    """A person's id is the address they use most: new mail from their other address
    moves it, on messages (and postings) of threads that received nothing."""
    ana = [msg(f"a{i}@x", subject=f"[PATCH] topic {i}", author="Ana Lima <ana@x.org>", body="diff --git a/x b/x\n")
           for i in range(2)]
    later = [msg(f"b{i}@x", subject=f"other {i}", author="Ana Lima <ana@y.org>") for i in range(3)]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(ana, [], [], {})
        _structure(store)
        store.write_batch(later, [], [], {})
        summary = _structure(store)
        assert summary.components == 3 and summary.people == 1
        assert {r[0] for r in store.connection.execute("SELECT person_id FROM message_authors")} == {"ana@y.org"}
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)


def test_a_posting_a_changed_patch_leaves_is_linked_again(tmp_path: Path) -> None:
    """Two patches sent without References, 3 hours apart, are one posting across two
    threads. A late patch in the first one's thread (dated days before) moves that unit's
    first date away: the second patch, whose thread received nothing, is a posting of
    its own again (the group a changed patch mail was in is relinked, not only its new one)."""
    diff = "diff --git a/x b/x\n"
    first = [msg("x@x", subject="[PATCH 1/2] KVM: one", body=diff, date="2026-01-01T10:00:00+00:00"),
             msg("y@x", subject="[PATCH 2/2] KVM: two", body=diff, date="2026-01-01T13:00:00+00:00")]
    late = msg("z@x", subject="[PATCH 2/2] KVM: other two", body=diff, in_reply_to="x@x", references=("x@x",),
               date="2025-12-28T10:00:00+00:00")
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(first, [], [], {})
        _structure(store)
        assert dict(store.connection.execute("SELECT message_id, root_message_id FROM series_patches")) == {
            "x@x": "x@x", "y@x": "x@x"}
        store.write_batch([late], [], [], {})
        assert _structure(store).components == 1
        assert dict(store.connection.execute("SELECT message_id, root_message_id FROM series_patches"))["y@x"] == "y@x"
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)


def test_a_unit_whose_first_patch_changes_author_gets_its_join_atoms_again(tmp_path: Path) -> None:
    """A person split in two (a third name on an address makes it shared, so it links
    nothing): the first patch of a unit changes author, so the unit's first date, and
    the ``join`` atoms of its other patch (whose thread and author did not change), move."""
    diff = "diff --git a/x b/x\n"
    first = [
        msg("p1@x", subject="[PATCH 1/2] KVM: one", author="Xa Yb <s@x.org>", body=diff,
            date="2026-01-01T00:00:00+00:00"),
        msg("p2@x", subject="[PATCH 2/2] KVM: two", author="Ana Lima <a@x.org>", body=diff, in_reply_to="p1@x",
            references=("p1@x",), date="2026-01-01T20:00:00+00:00"),
        msg("bridge@x", subject="hello", author="Ana Lima <s@x.org>"),
        *(msg(f"note{i}@x", subject=f"note {i}", author="Ana Lima <a@x.org>") for i in range(3)),
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(first, [], [], {})
        _structure(store)
        assert len({r[0] for r in store.connection.execute("SELECT person_id FROM message_authors")}) == 1
        store.write_batch([msg("third@x", subject="hi", author="Cy Dee <s@x.org>")], [], [], {})
        summary = _structure(store)
        assert summary.components == 1 and summary.series_groups >= 1
        assert dict(store.connection.execute("SELECT message_id, person_id FROM message_authors"))["p1@x"] != "a@x.org"
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)


def test_a_run_stopped_before_it_commits_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mails = [msg("a@x", subject="topic"), msg("b@x", subject="Re: topic", in_reply_to="a@x", references=("a@x",))]
    late = [msg("c@x", subject="Re: topic", in_reply_to="b@x", references=("a@x", "b@x")),
            msg("d@x", subject="[PATCH] KVM: frob", body="diff --git a/x b/x\n")]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(mails, [], [], {})
        _structure(store, segment=True)
        store.write_batch(late, [], [], {})
        before = every_table(store)

        def stop(*_: object, **__: object) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(structure, "relinked_series", stop)
        with pytest.raises(KeyboardInterrupt):
            _structure(store, segment=True)
        assert every_table(store) == before
        monkeypatch.undo()
        # Stopped while segmenting: threads are stored, segments of the changed thread not.
        monkeypatch.setattr(structure, "_store_thread_segments", stop)
        with pytest.raises(KeyboardInterrupt):
            _structure(store, segment=True)
        monkeypatch.undo()
        summary = _structure(store, segment=True)
        assert summary.components == 0 and summary.segmented == 4  # the stale threads, again
        assert every_table(store) == from_scratch(store, tmp_path, segment=True)


# -- real mail -------------------------------------------------------------------------


def _split_mbox(mbox: bytes, parts: int) -> list[bytes]:
    """``mbox`` cut into ``parts`` pieces at message boundaries."""
    starts = [0] + [i + 1 for i in range(len(mbox) - 5) if mbox[i:i + 6] == b"\nFrom "]
    size = -(-len(starts) // parts)
    edges = [starts[i] for i in range(0, len(starts), size)] + [len(mbox)]
    return [mbox[a:b] for a, b in zip(edges, edges[1:])]


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 1, 0, 2)])
def test_gold_and_silver_threads_added_file_by_file_are_structured_as_from_scratch(
    tmp_path: Path, order: tuple[int, ...]
) -> None:
    mboxes = sorted(require_shared("gold").glob("*.mbox")) + sorted(require_shared("silver").glob("*.mbox"))
    parts = [mboxes[i::4] for i in order]
    with Store.open(tmp_path / "s.db") as store:
        for part in parts:
            ingest_files(store, *part)
            summary = _structure(store)
            assert summary.components > 0
        assert every_table(store) == from_scratch(store, tmp_path, segment=False)
        assert stored_structure(store) == whole_store_structure(store)


def test_a_real_archive_slice_added_in_parts_newest_first_is_structured_as_from_scratch(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    mbox = archive_mbox(archive, tmp_path_factory.mktemp("slice") / "all.mbox", 3000).read_bytes()
    pieces = _split_mbox(mbox, 4)  # newest first: replies often arrive before what they answer
    with Store.open(tmp_path / "s.db") as store:
        for index, piece in enumerate([pieces[0], pieces[2], pieces[1], pieces[3]]):
            path = tmp_path / f"part{index}.mbox"
            path.write_bytes(piece)
            ingest_files(store, path)
            summary = _structure(store, segment=index == 3)
        assert summary.components < summary.threads
        assert _structure(store, segment=True).components == 0
        assert every_table(store) == from_scratch(store, tmp_path, segment=True)
        assert stored_structure(store) == whole_store_structure(store)
