"""The structure stage threads, links series and resolves people a connected component
(or a group of authors) at a time; what it stores must be, row for row, what the
whole-store algorithm gives: ``build_threads`` over every message's headers at once,
``resolve_people`` over every From:, ``link_series`` over every posted patch (the
reference below is the earlier driver, kept here)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.records import Message
from analyzer.store import series_components, thread_components
from analyzer.store.db import Store
from analyzer.store.structure import rebuild_structure
from analyzer.store.thread_components import component_of, threaded_components
from analyzer.thread.people import Sighting, resolve_people
from analyzer.thread.records import ThreadingHeaders
from analyzer.thread.series import link_series, might_be_patch_mail, posted_patch
from analyzer.thread.tree import build_threads, thread_signature
from tests.conftest import Rows, in_order, ingest_files, require_shared, stored_rows
from tests.dashboard_store import archive_mbox
from tests.factories import msg

STRUCTURE_TABLES = (
    "threads", "thread_members", "series_versions", "series_patches", "people", "person_addresses",
    "person_roles", "message_authors",
)


def whole_store_structure(store: Store) -> Rows:
    """The rows the earlier driver stored: every message threaded at once."""
    rows = store.connection.execute(
        "SELECT message_id, subject, in_reply_to, references_json, date, author_name, author_email, body "
        "FROM messages ORDER BY id"
    ).fetchall()
    threading = build_threads(ThreadingHeaders(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4]) for r in rows)
    counts = Counter((r[5], r[6].lower()) for r in rows)
    people = resolve_people([Sighting(name, email, count) for (name, email), count in counts.items()])
    authors = {r[0]: people.person_of(r[5], r[6]) or r[6].lower() for r in rows}
    thread_of = {m: t.thread_id for t in threading.threads for m in t.message_ids}
    parent_of = {m.message_id: m.parent_id for t in threading.threads for m in t.members if not m.placeholder}
    posted = []
    for r in rows:
        if might_be_patch_mail(r[1]):
            parent = parent_of.get(r[0])
            found = posted_patch(
                r[0], r[1], author_id=authors[r[0]], author_email=r[6], date=r[4], thread_id=thread_of[r[0]],
                body=r[7], parent_id=parent if parent in parent_of else None,
            )
            if found is not None:
                posted.append(found)
    series = link_series(posted)
    patches: dict[str, tuple[Any, ...]] = {}
    for v in series:
        for i, p in enumerate(v.patches):
            patches.setdefault(p.message_id, (p.message_id, v.root_message_id, i, p.number, p.total, p.title,
                                              p.thread_id, p.superseded_by))
    return {
        "threads": in_order((t.thread_id, t.root_subject, t.first_date, t.last_date, len(t.message_ids),
                           thread_signature(t)) for t in threading.threads),
        "thread_members": in_order((m.message_id, t.thread_id, i, m.parent_id, m.depth, int(m.placeholder),
                                  int(m.linked_by_subject)) for t in threading.threads for i, m in enumerate(t.members)),
        "series_versions": in_order((v.root_message_id, v.series_id, v.version, v.thread_id, v.subject, v.author_email,
                                   v.date, v.superseded_by) for v in series),
        "series_patches": in_order(patches.values()),
        "people": in_order((p.person_id, p.name) for p in people.people),
        "person_addresses": in_order((p.person_id, e) for p in people.people for e in p.emails),
        "person_roles": in_order((p.person_id, r) for p in people.people for r in p.roles),
        "message_authors": in_order(authors.items()),
    }


def stored_structure(store: Store) -> Rows:
    return stored_rows(store.connection, STRUCTURE_TABLES)


def _mboxes() -> list[Path]:
    return sorted(require_shared("gold").glob("*.mbox")) + sorted(require_shared("silver").glob("*.mbox"))


@pytest.mark.parametrize("batch", [1, 2000])
def test_gold_and_silver_threads_are_the_whole_store_algorithms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(thread_components, "BATCH_MESSAGES", batch)
    monkeypatch.setattr(series_components, "BATCH_PATCHES", batch)
    with Store.open(tmp_path / "s.db") as store:
        ingest_files(store, *_mboxes())
        summary = rebuild_structure(store, segment=False)
        expected = whole_store_structure(store)
        assert stored_structure(store) == expected
        assert summary.threads == len(expected["threads"]) > 10
        assert summary.series_versions == len(expected["series_versions"]) > 0


@pytest.fixture(scope="module")
def archive_slice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The newest 3,000 messages of the real archive, as two mboxes: the older 1,800 and
    the newer 1,200 (``archive_mbox`` writes newest first)."""
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    folder = tmp_path_factory.mktemp("slice")
    newer = archive_mbox(archive, folder / "newer.mbox", 1200)
    both = archive_mbox(archive, folder / "both.mbox", 3000).read_bytes()
    older = folder / "older.mbox"
    older.write_bytes(both[len(newer.read_bytes()):])
    return older, newer


def test_a_real_archive_slice_is_structured_as_the_whole_store_algorithm(
    archive_slice: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_components, "BATCH_MESSAGES", 50)
    monkeypatch.setattr(series_components, "BATCH_PATCHES", 1)
    with Store.open(tmp_path / "s.db") as store:
        ingest_files(store, *archive_slice)
        rebuild_structure(store, segment=False)
        expected = whole_store_structure(store)
        assert stored_structure(store) == expected
        assert len(expected["message_authors"]) > 2900 and len(expected["series_versions"]) > 50
        # Every message in exactly one component; a component is what its threads hold.
        threads = {t: members for t, members in _members_by_thread(store).items()}
        largest = max(len(m) for m in threads.values())
        seen: set[str] = set()
        for threading in threaded_components(store, batch_messages=1):
            present = {m.message_id for t in threading.threads for m in t.members if not m.placeholder}
            assert not present & seen
            seen |= present
            assert all(t.thread_id in threads for t in threading.threads)
        assert len(seen) == len(expected["message_authors"])
        assert largest < 400


def _members_by_thread(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for thread_id, message_id in store.connection.execute("SELECT thread_id, message_id FROM thread_members"):
        found.setdefault(thread_id, []).append(message_id)
    return found


def test_structure_after_more_mail_is_structure_of_all_at_once(
    archive_slice: tuple[Path, Path], tmp_path: Path
) -> None:
    older, newer = archive_slice
    with Store.open(tmp_path / "a.db") as step, Store.open(tmp_path / "b.db") as once:
        ingest_files(step, older)
        rebuild_structure(step, segment=False)
        ingest_files(step, newer)
        rebuild_structure(step, segment=False)
        ingest_files(once, older, newer)
        rebuild_structure(once, segment=False)
        assert stored_structure(step) == stored_structure(once)
        assert step.connection.execute("SELECT last_row FROM message_index_mark").fetchone()[0] == (
            step.connection.execute("SELECT max(id) FROM messages").fetchone()[0]
        )


def test_component_of_follows_ids_either_way_and_subjects(tmp_path: Path) -> None:
    mails = [
        msg("root@x", subject="[PATCH 0/2] KVM: arm64: frob"),
        msg("p1@x", subject="[PATCH 1/2] KVM: arm64: frob a", in_reply_to="root@x", references=("root@x",)),
        # names a message never archived: joined through the placeholder
        msg("r1@x", subject="Re: [PATCH 1/2] KVM: arm64: frob a", in_reply_to="lost@x", references=("p1@x", "lost@x")),
        msg("r2@x", subject="Re: something", in_reply_to="lost@x"),
        # headerless reply: joined to the original by subject
        msg("h1@x", subject="Re: unrelated topic"),
        msg("o1@x", subject="Unrelated topic"),
        msg("o2@x", subject="unrelated   TOPIC"),
        # an original without headerless replies stays alone
        msg("alone@x", subject="Another topic"),
        msg("alone2@x", subject="Another topic"),
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(mails, [], [], {})
        with store.transaction():
            thread_components.index_new_messages(store)
        assert sorted(component_of(store, "r2@x")) == ["p1@x", "r1@x", "r2@x", "root@x"]
        assert sorted(component_of(store, "o2@x")) == ["h1@x", "o1@x", "o2@x"]
        assert component_of(store, "alone@x") == ["alone@x"]


def test_postings_joined_across_threads_and_covers_without_a_counter_are_linked_in_one_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Series linking one group of postings at a time (batches of one group) must still
    join patches sent without References within 12 hours, and attach a cover letter
    without ``0/n`` to the patches answering it, as linking everything at once does."""
    monkeypatch.setattr(series_components, "BATCH_PATCHES", 1)
    diff = "diff --git a/x b/x\n"
    mails = [
        # no References: one thread each, one posting (patchwork's 12-hour window)
        msg("a1@x", subject="[PATCH 1/2] KVM: first part", body=diff, date="2026-01-01T10:00:00+00:00"),
        msg("a2@x", subject="[PATCH 2/2] KVM: second part", body=diff, date="2026-01-01T13:00:00+00:00"),
        # a day later, same shape: another posting
        msg("b1@x", subject="[PATCH 1/2] KVM: other first", body=diff, date="2026-01-02T12:00:00+00:00"),
        # a cover letter without 0/n, answered by its author's numbered patches
        msg("c0@x", subject="[PATCH] KVM: the whole idea", date="2026-01-03T10:00:00+00:00"),
        msg("c1@x", subject="[PATCH 1/2] KVM: step one", body=diff, in_reply_to="c0@x", references=("c0@x",),
            date="2026-01-03T10:01:00+00:00"),
        msg("c2@x", subject="[PATCH 2/2] KVM: step two", body=diff, in_reply_to="c0@x", references=("c0@x",),
            date="2026-01-03T10:02:00+00:00"),
    ]
    with Store.open(tmp_path / "s.db") as store:
        store.write_batch(mails, [], [], {})
        rebuild_structure(store, segment=False)
        expected = whole_store_structure(store)
        assert stored_structure(store) == expected
        roots = {row[0]: row[1] for row in expected["series_patches"]}
        assert roots["a1@x"] == roots["a2@x"] != roots["b1@x"]
        assert roots["c0@x"] == roots["c1@x"] == roots["c2@x"] == "c0@x"


_IDS = [f"m{i}@x" for i in range(14)]
_SUBJECTS = ["KVM: arm64: frob", "Re: KVM: arm64: frob", "[PATCH 1/2] fix", "[PATCH 2/2] fix", "[PATCH 0/2] fix",
             "[PATCH v2 1/2] fix", "[PATCH v2 0/2] fix", "Re: [PATCH 1/2] fix", "other", "RE: Other",
             "[PATCH 1/2] alpha", "[PATCH 2/2] beta", "[PATCH v2 2/2] beta", "[PATCH] gamma", "[PATCH] delta"]


@st.composite
def _corpora(draw: st.DrawFn) -> list[Message]:
    mails = []
    for index, message_id in enumerate(draw(st.lists(st.sampled_from(_IDS), min_size=1, max_size=12, unique=True))):
        references = tuple(draw(st.lists(st.sampled_from([*_IDS, "gone@x", "gone2@x"]), max_size=3)))
        in_reply_to = draw(st.none() | st.sampled_from([*_IDS, "gone@x"]))
        mails.append(msg(
            message_id, subject=draw(st.sampled_from(_SUBJECTS)), in_reply_to=in_reply_to, references=references,
            author=draw(st.sampled_from(["Ana Lima <ana@x.org>", "Bo Chen <bo@x.org>", "Ana Lima <ANA@x.org>"])),
            date=draw(st.sampled_from([None, "2026-01-01T00:00:00+00:00", f"2026-01-0{1 + index % 8}T00:00:00+00:00",
                                        f"2026-01-01T{index % 24:02d}:00:00+00:00"])),
            body=draw(st.sampled_from(["text\n", "diff --git a/x b/x\n", "change-id: 1234\n"])),
        ))
    return mails


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mails=_corpora(), order=st.randoms(use_true_random=False), cut=st.integers(0, 12), batch=st.integers(1, 5))
def test_any_order_and_chunking_of_ingest_gives_the_same_structure(
    mails: list[Message], order: Any, cut: int, batch: int, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(series_components, "BATCH_PATCHES", 1)  # each group of postings alone
    folder = tmp_path_factory.mktemp("hyp")
    shuffled = list(mails)
    order.shuffle(shuffled)
    with Store.open(folder / "a.db") as a, Store.open(folder / "b.db") as b:
        a.write_batch(mails, [], [], {})
        rebuild_structure(a, segment=False)
        b.write_batch(shuffled[:cut], [], [], {})
        list(threaded_components(b, batch_messages=batch))  # indexes the first part on the way
        b.write_batch(shuffled[cut:], [], [], {})
        rebuild_structure(b, segment=False)
        assert stored_structure(a) == whole_store_structure(a)
        assert stored_structure(b) == stored_structure(a)
