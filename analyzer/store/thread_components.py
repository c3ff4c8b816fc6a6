"""Threading from the store, one connected component at a time.

``build_threads`` is pure and needs every message its result can depend on. Those are
the message's *connected component*: messages joined by a Message-ID one of them names
(In-Reply-To or References, placeholders included: every message naming a missing id
is in the component of that id), and, for subject linking, the originals and the
headerless ``Re:`` replies sharing a reply base when there is such a reply. Cycle
breaking, placeholders' presumed parents, sibling order and subject linking are all
decided inside one component, so threading the components one by one (or a few
together) gives exactly the threads of threading the whole store at once, while the
driver holds one batch of components, not every message.

Finding a component needs "which messages name X" and "which messages have reply base
B": the tables ``message_names`` and ``message_reply_bases`` (MESSAGE_INDEX, migration
10 of analyzer/store/schema.py), filled by ``index_new_messages`` for the rows stored
since it last ran (``messages`` rows are only ever added, with growing row ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from analyzer.progress import Progress
from analyzer.store.db import Store
from analyzer.thread.records import ThreadingHeaders
from analyzer.thread.tree import Threading, build_threads, clean_id, is_reply_subject, reply_base

MESSAGE_INDEX = """
-- Every Message-ID a message names in In-Reply-To or References (cleaned as threading
-- cleans them), by the id named: "which stored messages name X".
CREATE TABLE message_names (
    named_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (named_id, message_id)
) WITHOUT ROWID;
-- Reply base of the subject of each original (not a reply) and of each reply sent
-- without threading headers: what subject linking may join.
CREATE TABLE message_reply_bases (
    reply_base TEXT NOT NULL,
    headerless_reply INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (reply_base, headerless_reply, message_id)
) WITHOUT ROWID;
-- The highest messages row id indexed above (filled by the structure stage).
CREATE TABLE message_index_mark (
    last_row INTEGER NOT NULL
);
INSERT INTO message_index_mark VALUES (0);
"""
"""Migration 10 of analyzer/store/schema.py."""

BATCH_MESSAGES = 2000
"""Components are threaded together until a batch holds this many messages."""

_PAGE = 1000


def named_ids(in_reply_to: str | None, references_json: str) -> set[str]:
    """The ids a message names, cleaned, empty ones dropped."""
    found = {clean_id(r) for r in json.loads(references_json)}
    if in_reply_to:
        found.add(clean_id(in_reply_to))
    found.discard("")
    return found


def subject_key(subject: str, in_reply_to: str | None, references_json: str) -> tuple[str, int] | None:
    """(reply base, 1 for a headerless reply / 0 for an original), or None for a reply
    with threading headers (subject linking never moves nor targets it)."""
    if not is_reply_subject(subject):
        return reply_base(subject), 0
    if named_ids(in_reply_to, references_json):
        return None
    return reply_base(subject), 1


def index_new_messages(store: Store) -> int:
    """Add the messages stored since the last call to ``message_names`` and
    ``message_reply_bases`` (call inside a transaction); returns how many were read."""
    db = store.connection
    last = int(db.execute("SELECT last_row FROM message_index_mark").fetchone()[0])
    read = 0
    while rows := db.execute(
        "SELECT id, message_id, subject, in_reply_to, references_json FROM messages WHERE id > ? ORDER BY id LIMIT ?",
        (last, _PAGE),
    ).fetchall():
        names = [(n, r[1]) for r in rows for n in named_ids(r[3], r[4])]
        bases = [(*key, r[1]) for r in rows if (key := subject_key(r[2], r[3], r[4])) is not None]
        db.executemany("INSERT OR IGNORE INTO message_names VALUES (?,?)", names)
        db.executemany("INSERT OR IGNORE INTO message_reply_bases VALUES (?,?,?)", bases)
        last = int(rows[-1][0])
        read += len(rows)
    db.execute("UPDATE message_index_mark SET last_row = ?", (last,))
    return read


def component_of(store: Store, seed: str) -> list[str]:
    """The stored messages of ``seed``'s connected component (``seed`` included)."""
    db = store.connection
    nodes = {seed}
    present: list[str] = []
    bases_done: set[str] = set()
    queue = [seed]

    def reach(found: Sequence[str]) -> None:
        for node in found:
            if node not in nodes:
                nodes.add(node)
                queue.append(node)

    while queue:
        node = queue.pop()
        row = db.execute(
            "SELECT subject, in_reply_to, references_json FROM messages WHERE message_id = ?", (node,)
        ).fetchone()
        if row is not None:
            present.append(node)
            reach(sorted(named_ids(row[1], row[2])))
            key = subject_key(row[0], row[1], row[2])
            if key is not None and key[0] not in bases_done and (key[1] == 1 or _has_headerless_reply(store, key[0])):
                bases_done.add(key[0])
                reach([r[0] for r in db.execute(
                    "SELECT message_id FROM message_reply_bases WHERE reply_base = ?", (key[0],)
                )])
        reach([r[0] for r in db.execute("SELECT message_id FROM message_names WHERE named_id = ?", (node,))])
    return present


def _has_headerless_reply(store: Store, base: str) -> bool:
    row = store.connection.execute(
        "SELECT EXISTS (SELECT 1 FROM message_reply_bases WHERE reply_base = ? AND headerless_reply = 1)", (base,)
    ).fetchone()
    return bool(row[0])


def threading_headers(store: Store, message_ids: Sequence[str]) -> list[ThreadingHeaders]:
    rows = store.select_in(
        "SELECT message_id, subject, in_reply_to, references_json, date FROM messages WHERE message_id IN ({})",
        message_ids,
    )
    return [ThreadingHeaders(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4]) for r in rows]


def threaded_components(
    store: Store, *, batch_messages: int | None = None, progress: Progress | None = None
) -> Iterator[Threading]:
    """Every stored message threaded, a batch of whole connected components at a time
    (about ``batch_messages`` messages, default ``BATCH_MESSAGES``; more when one
    component is bigger). The threads of all batches are those ``build_threads`` gives for
    every message at once. Indexes new messages first; call inside a transaction."""
    for components in component_batches(store, after=0, batch_messages=batch_messages, progress=progress):
        yield merged(components)


def merged(components: Sequence[Threading]) -> Threading:
    """One ``Threading`` of several components' (their threads are disjoint)."""
    return Threading(
        tuple(t for c in components for t in c.threads),
        cycles_broken=sum(c.cycles_broken for c in components),
        subject_links=sum(c.subject_links for c in components),
        placeholders=sum(c.placeholders for c in components),
    )


def component_batches(
    store: Store, *, after: int, batch_messages: int | None = None, progress: Progress | None = None
) -> Iterator[list[Threading]]:
    """The connected components of the messages stored after row ``after`` (every
    message for 0), each threaded on its own, in batches of about ``batch_messages``
    messages. A component holds every message joined to a new one, stored before or
    after the mark: whatever a new message can change (a thread it joins, threads a
    ghost parent of theirs arriving joins into one, originals its subject links to)
    is in it, and a component without a new message is what it was. Indexes new
    messages first; call inside a transaction. The messages threaded stay listed in
    the temporary table ``rethreaded_messages`` until the next call."""
    db = store.connection
    limit = batch_messages or BATCH_MESSAGES
    index_new_messages(store)
    db.execute("CREATE TEMP TABLE IF NOT EXISTS rethreaded_messages (message_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.rethreaded_messages")
    if progress:
        new = db.execute("SELECT count(*) FROM messages WHERE id > ?", (after,)).fetchone()[0]
        progress.start("threading messages", int(new))
    batch: list[Threading] = []
    held = 0
    try:
        while rows := db.execute(
            "SELECT id, message_id FROM messages WHERE id > ? ORDER BY id LIMIT ?", (after, _PAGE)
        ).fetchall():
            after = int(rows[-1][0])
            for _, seed in rows:
                if db.execute("SELECT 1 FROM temp.rethreaded_messages WHERE message_id = ?", (seed,)).fetchone():
                    continue
                component = component_of(store, seed)
                db.executemany("INSERT INTO temp.rethreaded_messages VALUES (?)", [(m,) for m in component])
                batch.append(build_threads(threading_headers(store, component)))
                held += len(component)
                if held >= limit:
                    yield batch
                    batch, held = [], 0
            if progress:
                progress.advance(len(rows))
        if batch:
            yield batch
    finally:
        if progress:
            progress.finish()
