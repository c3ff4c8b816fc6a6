"""Thread structure in the store: threads, members, series versions, people, segments.

SCHEMA is migration 2 of analyzer/store/schema.py. ``rebuild_structure`` rethreads, one
connected component of threading at a time (analyzer/store/thread_components.py: what
it holds is bounded by the largest component, not the store), only the components that
hold a message stored since its last run (the ``structured_row`` mark); relinks series
only in the groups of postings those change (analyzer/store/series_components.py);
resolves people from the distinct (name, address) pairs, kept with their counts in
``author_sightings`` (INCREMENTAL, migration 11), and rewrites only the authors whose
person changed; and re-segments only the messages whose thread changed (the threads
waiting in ``segment_pending``) or that the current segmenter has not seen. What it
stores is what threading the whole store at once stores, and what a run from scratch
(``full=True``, or the first run) stores (tests/test_structure_components.py,
tests/test_structure_incremental.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError
from analyzer.progress import Progress
from analyzer.segment.records import (
    Attribution,
    Block,
    OwnText,
    QuotedBlock,
    Segmentation,
    Trailer,
)
from analyzer.store import summaries
from analyzer.store.db import Store
from analyzer.store.failures import failed_versions, failure_of, forget_failures, replace_failures
from analyzer.store.failures import StageFailure
from analyzer.store.series_components import SERIES_INDEX, relinked_series
from analyzer.store.thread_components import component_batches
from analyzer.thread.context import Segmenter, library_segmenter, segment_each
from analyzer.workers import Runner, choose_runner, in_this_process, results_of
from analyzer.thread.mailmap import parse_mailmap
from analyzer.thread.maintainers import parse_maintainers
from analyzer.thread.people import People, Sighting, resolve_people
from analyzer.thread.records import (
    Person,
    SeriesPatch,
    SeriesVersion,
    Thread,
    ThreadingHeaders,
    ThreadMember,
)
from analyzer.thread.tree import Threading, thread_signature

SCHEMA = """
CREATE TABLE threads (
    thread_id TEXT PRIMARY KEY,
    root_subject TEXT NOT NULL,
    first_date TEXT,
    last_date TEXT,
    message_count INTEGER NOT NULL,
    signature TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX threads_first_date ON threads(first_date);

-- One row per node, placeholders included; position is pre-order within the thread.
CREATE TABLE thread_members (
    message_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(thread_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    parent_id TEXT,
    depth INTEGER NOT NULL,
    placeholder INTEGER NOT NULL,
    linked_by_subject INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX thread_members_order ON thread_members(thread_id, position);

CREATE TABLE series_versions (
    root_message_id TEXT PRIMARY KEY,
    series_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    thread_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    author_email TEXT NOT NULL,
    date TEXT,
    superseded_by TEXT
) WITHOUT ROWID;
CREATE INDEX series_versions_series ON series_versions(series_id, version);

CREATE TABLE people (
    person_id TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE person_addresses (
    person_id TEXT NOT NULL REFERENCES people(person_id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    PRIMARY KEY (person_id, email)
) WITHOUT ROWID;
CREATE INDEX person_addresses_email ON person_addresses(email);
CREATE TABLE person_roles (
    person_id TEXT NOT NULL REFERENCES people(person_id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
) WITHOUT ROWID;
CREATE TABLE message_authors (
    message_id TEXT PRIMARY KEY REFERENCES messages(message_id),
    person_id TEXT NOT NULL REFERENCES people(person_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX message_authors_person ON message_authors(person_id);

-- A segmentation is current while its thread's signature and the segmenter's are unchanged.
CREATE TABLE segmentations (
    message_id TEXT PRIMARY KEY REFERENCES messages(message_id),
    thread_signature TEXT NOT NULL,
    segmenter TEXT NOT NULL
) WITHOUT ROWID;
-- The fields of analyzer.segment.records, one table per record type. Fields that are
-- worth querying are columns; any others (and any added later) are kept in extra_json,
-- so a segmentation loads back exactly without a migration per new field.
CREATE TABLE segment_blocks (
    message_id TEXT NOT NULL REFERENCES segmentations(message_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, depth INTEGER NOT NULL,
    extra_json TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE TABLE segment_attributions (
    message_id TEXT NOT NULL REFERENCES segmentations(message_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, name TEXT NOT NULL, email TEXT, date TEXT,
    depth INTEGER NOT NULL,
    extra_json TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE TABLE segment_quotes (
    message_id TEXT NOT NULL REFERENCES segmentations(message_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    "index" INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, depth INTEGER NOT NULL, text TEXT NOT NULL,
    source_message_id TEXT, source_start INTEGER, source_end INTEGER,
    extra_json TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE INDEX segment_quotes_source ON segment_quotes(source_message_id);
CREATE TABLE segment_own (
    message_id TEXT NOT NULL REFERENCES segmentations(message_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    "index" INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, answers INTEGER,
    extra_json TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE TABLE segment_trailers (
    message_id TEXT NOT NULL REFERENCES segmentations(message_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key TEXT NOT NULL, value TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    extra_json TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
CREATE INDEX segment_trailers_key ON segment_trailers(key);

-- What the last rebuild saw, so readers can tell when new mail needs a rebuild.
CREATE TABLE structure_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""


INCREMENTAL = """
-- Every (name, address) pair of a From: with how many messages carry it, the first of
-- them, and the person its messages are written down to (NULL until resolved).
CREATE TABLE author_sightings (
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    messages INTEGER NOT NULL,
    first_row INTEGER NOT NULL,
    person_id TEXT,
    PRIMARY KEY (author_name, author_email)
) WITHOUT ROWID;
-- Cycles in References broken when threading a component, by its first thread.
CREATE TABLE thread_cycles (
    thread_id TEXT PRIMARY KEY,
    cycles INTEGER NOT NULL
) WITHOUT ROWID;
-- Threads written since segmentation last finished: the ones that may be stale.
CREATE TABLE segment_pending (
    thread_id TEXT PRIMARY KEY
) WITHOUT ROWID;
-- What a run left before these tables existed is not theirs to build on: from scratch.
DELETE FROM structure_state WHERE key = 'structured_row';
""" + SERIES_INDEX
"""Migration 11 of analyzer/store/schema.py. A store without the ``structured_row`` mark
(every store from before it) is structured from scratch by its next run."""

_DERIVED = (
    "thread_members", "threads", "thread_cycles", "series_patches", "series_versions", "series_patch_atoms",
    "series_patch_mails", "message_authors", "person_roles", "person_addresses", "people", "author_sightings",
)
"""What a run from scratch empties first (children before parents)."""


@dataclasses.dataclass(frozen=True, slots=True)
class StructureSummary:
    messages: int
    threads: int
    placeholders: int
    cycles_broken: int
    subject_links: int
    series: int
    series_versions: int
    people: int
    people_with_roles: int
    segmented: int
    """Messages (re)segmented by this run."""
    segmenter: str | None
    """Fingerprint of the segmenter used; None when none is available yet."""
    seconds: float
    failed: int = 0
    """Messages this run could not segment (recorded with their reason in stage_failures)."""
    components: int = 0
    """Connected components this run threaded (0 when no mail was stored since the last)."""
    new_messages: int = 0
    """Messages stored since the last run (every message for a run from scratch)."""
    series_groups: int = 0
    """Groups of postings this run linked again."""

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def rebuild_structure(
    store: Store,
    *,
    aliases: Path | None = None,
    maintainers: Path | None = None,
    progress: Progress | None = None,
    segmenter: Segmenter | None = None,
    segment: bool = True,
    jobs: int = 1,
    runner: Runner | None = None,
    full: bool = False,
    retry_failed: bool = False,
) -> StructureSummary:
    """Thread the messages stored since the last run with every message they connect to,
    relink the series those change, resolve people, then (re)segment messages whose
    thread changed or that were never segmented (unless ``segment`` is False). ``full``
    (and a store never structured by this code) starts from scratch: every component.
    ``segmenter`` defaults to the project's; without one, segmentation is skipped and the
    summary says so. Segmentation runs where ``runner`` runs tasks (a Dask cluster, say;
    default: ``jobs`` worker processes, 0 meaning every core; the segmenter must then
    pickle, as the project's does), stored in thread order as with one process.
    ``retry_failed`` segments again the threads holding messages recorded as not
    segmented (otherwise tried again only when their thread or the segmenter changes):
    what passes now has its failure cleared, what fails again is recorded again."""
    started = time.perf_counter()
    mailmap = _read_config(aliases, lambda text: parse_mailmap(text, origin=str(aliases))) if aliases else None
    sections = _read_config(maintainers, parse_maintainers) if maintainers else ()
    with _small_cache(store):
        with store.transaction():
            after = None if full else _structured_row(store)
            if after is None:
                for table in _DERIVED:
                    store.connection.execute(f"DELETE FROM {table}")
            mark = int(store.connection.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0])
            new_messages = mark - (after or 0)
            components = _write_threads(store, component_batches(store, after=after or 0, progress=progress))
            people = _update_people(store, after or 0, resolve_people_with=lambda s: resolve_people(
                s, mailmap=mailmap, maintainers=sections))
            if after is None or people.reauthored:
                summaries.refresh(store)  # authors changed under threads' totals
            else:
                summaries.refresh(store, _touched_threads(store))
            groups = _write_series(store, relinked_series(store, after=after or 0))
            _set_structured_row(store, mark)
            if not segment:
                _forget_state(store)
            elif retry_failed:
                store.connection.execute("INSERT OR IGNORE INTO segment_pending SELECT DISTINCT thread_id "
                                         "FROM stage_failures WHERE stage = 'segment'")
        used: Segmenter | None = (segmenter or library_segmenter()) if segment else None
        run = runner or choose_runner(jobs=jobs)
        every = after is None or structure_state(store).get("segmenter") != (used.fingerprint if used else None)
        segmented, failed = _segment_stale(store, used, progress, run, every=every, retry=retry_failed) if used else (0, 0)
        if segment:
            # The "up to date" mark goes in only once every stale message is segmented (or
            # recorded as failed): a run killed before this point is redone by the next one.
            with store.transaction():
                store.connection.execute("DELETE FROM segment_pending")
                _write_state(store, aliases=aliases, maintainers=maintainers, segmenter=used)
        db = store.connection
        threads, placeholders, subject_links = db.execute(
            "SELECT count(DISTINCT thread_id), coalesce(sum(placeholder), 0), coalesce(sum(linked_by_subject), 0) "
            "FROM thread_members"
        ).fetchone()
        series, versions = db.execute("SELECT count(DISTINCT series_id), count(*) FROM series_versions").fetchone()
    return StructureSummary(
        messages=int(db.execute("SELECT count(*) FROM messages").fetchone()[0]),
        threads=int(threads),
        placeholders=int(placeholders),
        cycles_broken=int(db.execute("SELECT coalesce(sum(cycles), 0) FROM thread_cycles").fetchone()[0]),
        subject_links=int(subject_links),
        series=int(series),
        series_versions=int(versions),
        people=int(db.execute("SELECT count(*) FROM people").fetchone()[0]),
        people_with_roles=int(db.execute("SELECT count(DISTINCT person_id) FROM person_roles").fetchone()[0]),
        segmented=segmented,
        segmenter=used.fingerprint if used else None,
        seconds=round(time.perf_counter() - started, 3),
        failed=failed,
        components=components,
        new_messages=new_messages,
        series_groups=groups,
    )


REBUILD_CACHE_KIB = 8192
"""SQLite's page cache while rebuilding (the store's connection keeps 64 MiB otherwise):
the rebuild reads every message once, so a big cache only grows the driver's memory."""


@contextlib.contextmanager
def _small_cache(store: Store) -> Iterator[None]:
    db = store.connection
    before = int(db.execute("PRAGMA cache_size").fetchone()[0])
    db.execute(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
    db.execute(f"PRAGMA temp.cache_size=-{REBUILD_CACHE_KIB // 4}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size={before}")
        db.execute("PRAGMA shrink_memory")


def _read_config(path: Path, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check the path given") from exc


def _structured_row(store: Store) -> int | None:
    """The highest messages row the stored structure covers; None when it must be built
    from scratch (never built since migration 11)."""
    value = structure_state(store).get("structured_row")
    return None if value is None else int(value)


def _set_structured_row(store: Store, row: int) -> None:
    store.connection.execute("INSERT OR REPLACE INTO structure_state VALUES ('structured_row', ?)", (str(row),))


def _touched_threads(store: Store) -> list[str]:
    return [r[0] for r in store.connection.execute("SELECT thread_id FROM temp.touched_threads")]


def _write_threads(store: Store, batches: Iterable[Sequence[Threading]]) -> int:
    """Replace the threads of each batch's components by theirs, writing each batch as it
    comes; returns how many components. A component's earlier threads are those holding
    one of its messages (components only ever merge as mail is added; a message that was
    a placeholder is found by its placeholder's row). Every thread removed or written is
    listed in the temporary table ``touched_threads``; every one written waits in
    ``segment_pending``."""
    db = store.connection
    db.execute("CREATE TEMP TABLE IF NOT EXISTS touched_threads (thread_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.touched_threads")
    count = 0
    for components in batches:
        present = [m.message_id for c in components for t in c.threads for m in t.members if not m.placeholder]
        earlier = sorted({str(r[0]) for r in store.select_in(
            "SELECT thread_id FROM thread_members WHERE message_id IN ({})", present
        )})
        for table in ("thread_members", "threads", "thread_cycles"):
            store.select_in(f"DELETE FROM {table} WHERE thread_id IN ({{}})", earlier)
        threads = [t for c in components for t in c.threads]
        db.executemany(
            "INSERT INTO threads VALUES (?,?,?,?,?,?)",
            [(t.thread_id, t.root_subject, t.first_date, t.last_date, len(t.message_ids), thread_signature(t))
             for t in threads],
        )
        db.executemany(
            "INSERT INTO thread_members VALUES (?,?,?,?,?,?,?)",
            [
                (m.message_id, t.thread_id, i, m.parent_id, m.depth, int(m.placeholder), int(m.linked_by_subject))
                for t in threads
                for i, m in enumerate(t.members)
            ],
        )
        db.executemany(
            "INSERT INTO thread_cycles VALUES (?,?)",
            [(min(t.thread_id for t in c.threads), c.cycles_broken) for c in components if c.cycles_broken],
        )
        written = [(t.thread_id,) for t in threads]
        db.executemany("INSERT OR IGNORE INTO temp.touched_threads VALUES (?)", [(t,) for t in earlier] + written)
        db.executemany("INSERT OR IGNORE INTO segment_pending VALUES (?)", written)
        count += len(components)
    return count


@dataclasses.dataclass(frozen=True, slots=True)
class _PeopleUpdate:
    people: People
    reauthored: int
    """Messages stored before this run whose person changed."""


def _update_people(
    store: Store, after: int, *, resolve_people_with: Callable[[list[Sighting]], People]
) -> _PeopleUpdate:
    """Count the (name, address) pairs of the messages after row ``after``, resolve
    people from every pair seen (a pair, not a message, is what resolution reads), and
    write the people, the new messages' authors, and the earlier messages whose pair now
    belongs to another person (listed in the temporary table ``reauthored_messages``)."""
    db = store.connection
    db.execute("CREATE TEMP TABLE IF NOT EXISTS reauthored_messages (message_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.reauthored_messages")
    db.execute(
        "INSERT INTO author_sightings SELECT author_name, author_email, count(*), min(id), NULL FROM messages "
        "WHERE id > ? GROUP BY author_name, author_email "
        "ON CONFLICT (author_name, author_email) DO UPDATE SET messages = messages + excluded.messages",
        (after,),
    )
    pairs = db.execute(
        "SELECT author_name, author_email, messages, person_id FROM author_sightings ORDER BY first_row"
    ).fetchall()
    # The pairs in the order of each one's first message, addresses folded to lower case.
    counts: Counter[tuple[str, str]] = Counter()
    for name, email, messages, _ in pairs:
        counts[(name, email.lower())] += messages
    people = resolve_people_with([Sighting(name, email, count) for (name, email), count in counts.items()])
    _write_people(store, people)
    reauthored = 0
    for name, email, _, before in pairs:
        person = people.person_of(name, email) or email.lower()
        if person == before:
            continue
        db.execute(
            "UPDATE author_sightings SET person_id = ? WHERE author_name = ? AND author_email = ?", (person, name, email)
        )
        if before is None:
            continue  # a pair first seen in this run: no earlier message carries it
        earlier = "SELECT message_id FROM messages WHERE author_email = ? AND author_name = ? AND id <= ?"
        db.execute(f"UPDATE message_authors SET person_id = ? WHERE message_id IN ({earlier})", (person, email, name, after))
        reauthored += db.execute(f"INSERT OR IGNORE INTO temp.reauthored_messages {earlier}", (email, name, after)).rowcount
    db.execute(
        "INSERT INTO message_authors SELECT m.message_id, s.person_id FROM messages m JOIN author_sightings s "
        "ON s.author_name = m.author_name AND s.author_email = m.author_email WHERE m.id > ?",
        (after,),
    )
    _drop_people(store, people)
    return _PeopleUpdate(people, reauthored)


def _write_people(store: Store, people: People) -> None:
    """Add or rename the people (a row per person, not per message) and replace their
    addresses and roles. People no longer found are removed by ``_drop_people`` once no
    author points to them (removing a person removes its ``message_authors`` rows)."""
    db = store.connection
    db.executemany(
        "INSERT INTO people VALUES (?,?) ON CONFLICT (person_id) DO UPDATE SET name = excluded.name "
        "WHERE name != excluded.name",
        [(p.person_id, p.name) for p in people.people],
    )
    for table in ("person_roles", "person_addresses"):
        db.execute(f"DELETE FROM {table}")
    db.executemany(
        "INSERT INTO person_addresses VALUES (?,?)", [(p.person_id, e) for p in people.people for e in p.emails]
    )
    db.executemany("INSERT INTO person_roles VALUES (?,?)", [(p.person_id, r) for p in people.people for r in p.roles])


def _drop_people(store: Store, people: People) -> None:
    kept = {p.person_id for p in people.people}
    gone = [r[0] for r in store.connection.execute("SELECT person_id FROM people") if r[0] not in kept]
    store.connection.executemany("DELETE FROM people WHERE person_id = ?", [(g,) for g in gone])


def _write_series(store: Store, batches: Iterable[tuple[int, list[str], Sequence[SeriesVersion]]]) -> int:
    """Replace the postings of each batch's patch mails by the batch's; returns how many
    groups of postings were linked."""
    db = store.connection
    count = 0
    for groups, message_ids, group in batches:
        store.select_in("DELETE FROM series_patches WHERE message_id IN ({})", message_ids)
        store.select_in("DELETE FROM series_versions WHERE root_message_id IN ({})", message_ids)
        db.executemany(
            "INSERT OR IGNORE INTO series_patches VALUES (?,?,?,?,?,?,?,?)",
            [
                (p.message_id, v.root_message_id, i, p.number, p.total, p.title, p.thread_id, p.superseded_by)
                for v in group
                for i, p in enumerate(v.patches)
            ],
        )
        db.executemany(
            "INSERT INTO series_versions VALUES (?,?,?,?,?,?,?,?)",
            [
                (v.root_message_id, v.series_id, v.version, v.thread_id, v.subject, v.author_email, v.date,
                 v.superseded_by)
                for v in group
            ],
        )
        count += groups
    return count


def _messages_mark(store: Store) -> str:
    """Changes whenever messages are stored: their count and the highest row id."""
    count, last_id = store.connection.execute("SELECT count(*), coalesce(max(id), 0) FROM messages").fetchone()
    return f"{count}:{last_id}"


def _write_state(
    store: Store, *, aliases: Path | None, maintainers: Path | None, segmenter: Segmenter | None
) -> None:
    state = {
        "messages": _messages_mark(store),
        "segmenter": segmenter.fingerprint if segmenter else "",
        "aliases": str(aliases.resolve()) if aliases else "",
        "maintainers": str(maintainers.resolve()) if maintainers else "",
    }
    store.connection.executemany("INSERT OR REPLACE INTO structure_state VALUES (?,?)", list(state.items()))


def _forget_state(store: Store) -> None:
    """Threads without segments are not a finished structure: readers must rebuild."""
    store.connection.execute("DELETE FROM structure_state WHERE key = 'messages'")


def structure_state(store: Store) -> dict[str, str]:
    return dict(store.connection.execute("SELECT key, value FROM structure_state").fetchall())


def needs_rebuild(store: Store) -> bool:
    """True when messages were stored since the last rebuild (or there was none)."""
    return structure_state(store).get("messages") != _messages_mark(store)


SERIES_PATCHES = """
-- Which messages make up each posting of a series (cover letter and patches, across
-- threads when patches were sent without References), and which later patch replaces each.
CREATE TABLE series_patches (
    message_id TEXT PRIMARY KEY,
    root_message_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    number INTEGER,
    total INTEGER,
    title TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    superseded_by TEXT
) WITHOUT ROWID;
CREATE INDEX series_patches_root ON series_patches(root_message_id, position);
CREATE INDEX series_patches_thread ON series_patches(thread_id);
-- Stores built before this table need a structure rebuild to fill it.
DELETE FROM structure_state WHERE key = 'messages';
"""
"""Migration 5 of analyzer/store/schema.py."""


# -- segmentation ----------------------------------------------------------------------


def _segment_stale(
    store: Store, segmenter: Segmenter, progress: Progress | None, runner: Runner, *, every: bool, retry: bool = False
) -> tuple[int, int]:
    """(messages segmented, messages that failed) over the stored threads whose segments
    are stale, read a page of threads at a time (once to count them, once to segment):
    of every thread when ``every`` (another segmenter than last time, or a run from
    scratch), else of the threads written since segmentation last finished; with
    ``retry``, a message recorded as failed counts as not segmented.
    The driver reads each thread's bodies and hands them out (a worker needs no access
    to the store); each thread's results are stored in one transaction, in thread order."""
    threads, total = 0, 0
    for thread, _ in _stale_threads(store, segmenter, every=every, retry=retry):
        threads += 1
        total += len(thread.message_ids)
    if progress:
        progress.start("segmenting messages", total)
    failed = 0
    handed_out: deque[tuple[Thread, str]] = deque()

    def tasks() -> Iterator[SegmentTask]:
        for thread, signature in _stale_threads(store, segmenter, every=every, retry=retry):
            handed_out.append((thread, signature))
            yield segmenter, thread, _bodies(store, thread.message_ids)

    # One stale thread is not worth starting workers for.
    with results_of((runner if threads > 1 else in_this_process)(segment_task, tasks())) as segmented:
        for results, failures in segmented:
            thread, signature = handed_out.popleft()
            failed += _store_thread_segments(store, thread, signature, segmenter, results, failures)
            if progress:
                progress.advance(len(thread.message_ids))
    if progress:
        progress.finish()
    return total, failed


def _stale_threads(store: Store, segmenter: Segmenter, *, every: bool,
                   retry: bool = False) -> Iterator[tuple[Thread, str]]:
    """The stored threads (every one, or those waiting in ``segment_pending``) with a
    message not segmented from the thread's current shape by this segmenter (nor failed
    with them, unless ``retry``), with their signature, in thread order (page by page when
    pending)."""
    for page in thread_pages(store, 500) if every else _pending_pages(store, 500):
        # What each message was segmented from, looked up a page of threads at a time
        # (not every segmentation of the store at once).
        current = _current_segmentations(store, [m for t in page for m in t.message_ids], with_failures=not retry)
        for thread in page:
            signature = thread_signature(thread)
            version = _segmented_version(signature, segmenter.fingerprint)
            if any(current.get(m) != version for m in thread.message_ids):
                yield thread, signature


def _pending_pages(store: Store, size: int) -> Iterator[list[Thread]]:
    """The threads waiting in ``segment_pending`` that still exist, ``size`` at a time."""
    after = ""
    while ids := [r[0] for r in store.connection.execute(
        "SELECT thread_id FROM segment_pending WHERE thread_id > ? ORDER BY thread_id LIMIT ?", (after, size)
    ).fetchall()]:
        after = ids[-1]
        members: dict[str, list[ThreadMember]] = {}
        for row in store.select_in(
            "SELECT * FROM thread_members WHERE thread_id IN ({}) ORDER BY thread_id, position", ids
        ):
            members.setdefault(row["thread_id"], []).append(_member(row))
        rows = store.select_in("SELECT * FROM threads WHERE thread_id IN ({})", ids)
        rows.sort(key=lambda r: (r["first_date"] or "\uffff", r["thread_id"]))
        yield [_thread(row, members.get(row["thread_id"], [])) for row in rows]


def _current_segmentations(store: Store, message_ids: Sequence[str], *, with_failures: bool = True) -> dict[str, str]:
    """message_id -> the segmented version it has, or (``with_failures``) the version that failed
    on it (a message that failed with the same inputs is not retried)."""
    rows = store.select_in(
        "SELECT message_id, thread_signature, segmenter FROM segmentations WHERE message_id IN ({})", message_ids
    )
    current = {str(r[0]): _segmented_version(r[1], r[2]) for r in rows}
    if not with_failures:
        return current
    failed = store.select_in(
        "SELECT message_id, version FROM stage_failures WHERE stage = 'segment' AND message_id IN ({})", message_ids
    )
    return current | {str(r[0]): str(r[1]) for r in failed}


def _segmented_version(signature: str, segmenter: str) -> str:
    return f"{signature}\x1f{segmenter}"


SegmentTask = tuple[Segmenter, Thread, dict[str, str]]


def segment_task(task: SegmentTask) -> tuple[list[Segmentation], list[StageFailure]]:
    """One thread's segmentations and the messages that could not be segmented: the part
    of the stage a worker process runs (plain records in and out)."""
    segmenter, thread, bodies = task
    results, failed = segment_each(thread, bodies, segmenter)
    return results, [failure_of("segment", mid, thread.thread_id, exc) for mid, exc in failed]


def _store_thread_segments(store: Store, thread: Thread, signature: str, segmenter: Segmenter,
                           results: Sequence[Segmentation], failures: Sequence[StageFailure]) -> int:
    """Store one thread's segmentations, and the messages that could not be segmented
    with their reason, in one transaction."""
    with store.transaction():
        for segmentation in results:
            save_segmentation(store, segmentation, thread_signature=signature, segmenter=segmenter.fingerprint)
        forget_failures(store, "segment", [s.message_id for s in results])
        for failure in failures:
            store.connection.execute("DELETE FROM segmentations WHERE message_id = ?", (failure.message_id,))
        replace_failures(
            store, "segment", thread.thread_id, failures, version=_segmented_version(signature, segmenter.fingerprint)
        )
    return len(failures)


def segmentation_versions(store: Store) -> dict[str, str]:
    """message_id -> what its stored segmentation was made from (thread signature and
    segmenter), or why it has none (a recorded failure)."""
    rows = store.connection.execute("SELECT message_id, thread_signature, segmenter FROM segmentations")
    versions = {str(r[0]): _segmented_version(r[1], r[2]) for r in rows}
    versions |= {mid: f"failed:{v}" for mid, v in failed_versions(store, "segment").items()}
    return versions


def _bodies(store: Store, message_ids: Sequence[str]) -> dict[str, str]:
    rows = store.select_in("SELECT message_id, body FROM messages WHERE message_id IN ({})", message_ids)
    return {row[0]: row[1] for row in rows}


# Record type -> (table, the fields stored as columns); the Segmentation field holding them.
_SEGMENT_TABLES: tuple[tuple[str, type[Any], str, tuple[str, ...]], ...] = (
    ("blocks", Block, "segment_blocks", ("kind", "start", "end", "depth")),
    ("attributions", Attribution, "segment_attributions", ("start", "end", "name", "email", "date", "depth")),
    (
        "quotes",
        QuotedBlock,
        "segment_quotes",
        ("index", "start", "end", "depth", "text", "source_message_id", "source_start", "source_end"),
    ),
    ("own", OwnText, "segment_own", ("index", "start", "end", "text", "answers")),
    ("trailers", Trailer, "segment_trailers", ("key", "value", "start", "end")),
)


def save_segmentation(store: Store, s: Segmentation, *, thread_signature: str = "", segmenter: str = "") -> None:
    """Replace what is stored for ``s.message_id`` (call inside a transaction)."""
    db, mid = store.connection, s.message_id
    db.execute("DELETE FROM segmentations WHERE message_id = ?", (mid,))
    db.execute("INSERT INTO segmentations VALUES (?,?,?)", (mid, thread_signature, segmenter))
    for field, _, table, columns in _SEGMENT_TABLES:
        names = ", ".join(f'"{c}"' for c in ("message_id", "position", *columns, "extra_json"))
        marks = ",".join("?" * (len(columns) + 3))
        db.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",
            [(mid, i, *(getattr(r, c) for c in columns), _extras(r, columns)) for i, r in enumerate(getattr(s, field))],
        )


def load_segmentation(store: Store, message_id: str) -> Segmentation | None:
    db, mid = store.connection, message_id.strip("<>")
    if db.execute("SELECT 1 FROM segmentations WHERE message_id = ?", (mid,)).fetchone() is None:
        return None
    parts: dict[str, tuple[Any, ...]] = {}
    for field, record, table, columns in _SEGMENT_TABLES:
        rows = db.execute(f"SELECT * FROM {table} WHERE message_id = ? ORDER BY position", (mid,))
        parts[field] = tuple(record(**{c: r[c] for c in columns}, **_loaded_extras(r["extra_json"])) for r in rows)
    return Segmentation(message_id=mid, **parts)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _extras(record: Any, columns: tuple[str, ...]) -> str:
    extra = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in columns}
    if isinstance(extra.get("attribution"), Attribution):
        extra["attribution"] = dataclasses.asdict(extra["attribution"])
    return json.dumps(extra, ensure_ascii=False)


def _loaded_extras(value: str) -> dict[str, Any]:
    # Records hold tuples; JSON gives lists back.
    extra: dict[str, Any] = {k: _tuples(v) for k, v in json.loads(value).items()}
    if isinstance(extra.get("attribution"), dict):
        extra["attribution"] = Attribution(**extra["attribution"])
    return extra


# -- reading ---------------------------------------------------------------------------


def load_threads(store: Store) -> list[Thread]:
    """Every thread, by first date; members in pre-order."""
    members: dict[str, list[ThreadMember]] = {}
    for row in store.connection.execute("SELECT * FROM thread_members ORDER BY thread_id, position"):
        members.setdefault(row["thread_id"], []).append(_member(row))
    rows = store.connection.execute("SELECT * FROM threads ORDER BY coalesce(first_date, '\uffff'), thread_id")
    return [_thread(row, members.get(row["thread_id"], [])) for row in rows]


def load_thread(store: Store, thread_id: str) -> Thread | None:
    thread_id = thread_id.strip("<>")
    row = store.connection.execute("SELECT * FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
    if row is None:
        return None
    members = store.connection.execute(
        "SELECT * FROM thread_members WHERE thread_id = ? ORDER BY position", (thread_id,)
    ).fetchall()
    return _thread(row, [_member(m) for m in members])


def thread_id_of(store: Store, message_id: str) -> str | None:
    row = store.connection.execute(
        "SELECT thread_id FROM thread_members WHERE message_id = ?", (message_id.strip("<>"),)
    ).fetchone()
    return None if row is None else str(row[0])


def _member(row: Any) -> ThreadMember:
    return ThreadMember(
        row["message_id"], row["parent_id"], row["depth"], bool(row["placeholder"]), bool(row["linked_by_subject"])
    )


def _thread(row: Any, members: list[ThreadMember]) -> Thread:
    return Thread(row["thread_id"], row["root_subject"], tuple(members), row["first_date"], row["last_date"])


def load_people(store: Store) -> list[Person]:
    db = store.connection
    emails: dict[str, list[str]] = {}
    roles: dict[str, list[str]] = {}
    for person_id, email in db.execute("SELECT person_id, email FROM person_addresses ORDER BY email"):
        emails.setdefault(person_id, []).append(email)
    for person_id, role in db.execute("SELECT person_id, role FROM person_roles ORDER BY role"):
        roles.setdefault(person_id, []).append(role)
    return [
        Person(pid, name, tuple(emails.get(pid, ())), tuple(roles.get(pid, ())))
        for pid, name in db.execute("SELECT person_id, name FROM people ORDER BY person_id")
    ]


def author_ids(store: Store) -> dict[str, str]:
    """message_id -> person_id of its author."""
    return dict(store.connection.execute("SELECT message_id, person_id FROM message_authors").fetchall())


def load_series(store: Store) -> list[SeriesVersion]:
    """Every posting, with its patches (empty for a store not rebuilt since migration 5)."""
    return _series_where(store, "", ())


def posting_of(store: Store, message_id: str) -> SeriesVersion | None:
    """The posting a patch or cover letter belongs to, with all its patches."""
    row = store.connection.execute(
        "SELECT root_message_id FROM series_patches WHERE message_id = ?", (message_id.strip("<>"),)
    ).fetchone()
    found = _series_where(store, "WHERE root_message_id = ?", (row[0],)) if row else []
    return found[0] if found else None


def postings_in_thread(store: Store, thread_id: str) -> list[SeriesVersion]:
    """The postings with at least one message in the thread (a posting assembled across
    threads shows in each of them), by date."""
    roots = [
        r[0]
        for r in store.connection.execute(
            "SELECT DISTINCT root_message_id FROM series_patches WHERE thread_id = ?", (thread_id.strip("<>"),)
        )
    ]
    found = [v for root in roots for v in _series_where(store, "WHERE root_message_id = ?", (root,))]
    return sorted(found, key=lambda v: (v.date or "\uffff", v.root_message_id))


def _series_where(store: Store, where: str, args: tuple[str, ...]) -> list[SeriesVersion]:
    patches: dict[str, list[SeriesPatch]] = {}
    for r in store.connection.execute(f"SELECT * FROM series_patches {where} ORDER BY root_message_id, position", args):
        patches.setdefault(r["root_message_id"], []).append(
            SeriesPatch(r["message_id"], r["number"], r["total"], r["title"], r["thread_id"], r["superseded_by"])
        )
    rows = store.connection.execute(
        f"SELECT * FROM series_versions {where} "
        "ORDER BY series_id, version, coalesce(date, '\uffff'), root_message_id",
        args,
    )
    return [
        SeriesVersion(
            r["series_id"], r["version"], r["root_message_id"], r["thread_id"], r["subject"],
            r["author_email"], r["date"], r["superseded_by"], tuple(patches.get(r["root_message_id"], ())),
        )
        for r in rows
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class ThreadOverview:
    """One line of a thread listing."""

    thread_id: str
    root_subject: str
    first_date: str | None
    last_date: str | None
    message_count: int
    participants: tuple[str, ...]
    """Names of the people who posted, in order of their first message."""
    lists: tuple[str, ...]


def thread_overviews(store: Store, *, list_id: str | None = None, since: str | None = None) -> list[ThreadOverview]:
    """Threads by first date; ``list_id`` keeps threads with a message on that list,
    ``since`` (an ISO date) threads active on or after it."""
    db = store.connection
    people: dict[str, list[str]] = {}
    for thread_id, name in db.execute(
        "SELECT tm.thread_id, p.name FROM thread_members tm JOIN messages m USING (message_id) "
        "JOIN message_authors a USING (message_id) JOIN people p USING (person_id) "
        "GROUP BY tm.thread_id, p.person_id ORDER BY tm.thread_id, min(coalesce(m.date, '\uffff'))"
    ):
        people.setdefault(thread_id, []).append(name)
    lists: dict[str, list[str]] = {}
    for thread_id, found in db.execute(
        "SELECT DISTINCT tm.thread_id, l.list_id FROM thread_members tm JOIN message_lists l USING (message_id) "
        "ORDER BY tm.thread_id, l.list_id"
    ):
        lists.setdefault(thread_id, []).append(found)
    rows = db.execute(
        "SELECT * FROM threads WHERE (? IS NULL OR last_date >= ?) "
        "ORDER BY coalesce(first_date, '\uffff'), thread_id",
        (since, since),
    )
    return [
        ThreadOverview(
            r["thread_id"], r["root_subject"], r["first_date"], r["last_date"], r["message_count"],
            tuple(people.get(r["thread_id"], ())), tuple(lists.get(r["thread_id"], ())),
        )
        for r in rows
        if list_id is None or list_id in lists.get(r["thread_id"], ())
    ]


def known_lists(store: Store) -> list[str]:
    return [row[0] for row in store.connection.execute("SELECT DISTINCT list_id FROM message_lists ORDER BY 1")]


def author_of(store: Store, message_id: str) -> Person | None:
    """The person who wrote a message, with every address and role known for them."""
    db = store.connection
    row = db.execute(
        "SELECT person_id, name FROM message_authors JOIN people USING (person_id) WHERE message_id = ?",
        (message_id.strip("<>"),),
    ).fetchone()
    if row is None:
        return None
    emails = db.execute("SELECT email FROM person_addresses WHERE person_id = ? ORDER BY email", (row[0],))
    roles = db.execute("SELECT role FROM person_roles WHERE person_id = ? ORDER BY role", (row[0],))
    return Person(row[0], row[1], tuple(e[0] for e in emails), tuple(r[0] for r in roles))


# -- reading in pages (bounded memory over a store of any size) --------------------------

def thread_pages(store: Store, size: int = 100) -> Iterator[list[Thread]]:
    """Every thread, in ``load_threads``' order (by first date, undated last), ``size``
    threads at a time, so that a reader holds one page of threads and their members, not
    the whole store. Each page is a range of the first-date index (or, undated, of the
    thread ids): reading a page does not scan the table."""
    dated = (
        "SELECT * FROM threads WHERE first_date >= ?1 AND (first_date > ?1 OR thread_id > ?2) "
        "ORDER BY first_date, thread_id LIMIT ?3"
    )
    undated = "SELECT * FROM threads WHERE first_date IS NULL AND thread_id > ?2 ORDER BY thread_id LIMIT ?3"
    for query in (dated, undated):
        after: tuple[str, str] = ("", "")
        while rows := store.connection.execute(query, (*after, size)).fetchall():
            members: dict[str, list[ThreadMember]] = {}
            for row in store.select_in(
                "SELECT * FROM thread_members WHERE thread_id IN ({}) ORDER BY thread_id, position",
                [r["thread_id"] for r in rows],
            ):
                members.setdefault(row["thread_id"], []).append(_member(row))
            yield [_thread(row, members.get(row["thread_id"], [])) for row in rows]
            after = (rows[-1]["first_date"] or "", rows[-1]["thread_id"])


def authors_of(store: Store, message_ids: Sequence[str]) -> dict[str, str]:
    """``author_ids`` for these messages only."""
    rows = store.select_in("SELECT message_id, person_id FROM message_authors WHERE message_id IN ({})", message_ids)
    return {str(r[0]): str(r[1]) for r in rows}


def people_by_id(store: Store, person_ids: Sequence[str]) -> dict[str, Person]:
    """``load_people`` for these people only, by id."""
    emails: dict[str, list[str]] = {}
    roles: dict[str, list[str]] = {}
    for person_id, email in store.select_in(
        "SELECT person_id, email FROM person_addresses WHERE person_id IN ({}) ORDER BY email", person_ids
    ):
        emails.setdefault(person_id, []).append(email)
    for person_id, role in store.select_in(
        "SELECT person_id, role FROM person_roles WHERE person_id IN ({}) ORDER BY role", person_ids
    ):
        roles.setdefault(person_id, []).append(role)
    return {
        pid: Person(pid, name, tuple(emails.get(pid, ())), tuple(roles.get(pid, ())))
        for pid, name in store.select_in("SELECT person_id, name FROM people WHERE person_id IN ({})", person_ids)
    }


def roles_known(store: Store) -> bool:
    """True when some person has a role (a MAINTAINERS file was given)."""
    row = store.connection.execute(
        "SELECT EXISTS (SELECT 1 FROM person_roles r JOIN people p ON p.person_id = r.person_id)"
    ).fetchone()
    return bool(row[0])


def series_touching(store: Store, message_ids: Sequence[str]) -> list[SeriesVersion]:
    """Every posting (without its patches) of each series with a posting rooted at one
    of ``message_ids``, in ``load_series``' order."""
    series_ids = sorted(
        {str(r[0]) for r in store.select_in("SELECT series_id FROM series_versions WHERE root_message_id IN ({})", message_ids)}
    )
    rows = store.select_in("SELECT * FROM series_versions WHERE series_id IN ({})", series_ids)
    found = [
        SeriesVersion(r["series_id"], r["version"], r["root_message_id"], r["thread_id"], r["subject"],
                      r["author_email"], r["date"], r["superseded_by"], ())
        for r in rows
    ]
    return sorted(found, key=lambda v: (v.series_id, v.version, v.date or "\uffff", v.root_message_id))


def segmentation_versions_of(store: Store, message_ids: Sequence[str]) -> dict[str, str]:
    """``segmentation_versions`` for these messages only."""
    rows = store.select_in(
        "SELECT message_id, thread_signature, segmenter FROM segmentations WHERE message_id IN ({})", message_ids
    )
    versions = {str(r[0]): _segmented_version(r[1], r[2]) for r in rows}
    failed = store.select_in(
        "SELECT message_id, version FROM stage_failures WHERE stage = 'segment' AND message_id IN ({})", message_ids
    )
    versions |= {str(r[0]): f"failed:{r[1]}" for r in failed}
    return versions
