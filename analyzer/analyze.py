"""``analyzer analyze``: run the analysis over the threads in the store, incrementally.

A thread is analysed again only when its fingerprint changes: its messages, their
authors, or the pipeline (rules, catalogue, taxonomy, code version). Each thread's results
are written in one transaction, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analyzer.analysis.inputs import MessageInput, PreviousVersion, ThreadInput, previous_versions
from analyzer.analysis.thread import AnalysisSettings, ThreadReader, rules_reader
from analyzer.engine import Engine, inline_engine
from analyzer.progress import NoProgress, Progress
from analyzer.nlp.annotate import Annotator
from analyzer.segment.records import Segmentation
from analyzer.store.analysis import fingerprints, forget_threads, save_thread_analysis
from analyzer.store.db import Store
from analyzer.store.structure import (
    author_ids,
    load_people,
    load_segmentation,
    load_series,
    load_threads,
    segmentation_versions,
)
from analyzer.thread.records import Person, Thread


@dataclass(frozen=True, slots=True)
class AnalyzeReport:
    threads: int
    analysed: int
    unchanged: int
    forgotten: int
    messages: int
    failed: int = 0
    """Messages of the threads analysed by this run that could not be analysed (each
    recorded in the store with its reason; the rest of their thread was analysed)."""

    def as_dict(self) -> dict[str, int]:
        return {
            "threads": self.threads,
            "analysed": self.analysed,
            "unchanged": self.unchanged,
            "forgotten": self.forgotten,
            "messages": self.messages,
            "failed": self.failed,
        }


def analyze_store(
    store: Store,
    annotator: Annotator | None,
    *,
    pipeline_fingerprint: str,
    settings: AnalysisSettings = AnalysisSettings(),
    progress: Progress | None = None,
    force: bool = False,
    reader: ThreadReader | None = None,
    engine: Engine | None = None,
) -> AnalyzeReport:
    """``reader`` reads each thread in this process (default: the rules with
    ``annotator``); give the learned reader to use the models. ``engine`` reads them
    elsewhere instead (worker processes, a Dask cluster: ``analyzer.engine``); either way
    each thread's results are written here, in thread order, one transaction per thread."""
    progress = progress or NoProgress()
    run = engine or inline_engine(reader or rules_reader(_required(annotator), settings))
    threads = load_threads(store)
    authors = author_ids(store)
    people = {p.person_id: p for p in load_people(store)}
    roles_known = any(p.roles for p in people.values())
    previous = previous_versions(load_series(store))
    done = fingerprints(store)
    segmented = segmentation_versions(store)
    todo: list[tuple[Thread, str]] = []
    for thread in threads:
        fingerprint = thread_fingerprint(thread, authors, pipeline_fingerprint, roles_known, previous, segmented)
        if force or done.get(thread.thread_id) != fingerprint:
            todo.append((thread, fingerprint))
    progress.start("threads", sum(len(t.message_ids) for t, _ in todo))
    messages = failed = 0
    inputs = (thread_input(store, thread, authors=authors, people=people, roles_known=roles_known, previous=previous)
              for thread, _ in todo)
    for (thread, fingerprint), result in zip(todo, run(inputs), strict=True):
        save_thread_analysis(store, result.analysis, fingerprint, result.failures)
        messages += result.messages
        failed += len(result.failures)
        progress.advance(len(thread.message_ids))
    progress.finish()
    live = {t.thread_id for t in threads}
    forgotten = forget_threads(store, [tid for tid in done if tid not in live])
    return AnalyzeReport(len(threads), len(todo), len(threads) - len(todo), forgotten, messages, failed)


def _required(annotator: Annotator | None) -> Annotator:
    if annotator is None:
        raise ValueError("analyze_store needs an annotator, a reader or an engine")
    return annotator


def thread_fingerprint(
    thread: Thread,
    authors: Mapping[str, str],
    pipeline: str,
    roles_known: bool,
    previous: Mapping[str, PreviousVersion] | None = None,
    segmented: Mapping[str, str] | None = None,
) -> str:
    """Changes with the thread's messages, their authors, the pipeline, which earlier
    version each of its postings replaces (an old version ingested later changes it),
    and each message's segmentation (so a thread analysed before its segments were
    stored is analysed again once they are)."""
    digest = hashlib.sha256(f"{pipeline}\x1f{roles_known}".encode())
    for member in thread.members:
        digest.update(f"\x1e{member.message_id}\x1f{member.parent_id}\x1f{authors.get(member.message_id)}".encode())
        if segmented is not None:
            digest.update(f"\x1f{segmented.get(member.message_id)}".encode())
        replaced = (previous or {}).get(member.message_id)
        if replaced is not None:
            digest.update(f"\x1d{replaced.message_id}\x1f{replaced.version}".encode())
    return digest.hexdigest()[:32]



def thread_input(
    store: Store,
    thread: Thread,
    *,
    authors: Mapping[str, str],
    people: Mapping[str, Person],
    roles_known: bool,
    previous: Mapping[str, PreviousVersion] | None = None,
) -> ThreadInput:
    """The analysis input of one stored thread: bodies, segmentations, authors, roles, and
    the earlier versions its postings replace."""
    ids = list(thread.message_ids)
    rows = {r["message_id"]: r for r in _message_rows(store, ids)}
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
