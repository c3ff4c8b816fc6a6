"""Series linking from the store, one connected group of postings at a time.

What ``link_series`` decides for a patch mail depends only on the patch mails joined to
it, to a fixed point, by a shared *atom*:

- ``unit``: one thread, author, version, size and tree (the patches of one posting);
- ``join``: one author, version, size and tree, the units' first dates within 12 hours
  (patches sent without References, joined across threads within ``WINDOW``): each unit
  gets its 12-hour bucket and the one before, so two units less than 12 hours apart share
  one;
- ``answers``: a message and the patch mails answering it (a cover letter without ``0/n``
  is attached to the patches of its author that answer it);
- ``title``: one author and series title (the cover title and patch titles that link
  versions: a superset, the tree left out);
- ``change-id``: one Change-Id.

Every posting, its cover letter and every pair of versions ``link_series`` links share an
atom, so linking each group on its own gives exactly what linking every posted patch of
the store at once gives, while the driver holds one batch of groups.

The posted patches and their atoms are kept in the store (SERIES_INDEX, migration 11 of
analyzer/store/schema.py; each patch mail's body read once, when it is first seen), so a
run relinks only the groups that changed: those holding a new patch mail or one whose
thread, parent or author this run changed, before (the group it left) and after (the
group it joined), the other patch mails of its units included (their ``join`` atoms
follow the unit's first date). A group none of whose patch mails or atoms changed links
as it did.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from analyzer.store.db import Store
from analyzer.thread.records import UNDATED, SeriesVersion
from analyzer.thread.series import WINDOW, PostedPatch, link_series, might_be_patch_mail, posted_patch
from analyzer.thread.subject import parse_subject, series_key

SERIES_INDEX = """
-- Every message that may be part of a posting (series linking's input): what its body
-- says (read once), and its author, thread and parent as the structure stage last stored
-- them; seq is its messages row id.
CREATE TABLE series_patch_mails (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_email TEXT NOT NULL,
    date TEXT,
    thread_id TEXT NOT NULL,
    change_id TEXT,
    has_diff INTEGER,
    parent_id TEXT,
    posting_key TEXT
);
CREATE INDEX series_patch_mails_unit ON series_patch_mails(posting_key, thread_id);
-- What joins patch mails into one group for linking (see the module's docstring).
CREATE TABLE series_patch_atoms (
    atom TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (atom, seq)
) WITHOUT ROWID;
CREATE INDEX series_patch_atoms_seq ON series_patch_atoms(seq);
"""
"""Part of migration 11 of analyzer/store/schema.py."""

_PAGE = 1000
BATCH_PATCHES = 2000
"""Groups of postings are linked together until a batch holds this many patch mails."""

_FIELDS = (
    "m.id, m.message_id, m.subject, m.date, m.author_email, a.person_id, tm.thread_id, "
    "CASE WHEN p.placeholder = 0 THEN tm.parent_id END"
)
_JOINED = (
    "FROM messages m JOIN message_authors a ON a.message_id = m.message_id "
    "JOIN thread_members tm ON tm.message_id = m.message_id "
    "LEFT JOIN thread_members p ON p.message_id = tm.parent_id"
)
_TEMP = ("series_dirty", "series_touched", "series_linked")


def relinked_series(
    store: Store, *, after: int, batch_patches: int | None = None
) -> Iterator[tuple[int, list[str], tuple[SeriesVersion, ...]]]:
    """Bring the stored patch mails up to date with the messages stored after row
    ``after`` and with this run's threads and authors, then yield every group of postings
    that may have changed, linked, a batch at a time: (how many groups, the patch mails of
    the batch, whose stored postings it replaces; its postings). Call inside a transaction, after threads
    and authors are written; reads the temporary tables ``rethreaded_messages`` (the
    messages of the components threaded this run) and ``reauthored_messages`` (earlier
    messages whose author changed)."""
    db = store.connection
    for table in _TEMP:
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (seq INTEGER PRIMARY KEY)")
        db.execute(f"DELETE FROM temp.{table}")
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS series_units (posting_key TEXT NOT NULL, thread_id TEXT NOT NULL, "
        "PRIMARY KEY (posting_key, thread_id)) WITHOUT ROWID"
    )
    db.execute("DELETE FROM temp.series_units")
    try:
        _mark_changed(store, after)
        yield from _linked_groups(store, batch_patches or BATCH_PATCHES)
    finally:
        for table in (*_TEMP, "series_units"):
            db.execute(f"DELETE FROM temp.{table}")


def _mark_changed(store: Store, after: int) -> None:
    """Fill ``series_dirty`` (patch mails whose row or atoms change) and ``series_touched``
    (the groups they were in before), and rewrite their rows and atoms."""
    db = store.connection
    # Earlier patch mails whose thread, parent or author may have changed.
    db.execute(
        "INSERT OR IGNORE INTO temp.series_dirty SELECT seq FROM series_patch_mails "
        "WHERE message_id IN (SELECT message_id FROM temp.rethreaded_messages) "
        "OR message_id IN (SELECT message_id FROM temp.reauthored_messages)"
    )
    # The groups they were in, read from the atoms as stored (a group may split).
    for (seq,) in db.execute("SELECT seq FROM temp.series_dirty ORDER BY seq").fetchall():
        if not db.execute("SELECT 1 FROM temp.series_touched WHERE seq = ?", (seq,)).fetchone():
            db.executemany("INSERT INTO temp.series_touched VALUES (?)", [(s,) for s in posting_group(store, seq)])
    _add_units_of_dirty(store)  # the units they leave
    _refresh_rows(store)
    _add_new_rows(store, after)
    _add_units_of_dirty(store)  # the units they join
    # Every patch mail of a unit whose first date may have moved gets its atoms again.
    db.execute(
        "INSERT OR IGNORE INTO temp.series_dirty SELECT p.seq FROM temp.series_units u "
        "JOIN series_patch_mails p ON p.posting_key = u.posting_key AND p.thread_id = u.thread_id"
    )
    _rewrite_atoms(store)


def _add_units_of_dirty(store: Store) -> None:
    store.connection.execute(
        "INSERT OR IGNORE INTO temp.series_units SELECT posting_key, thread_id FROM series_patch_mails "
        "WHERE seq IN (SELECT seq FROM temp.series_dirty) AND posting_key IS NOT NULL"
    )


def _refresh_rows(store: Store) -> None:
    """The dirty rows' author, thread and parent as now stored (their body is not read
    again: what it says was kept)."""
    db = store.connection
    after = 0
    while seqs := [r[0] for r in db.execute(
        "SELECT seq FROM temp.series_dirty WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE)
    ).fetchall()]:
        after = int(seqs[-1])
        kept = {r["seq"]: r for r in store.select_in(
            "SELECT * FROM series_patch_mails WHERE seq IN ({})", [str(s) for s in seqs]
        )}
        for r in store.select_in(f"SELECT {_FIELDS} {_JOINED} WHERE m.id IN ({{}})", [str(s) for s in seqs]):
            old = kept[r[0]]
            patch = PostedPatch(
                old["message_id"], old["subject"], r[5], old["author_email"], old["date"], r[6],
                old["change_id"], None if old["has_diff"] is None else bool(old["has_diff"]), r[7],
            )
            db.execute(
                "UPDATE series_patch_mails SET author_id = ?, thread_id = ?, parent_id = ?, posting_key = ? "
                "WHERE seq = ?",
                (patch.author_id, patch.thread_id, patch.parent_id, _atoms(patch)[0], r[0]),
            )


def _add_new_rows(store: Store, after: int) -> None:
    """The patch mails among the messages stored after row ``after`` (each body read
    here, once), as dirty rows."""
    db = store.connection
    while rows := db.execute(
        f"SELECT {_FIELDS} {_JOINED} WHERE m.id > ? ORDER BY m.id LIMIT ?", (after, _PAGE)
    ).fetchall():
        after = int(rows[-1][0])
        for r in rows:
            if not might_be_patch_mail(r[2]):
                continue
            body = db.execute("SELECT body FROM messages WHERE id = ?", (r[0],)).fetchone()[0]
            found = posted_patch(
                r[1], r[2], author_id=r[5], author_email=r[4], date=r[3], thread_id=r[6], body=body, parent_id=r[7]
            )
            if found is not None:
                db.execute(
                    "INSERT INTO series_patch_mails VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (r[0], found.message_id, found.subject, found.author_id, found.author_email, found.date,
                     found.thread_id, found.change_id, found.has_diff, found.parent_id, _atoms(found)[0]),
                )
                db.execute("INSERT OR IGNORE INTO temp.series_dirty VALUES (?)", (r[0],))


def _rewrite_atoms(store: Store) -> None:
    """The atoms of every dirty row, then the ``join`` atoms of every unit touched."""
    db = store.connection
    after = 0
    while rows := db.execute(
        "SELECT p.* FROM temp.series_dirty d JOIN series_patch_mails p ON p.seq = d.seq WHERE d.seq > ? "
        "ORDER BY d.seq LIMIT ?",
        (after, _PAGE),
    ).fetchall():
        after = int(rows[-1]["seq"])
        db.executemany("DELETE FROM series_patch_atoms WHERE seq = ?", [(r["seq"],) for r in rows])
        db.executemany(
            "INSERT OR IGNORE INTO series_patch_atoms VALUES (?,?)",
            [(atom, r["seq"]) for r in rows for atom in _atoms(_patch(r))[1]],
        )
    _join_atoms(store)


def _patch(r: Any) -> PostedPatch:
    return PostedPatch(
        r["message_id"], r["subject"], r["author_id"], r["author_email"], r["date"], r["thread_id"],
        r["change_id"], None if r["has_diff"] is None else bool(r["has_diff"]), r["parent_id"],
    )


def _atoms(patch: PostedPatch) -> tuple[str | None, list[str]]:
    """The patch's posting key (author, version, size, tree; None when unnumbered) and its
    atoms but the ``join`` ones (those need its unit's first date)."""
    parsed = parse_subject(patch.subject)
    atoms = [_atom("answers", patch.message_id), _atom("title", patch.author_id, series_key(parsed))]
    if patch.parent_id:
        atoms.append(_atom("answers", patch.parent_id))
    if patch.change_id:
        atoms.append(_atom("change-id", patch.change_id))
    if parsed.total is None:
        return None, atoms
    key = _atom(patch.author_id, str(parsed.version), str(parsed.total), " ".join(parsed.targets).casefold())
    atoms.append(_atom("unit", patch.thread_id, key))
    return key, atoms


def _atom(*parts: str) -> str:
    return json.dumps(parts, ensure_ascii=False)


def _join_atoms(store: Store) -> None:
    """Each unit touched (thread and posting key) gets the ``join`` atoms of its first
    date: its 12-hour bucket and the one before (undated or unreadable dates never join)."""
    db = store.connection
    units = db.execute(
        "SELECT p.posting_key, p.thread_id, min(CASE WHEN p.date IS NULL OR p.date = '' THEN ? ELSE p.date END) "
        "FROM temp.series_units u JOIN series_patch_mails p ON p.posting_key = u.posting_key "
        "AND p.thread_id = u.thread_id GROUP BY p.posting_key, p.thread_id",
        (UNDATED,),
    )
    for key, thread_id, first in units.fetchall():
        try:
            bucket = int(dt.datetime.fromisoformat(first).timestamp() // WINDOW.total_seconds())
        except ValueError:
            continue
        for atom in (_atom("join", key, str(bucket)), _atom("join", key, str(bucket - 1))):
            db.execute(
                "INSERT OR IGNORE INTO series_patch_atoms SELECT ?, seq FROM series_patch_mails "
                "WHERE posting_key = ? AND thread_id = ?",
                (atom, key, thread_id),
            )


def posting_group(store: Store, seed: int) -> list[int]:
    """The stored patch mails (by ``seq``) sharing an atom with ``seed``, to a fixed point."""
    db = store.connection
    found, atoms, queue = {seed}, set(), [seed]
    while queue:
        seq = queue.pop()
        for (atom,) in db.execute("SELECT atom FROM series_patch_atoms WHERE seq = ?", (seq,)).fetchall():
            if atom in atoms:
                continue
            atoms.add(atom)
            for (other,) in db.execute("SELECT seq FROM series_patch_atoms WHERE atom = ?", (atom,)).fetchall():
                if other not in found:
                    found.add(other)
                    queue.append(other)
    return sorted(found)


def _linked_groups(store: Store, limit: int) -> Iterator[tuple[int, list[str], tuple[SeriesVersion, ...]]]:
    """Every group now holding a dirty patch mail or one of a group one was in before."""
    db = store.connection
    batch: list[int] = []
    groups = 0
    for table in ("series_dirty", "series_touched"):
        after = 0
        while seeds := db.execute(
            f"SELECT seq FROM temp.{table} WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE)
        ).fetchall():
            after = int(seeds[-1][0])
            for (seed,) in seeds:
                if db.execute("SELECT 1 FROM temp.series_linked WHERE seq = ?", (seed,)).fetchone():
                    continue
                if not db.execute("SELECT 1 FROM series_patch_mails WHERE seq = ?", (seed,)).fetchone():
                    continue
                group = posting_group(store, seed)
                db.executemany("INSERT INTO temp.series_linked VALUES (?)", [(s,) for s in group])
                batch += group
                groups += 1
                if len(batch) >= limit:
                    yield (groups, *_linked(store, batch))
                    batch, groups = [], 0
    if batch:
        yield (groups, *_linked(store, batch))


def _linked(store: Store, seqs: Sequence[int]) -> tuple[list[str], tuple[SeriesVersion, ...]]:
    rows = store.select_in("SELECT * FROM series_patch_mails WHERE seq IN ({})", [str(s) for s in seqs])
    rows.sort(key=lambda r: r["seq"])
    return [r["message_id"] for r in rows], link_series(_patch(r) for r in rows)
