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
the store at once gives, while the driver holds one batch of groups. The posted patches
and their atoms wait in temporary tables (each patch mail's body read once).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from analyzer.store.db import Store
from analyzer.thread.records import UNDATED, SeriesVersion
from analyzer.thread.series import WINDOW, PostedPatch, link_series, might_be_patch_mail, posted_patch
from analyzer.thread.subject import parse_subject, series_key

_PAGE = 1000
BATCH_PATCHES = 2000
"""Groups of postings are linked together until a batch holds this many patch mails."""


def collect_posted_patches(store: Store) -> int:
    """Every message that may be part of a posting, with its author, thread and parent as
    stored by this rebuild (``message_authors``, ``thread_members``), into the temporary
    table ``posted_patches`` in store order; returns how many."""
    db = store.connection
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS posted_patches (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, "
        "subject TEXT NOT NULL, author_id TEXT NOT NULL, author_email TEXT NOT NULL, date TEXT, "
        "thread_id TEXT NOT NULL, change_id TEXT, has_diff INTEGER, parent_id TEXT, posting_key TEXT)"
    )
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS patch_atoms (atom TEXT NOT NULL, seq INTEGER NOT NULL, "
        "PRIMARY KEY (atom, seq)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX IF NOT EXISTS temp.patch_atoms_seq ON patch_atoms(seq)")
    db.execute("CREATE INDEX IF NOT EXISTS temp.posted_patches_unit ON posted_patches(posting_key, thread_id)")
    db.execute("DELETE FROM temp.posted_patches")
    db.execute("DELETE FROM temp.patch_atoms")
    after, count = 0, 0
    while rows := db.execute(
        "SELECT m.id, m.message_id, m.subject, m.date, m.author_email, a.person_id, tm.thread_id, "
        "CASE WHEN p.placeholder = 0 THEN tm.parent_id END "
        "FROM messages m JOIN message_authors a ON a.message_id = m.message_id "
        "JOIN thread_members tm ON tm.message_id = m.message_id "
        "LEFT JOIN thread_members p ON p.message_id = tm.parent_id "
        "WHERE m.id > ? ORDER BY m.id LIMIT ?",
        (after, _PAGE),
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
                key, atoms = _atoms(found)
                db.execute(
                    "INSERT INTO temp.posted_patches VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (r[0], found.message_id, found.subject, found.author_id, found.author_email, found.date,
                     found.thread_id, found.change_id, found.has_diff, found.parent_id, key),
                )
                db.executemany("INSERT OR IGNORE INTO temp.patch_atoms VALUES (?,?)", [(a, r[0]) for a in atoms])
                count += 1
    _join_atoms(store)
    return count


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
    """Each unit (thread and posting key) gets the ``join`` atoms of its first date: its
    12-hour bucket and the one before (undated or unreadable dates never join)."""
    db = store.connection
    units = db.execute(
        "SELECT posting_key, thread_id, min(CASE WHEN date IS NULL OR date = '' THEN ? ELSE date END) "
        "FROM temp.posted_patches WHERE posting_key IS NOT NULL GROUP BY posting_key, thread_id",
        (UNDATED,),
    )
    for key, thread_id, first in units.fetchall():
        try:
            bucket = int(dt.datetime.fromisoformat(first).timestamp() // WINDOW.total_seconds())
        except ValueError:
            continue
        for atom in (_atom("join", key, str(bucket)), _atom("join", key, str(bucket - 1))):
            db.execute(
                "INSERT OR IGNORE INTO temp.patch_atoms SELECT ?, seq FROM temp.posted_patches "
                "WHERE posting_key = ? AND thread_id = ?",
                (atom, key, thread_id),
            )


def posting_group(store: Store, seed: int) -> list[int]:
    """The posted patches (by ``seq``) sharing an atom with ``seed``, to a fixed point."""
    db = store.connection
    found, atoms, queue = {seed}, set(), [seed]
    while queue:
        seq = queue.pop()
        for (atom,) in db.execute("SELECT atom FROM temp.patch_atoms WHERE seq = ?", (seq,)).fetchall():
            if atom in atoms:
                continue
            atoms.add(atom)
            for (other,) in db.execute("SELECT seq FROM temp.patch_atoms WHERE atom = ?", (atom,)).fetchall():
                if other not in found:
                    found.add(other)
                    queue.append(other)
    return sorted(found)


def linked_series(store: Store, *, batch_patches: int | None = None) -> Iterator[tuple[SeriesVersion, ...]]:
    """``link_series`` of the posted patches, a batch of whole groups at a time (about
    ``batch_patches`` patch mails, default ``BATCH_PATCHES``); call after
    ``collect_posted_patches``, inside a transaction."""
    db = store.connection
    limit = batch_patches or BATCH_PATCHES
    db.execute("CREATE TEMP TABLE IF NOT EXISTS linked_patches (seq INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.linked_patches")
    batch: list[int] = []
    after = 0
    while seeds := db.execute(
        "SELECT seq FROM temp.posted_patches WHERE seq > ? ORDER BY seq LIMIT ?", (after, _PAGE)
    ).fetchall():
        after = int(seeds[-1][0])
        for (seed,) in seeds:
            if db.execute("SELECT 1 FROM temp.linked_patches WHERE seq = ?", (seed,)).fetchone():
                continue
            group = posting_group(store, seed)
            db.executemany("INSERT INTO temp.linked_patches VALUES (?)", [(s,) for s in group])
            batch += group
            if len(batch) >= limit:
                yield _linked(store, batch)
                batch = []
    if batch:
        yield _linked(store, batch)
    for table in ("posted_patches", "patch_atoms", "linked_patches"):
        db.execute(f"DELETE FROM temp.{table}")


def _linked(store: Store, seqs: list[int]) -> tuple[SeriesVersion, ...]:
    rows = store.select_in("SELECT * FROM temp.posted_patches WHERE seq IN ({})", [str(s) for s in seqs])
    rows.sort(key=lambda r: r["seq"])
    return link_series(
        PostedPatch(
            r["message_id"], r["subject"], r["author_id"], r["author_email"], r["date"], r["thread_id"],
            r["change_id"], None if r["has_diff"] is None else bool(r["has_diff"]), r["parent_id"],
        )
        for r in rows
    )
