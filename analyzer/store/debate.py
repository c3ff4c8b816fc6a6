"""Build the ``Debate`` read model from the store: threads, messages, people, analyses."""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.debate import Debate, MergedCommit, MessageInfo
from analyzer.errors import StoreError
from analyzer.store.analysis import load_analyses
from analyzer.store.db import Store
from analyzer.store.structure import author_ids, load_people, load_series, load_thread, load_threads, thread_id_of
from analyzer.thread.records import Thread


def list_thread_ids(store: Store) -> list[str]:
    """Every thread id, by first date."""
    rows = store.connection.execute("SELECT thread_id FROM threads ORDER BY coalesce(first_date, '\uffff'), thread_id")
    return [row[0] for row in rows]


def load_debate(
    store: Store, thread_ids: Sequence[str] | None = None, *, commits: Sequence[MergedCommit] = ()
) -> Debate:
    """The given threads (all when None) with everything known about them.

    StoreError names an unknown thread id and says how to list the known ones."""
    threads = _threads(store, thread_ids)
    ids = [mid for t in threads for mid in t.message_ids]
    authors = author_ids(store)
    people = {p.person_id: p for p in load_people(store)}
    messages = _messages(store, threads, authors)
    analyses = load_analyses(store, [t.thread_id for t in threads])
    wanted = set(ids)
    series = tuple(
        s for s in load_series(store) if s.root_message_id in wanted or any(p.message_id in wanted for p in s.patches)
    )
    used = {m.author_id for m in messages.values()}
    return Debate(
        threads=tuple(threads),
        messages=messages,
        people={pid: p for pid, p in people.items() if pid in used},
        analyses={mid: a for mid, a in analyses.items() if mid in wanted},
        series=series,
        commits=tuple(c for c in commits if c.message_id in wanted),
    )


def _threads(store: Store, thread_ids: Sequence[str] | None) -> list[Thread]:
    if thread_ids is None:
        return load_threads(store)
    threads = []
    for thread_id in thread_ids:
        thread = load_thread(store, thread_id)
        if thread is None:
            owner = thread_id_of(store, thread_id)
            thread = load_thread(store, owner) if owner else None
        if thread is None:
            raise StoreError(f"no thread {thread_id!r} in {store.path}; list them with `analyzer threads --db {store.path}`")
        threads.append(thread)
    return threads


def _messages(store: Store, threads: Sequence[Thread], authors: dict[str, str]) -> dict[str, MessageInfo]:
    found: dict[str, MessageInfo] = {}
    for thread in threads:
        parents = {m.message_id: m.parent_id for m in thread.members}
        rows = store.select_in(
            "SELECT message_id, subject, author_name, author_email, date, body FROM messages WHERE message_id IN ({})",
            thread.message_ids,
        )
        for row in rows:
            mid = row["message_id"]
            found[mid] = MessageInfo(
                message_id=mid,
                thread_id=thread.thread_id,
                subject=row["subject"],
                author_id=authors.get(mid, row["author_email"]),
                author_name=row["author_name"] or row["author_email"],
                date=row["date"],
                parent_id=parents.get(mid),
                body=row["body"],
                lists=store.lists_of(mid),
            )
    return found
