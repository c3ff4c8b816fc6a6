"""A stored thread's analysis input, built where it is read.

The driver of ``analyze`` decides which threads to read and writes their results; with
local worker processes it hands each worker a :class:`StoredThread` — the thread, its
authors and the earlier versions its postings replace, a few hundred bytes — and the
worker reads the bodies and segmentations itself from its own read-only connection to the
store (:func:`input_of`). Reading and decoding them was half of the driver's work (and
sending them to the workers another tenth: docs/scale.md), and it is what bounds the
driver's rate on many cores. In this process (``-j 1``) or on a Dask cluster, whose
workers may not see the file, the driver builds the input with :func:`thread_input`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.analysis.inputs import MessageInput, PreviousVersion, ThreadInput
from analyzer.segment.records import Segmentation
from analyzer.store.db import Store
from analyzer.store.structure import load_segmentation, people_by_id
from analyzer.thread.records import Thread


@dataclass(frozen=True, slots=True)
class StoredThread:
    """What a worker on this machine needs to build a thread's input from the store."""

    store_path: str
    thread: Thread
    authors: Mapping[str, str]
    """Person id of each of the thread's messages (from the driver's page)."""
    roles_known: bool
    previous: Mapping[str, PreviousVersion]
    """The earlier version each of the thread's postings replaces."""

    @classmethod
    def of(cls, store: Store, thread: Thread, *, authors: Mapping[str, str], roles_known: bool,
           previous: Mapping[str, PreviousVersion]) -> StoredThread:
        """Only the thread's own entries of the page's maps travel to the worker."""
        ids = thread.message_ids
        return cls(str(store.path), thread, {m: authors[m] for m in ids if m in authors}, roles_known,
                   {m: previous[m] for m in ids if m in previous})


def input_of(stored: StoredThread) -> ThreadInput:
    """The thread's input, read through this process's read-only connection to the store."""
    return thread_input(_reading(stored.store_path), stored.thread, authors=stored.authors,
                        roles_known=stored.roles_known, previous=stored.previous)


_local = threading.local()


def _reading(path: str) -> Store:
    # One connection per worker thread and store, kept for the worker's life (a Dask
    # worker may run several tasks at once on threads; a connection stays on its thread).
    opened: dict[str, Store] = _local.__dict__.setdefault("stores", {})
    if path not in opened:
        opened[path] = Store.open_for_reading(path)
    return opened[path]


def thread_input(
    store: Store,
    thread: Thread,
    *,
    authors: Mapping[str, str],
    roles_known: bool,
    previous: Mapping[str, PreviousVersion] | None = None,
) -> ThreadInput:
    """The analysis input of one stored thread: bodies, segmentations, authors, roles, and
    the earlier versions its postings replace."""
    ids = list(thread.message_ids)
    rows = {r["message_id"]: r for r in _message_rows(store, ids)}
    people = people_by_id(store, sorted({authors.get(m) or str(r["author_email"]) for m, r in rows.items()}))
    parents = {m.message_id: m.parent_id for m in thread.members}
    inputs = []
    for message_id in ids:
        row = rows.get(message_id)
        if row is None:
            continue
        person_id = authors.get(message_id) or str(row["author_email"])
        person = people.get(person_id)
        parent = parents.get(message_id)
        inputs.append(
            MessageInput(
                message_id=message_id,
                author_id=person_id,
                author_name=row["author_name"] or row["author_email"],
                date=row["date"],
                subject=row["subject"],
                body=row["body"],
                parent_id=parent if parent in rows else None,
                segmentation=load_segmentation(store, message_id) or Segmentation(message_id, ()),
                author_roles=person.roles if person else (),
                replaces=(previous or {}).get(message_id),
                author_addresses=(str(row["author_email"]), *(person.emails if person else ())),
            )
        )
    return ThreadInput(thread.thread_id, tuple(inputs), roles_known=roles_known)


def _message_rows(store: Store, ids: Sequence[str]) -> list[sqlite3.Row]:
    return store.select_in(
        "SELECT message_id, author_name, author_email, date, subject, body FROM messages WHERE message_id IN ({})", ids
    )
