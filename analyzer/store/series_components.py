"""Series linking from the store, one group of authors at a time.

Everything ``link_series`` joins shares an author or a Change-Id: the patches of one
posting have one author (it is in the posting key), a cover letter is attached only to
patches of its author, versions are linked by a title or patch title keyed by the
author, or by a Change-Id. So the postings of the authors connected through Change-Ids
can be linked on their own, and each group gives exactly what linking every posting of
the store at once gives for it. The posted patches wait in a temporary table (read
once, bodies included), not in the driver's memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.store.db import Store
from analyzer.thread.records import SeriesVersion
from analyzer.thread.series import PostedPatch, link_series, might_be_patch_mail, posted_patch

_PAGE = 1000


def collect_posted_patches(store: Store) -> int:
    """Every message that may be part of a posting, with its author, thread and parent as
    stored by this rebuild (``message_authors``, ``thread_members``), into the temporary
    table ``posted_patches`` in store order; returns how many."""
    db = store.connection
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS posted_patches (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL, "
        "subject TEXT NOT NULL, author_id TEXT NOT NULL, author_email TEXT NOT NULL, date TEXT, "
        "thread_id TEXT NOT NULL, change_id TEXT, has_diff INTEGER, parent_id TEXT)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS temp.posted_patches_author ON posted_patches(author_id)")
    db.execute("DELETE FROM temp.posted_patches")
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
                db.execute(
                    "INSERT INTO temp.posted_patches VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (r[0], found.message_id, found.subject, found.author_id, found.author_email, found.date,
                     found.thread_id, found.change_id, found.has_diff, found.parent_id),
                )
                count += 1
    return count


def author_groups(store: Store) -> list[list[str]]:
    """The authors of posted patches, joined when they share a Change-Id."""
    db = store.connection
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for (author,) in db.execute("SELECT DISTINCT author_id FROM temp.posted_patches ORDER BY author_id"):
        find(author)
    first: dict[str, str] = {}
    for change_id, author in db.execute(
        "SELECT DISTINCT change_id, author_id FROM temp.posted_patches WHERE change_id IS NOT NULL ORDER BY 1, 2"
    ):
        a, b = find(first.setdefault(change_id, author)), find(author)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for author in sorted(parent):
        groups.setdefault(find(author), []).append(author)
    return list(groups.values())


def linked_series(store: Store) -> Iterator[tuple[SeriesVersion, ...]]:
    """``link_series`` of the posted patches, one group of authors at a time (call after
    ``collect_posted_patches``)."""
    db = store.connection
    for authors in author_groups(store):
        rows = store.select_in("SELECT * FROM temp.posted_patches WHERE author_id IN ({})", authors)
        rows.sort(key=lambda r: r["seq"])
        yield link_series(
            PostedPatch(
                r["message_id"], r["subject"], r["author_id"], r["author_email"], r["date"], r["thread_id"],
                r["change_id"], None if r["has_diff"] is None else bool(r["has_diff"]), r["parent_id"],
            )
            for r in rows
        )
    db.execute("DELETE FROM temp.posted_patches")
