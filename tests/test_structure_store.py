"""Thread structure in the store: golden samples per situation, segment round trips,
rebuild state, and the whole real archive threaded once."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import ConfigError
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.ingest.sources import ReadOptions
from analyzer.segment.records import (
    Attribution,
    Block,
    OwnText,
    QuotedBlock,
    Segmentation,
    Trailer,
)
from analyzer.store.db import Store
from analyzer.store.structure import (
    StructureSummary,
    author_ids,
    load_people,
    load_segmentation,
    load_series,
    load_thread,
    load_threads,
    needs_rebuild,
    rebuild_structure,
    save_segmentation,
    thread_id_of,
    thread_overviews,
)
from tests.conftest import SAMPLES, IngestFn, require_shared

CASES = sorted(p.name for p in (SAMPLES / "structure").iterdir() if p.is_dir())


def render(store: Store, summary: StructureSummary) -> str:
    """The structure as the expected.txt files write it: trees, series, people, repairs."""
    lists: dict[str, list[str]] = {}
    for message_id, list_id in store.connection.execute("SELECT message_id, list_id FROM message_lists ORDER BY 2"):
        lists.setdefault(message_id, []).append(list_id)
    lines: list[str] = []
    for thread in load_threads(store):
        lines.append(f"thread {thread.thread_id}: {thread.root_subject}")
        for m in thread.members:
            mark = " (placeholder)" if m.placeholder else " (by subject)" if m.linked_by_subject else ""
            on = lists.get(m.message_id, [])
            where = f" [on: {', '.join(on)}]" if len(on) > 1 else ""
            lines.append("  " * (m.depth + 1) + m.message_id + mark + where)
    current = None
    for version in load_series(store):
        if version.series_id != current:
            current = version.series_id
            lines.append(f"series {current}")
        follows = f" -> {version.superseded_by}" if version.superseded_by else ""
        lines.append(f"  v{version.version} {version.root_message_id}{follows}")
    for person in load_people(store):
        lines.append(f"person {person.person_id}: {person.name} <{', '.join(person.emails)}>")
    lines.append(
        f"repairs: cycles broken {summary.cycles_broken}, subject links {summary.subject_links}, "
        f"placeholders {summary.placeholders}"
    )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("case", CASES)
def test_golden_structure(case: str, store: Store, run_ingest: IngestFn) -> None:
    folder = SAMPLES / "structure" / case
    run_ingest(*sorted(folder.glob("*.mbox")))
    summary = rebuild_structure(store)
    assert render(store, summary) == (folder / "expected.txt").read_text(encoding="utf-8")


def test_every_message_lands_in_one_thread_and_author(store: Store, run_ingest: IngestFn) -> None:
    for case in CASES:
        run_ingest(*sorted((SAMPLES / "structure" / case).glob("*.mbox")))
    rebuild_structure(store)
    stored = {row[0] for row in store.connection.execute("SELECT message_id FROM messages")}
    threaded = Counter(m for t in load_threads(store) for m in t.message_ids)
    assert set(threaded) == stored and set(threaded.values()) == {1}
    assert set(author_ids(store)) == stored
    for message_id in stored:
        thread = load_thread(store, thread_id_of(store, message_id) or "")
        assert thread is not None and message_id in thread.message_ids


def test_rebuild_is_repeatable_and_knows_when_it_is_stale(store: Store, run_ingest: IngestFn) -> None:
    folder = SAMPLES / "structure"
    assert needs_rebuild(store)
    run_ingest(folder / "missing-parent" / "kvm.mbox")
    first = rebuild_structure(store)
    before = render(store, first)
    assert not needs_rebuild(store)
    assert render(store, rebuild_structure(store)) == before
    run_ingest(folder / "cycle-in-references" / "lkml.mbox")
    assert needs_rebuild(store)
    assert rebuild_structure(store).threads == first.threads + 1


def test_only_threads_that_changed_are_segmented_again(store: Store, run_ingest: IngestFn, tmp_path: Path) -> None:
    folder = SAMPLES / "structure"
    run_ingest(folder / "missing-parent" / "kvm.mbox")
    assert rebuild_structure(store).segmented == 5
    assert rebuild_structure(store).segmented == 0
    quoted = load_segmentation(store, "c0ffee01-0004@example.org")
    assert quoted is not None and [q.source_message_id for q in quoted.quotes] == ["b3n-0003@example.com"]
    run_ingest(folder / "cycle-in-references" / "lkml.mbox")
    assert rebuild_structure(store).segmented == 3
    late = tmp_path / "late.mbox"
    late.write_text(
        "From x@example.org Fri Apr  3 10:00:00 2026\n"
        "From: Ana Lima <ana@example.org>\nSubject: Re: [PATCH v2] KVM: selftests: Cover the PAT quirk\n"
        "Date: Fri, 3 Apr 2026 10:00:00 +0200\nMessage-ID: <late-1@example.org>\n"
        "In-Reply-To: <dm-0012@example.org>\nReferences: <unarchived-patch-0010@example.com> <dm-0012@example.org>\n"
        "\n> Reviewed-by: Dan Moss <dan@example.org>\n\nThanks, applied.\n",
        encoding="utf-8",
    )
    run_ingest(late)
    assert rebuild_structure(store).segmented == 3  # the two earlier replies and the new one
    assert load_segmentation(store, "late-1@example.org") is not None


def test_thread_overviews_filter_by_list_and_date(store: Store, run_ingest: IngestFn) -> None:
    run_ingest(*sorted((SAMPLES / "structure" / "duplicate-across-lists").glob("*.mbox")))
    run_ingest(SAMPLES / "structure" / "missing-parent" / "kvm.mbox")
    rebuild_structure(store)
    everything = thread_overviews(store)
    assert [o.message_count for o in everything] == [3, 2, 3]  # placeholders are not messages
    on_kvmarm = thread_overviews(store, list_id="kvmarm.lists.linux.dev")
    assert [o.thread_id for o in on_kvmarm] == ["20260602140000.4242-1-kim@example.org"]
    assert on_kvmarm[0].participants == ("Kim Novak", "Lou Grant")
    assert [o.root_subject for o in thread_overviews(store, since="2026-06-01")] == [on_kvmarm[0].root_subject]


def test_aliases_and_maintainers_files_are_read(store: Store, run_ingest: IngestFn, tmp_path: Path) -> None:
    run_ingest(SAMPLES / "structure" / "missing-parent" / "kvm.mbox")
    aliases = tmp_path / "mailmap"
    aliases.write_text("Ana Lima <ana@example.org> <ben@example.com>\n", encoding="utf-8")
    maintainers = tmp_path / "MAINTAINERS"
    maintainers.write_text("KVM X86 PAT\nM:\tCarla Nunes <carla@example.org>\nS:\tMaintained\n", encoding="utf-8")
    summary = rebuild_structure(store, aliases=aliases, maintainers=maintainers)
    people = {p.person_id: p for p in load_people(store)}
    assert people["ana@example.org"].emails == ("ana@example.org", "ben@example.com")
    assert people["carla@example.org"].roles == ("maintainer:KVM X86 PAT",)
    assert summary.people == 3 and summary.people_with_roles == 1
    with pytest.raises(ConfigError, match="no-such-file"):
        rebuild_structure(store, aliases=tmp_path / "no-such-file")
    aliases.write_text("not a mailmap line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=":1:"):
        rebuild_structure(store, aliases=aliases)


_text = st.text(st.characters(codec="utf-8"), max_size=30)
_BY_TYPE: dict[object, st.SearchStrategy[Any]] = {
    int: st.integers(0, 10_000),
    str: _text,
    float: st.floats(allow_nan=False),
    bool: st.booleans(),
}


def _records(record: type[Any]) -> st.SearchStrategy[Any]:
    """Any instance of a segment record, every field drawn (fields added later included)."""
    hints = get_type_hints(record)
    return st.builds(record, **{f.name: _field(hints[f.name]) for f in dataclasses.fields(record)})


def _field(hint: Any) -> st.SearchStrategy[Any]:
    if hint in _BY_TYPE:
        return _BY_TYPE[hint]
    if dataclasses.is_dataclass(hint):
        return _records(hint)  # type: ignore[arg-type]
    options = get_args(hint)
    if type(None) in options:
        return st.none() | st.one_of(*(_field(o) for o in options if o is not type(None)))
    return st.from_type(hint)


_segmentation = st.builds(
    Segmentation,
    message_id=st.just("round-trip@example.org"),
    **{
        name: st.lists(_records(record), max_size=4).map(tuple)
        for name, record in (
            ("blocks", Block), ("quotes", QuotedBlock), ("own", OwnText),
            ("trailers", Trailer), ("attributions", Attribution),
        )
    },
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segmentation=_segmentation)
def test_segmentation_round_trips_exactly(segmentation: Segmentation, store: Store) -> None:
    if not store.known_message_ids([segmentation.message_id]):
        from tests.factories import msg

        store.write_batch([msg(segmentation.message_id)], [], [], {})
    with store.transaction():
        save_segmentation(store, segmentation, thread_signature="sig", segmenter="test")
    assert load_segmentation(store, f"<{segmentation.message_id}>") == segmentation


def test_load_segmentation_of_unsegmented_message_is_none(store: Store) -> None:
    assert load_segmentation(store, "never-seen@example.org") is None


@pytest.fixture(scope="module")
def archive_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    opened = Store.open(tmp_path_factory.mktemp("archive") / "archive.db")
    ingest(opened, [(str(archive), "auto")], IngestOptions(read=ReadOptions(), jobs=0))
    yield opened
    opened.close()


def test_whole_real_archive_threads_every_message_once(archive_store: Store) -> None:
    # Speed is measured by benchmarks/bench_scale.py and bench_end_to_end.py, not here:
    # a wall-clock bound fails on a loaded machine without anything being wrong.
    summary = rebuild_structure(archive_store, segment=False)
    stored = archive_store.count("messages")
    threads = load_threads(archive_store)
    seen = Counter(m for t in threads for m in t.message_ids)
    assert stored > 20_000 and len(seen) == stored and set(seen.values()) == {1}
    assert summary.threads == len(threads) and stored / 40 < len(threads) < stored / 4
    for thread in threads:
        position = {m.message_id: i for i, m in enumerate(thread.members)}
        assert all(m.parent_id is None or position[m.parent_id] < position[m.message_id] for m in thread.members)
    versions = load_series(archive_store)
    assert len({v.series_id for v in versions}) < len(versions)
