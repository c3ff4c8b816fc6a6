"""``analyzer analyze``: run the analysis over the threads in the store, incrementally.

A thread is analysed again only when its fingerprint changes: its messages, their
authors, or the pipeline (rules, catalogue, taxonomy, code version). Results are written
a few threads per transaction, each thread whole with its fingerprint, so a killed run
resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from analyzer.analysis.inputs import PreviousVersion, ThreadInput, previous_versions
from analyzer.analysis.thread import AnalysisSettings, ThreadReader, rules_reader
from analyzer.engine import Engine, inline_engine
from analyzer.progress import NoProgress, Progress
from analyzer.nlp.annotate import Annotator
from analyzer.store.analysis import (
    SavedThread,
    fingerprints_of,
    forget_threads,
    save_thread_analyses,
    unthreaded_analyses,
)
from analyzer.store.db import Store
from analyzer.store.failures import failed_threads, failure_counts
from analyzer.store.structure import (
    authors_of,
    roles_known,
    segmentation_versions_of,
    series_touching,
    thread_pages,
)
from analyzer.stored_threads import StoredThread, thread_input
from analyzer.thread.records import Thread
from analyzer.workers import results_of


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
    outstanding: int = 0
    """Messages recorded as not analysed after the run: this run's failures and those of
    earlier runs that were not tried again (their thread and the pipeline unchanged)."""

    def as_dict(self) -> dict[str, int]:
        return {
            "threads": self.threads,
            "analysed": self.analysed,
            "unchanged": self.unchanged,
            "forgotten": self.forgotten,
            "messages": self.messages,
            "failed": self.failed,
            "outstanding": self.outstanding,
        }


PAGE = 100
"""Threads read from the store at a time: the driver holds one page of threads with their
authors, segment versions and earlier versions (and the threads in flight), never every
thread of the store, so its memory does not grow with the store."""


SAVE_THREADS = 32
SAVE_MESSAGES = 2000
"""Results are stored in batches of at most this many threads or messages, each batch one
transaction with its threads' done marks and totals: a killed run loses at most one
batch's work, and the driver commits and refreshes the totals once per batch, not per
thread (half its time per thread on the whole archive; docs/scale.md)."""


@dataclass(frozen=True, slots=True)
class _Stale:
    """A thread to analyse, with what its input needs from its page."""

    thread: Thread
    fingerprint: str
    authors: Mapping[str, str]
    previous: Mapping[str, PreviousVersion]


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
    inputs_in_workers: bool = False,
    retry_failed: bool = False,
) -> AnalyzeReport:
    """``reader`` reads each thread in this process (default: the rules with
    ``annotator``); give the learned reader to use the models. ``engine`` reads them
    elsewhere instead (worker processes, a Dask cluster: ``analyzer.engine``); either way
    each thread's results are written here, in thread order, in transactions of a few
    threads (``SAVE_THREADS``): all of a thread's results, or none.

    Threads are read from the store a page at a time, twice: once to count the stale
    ones (for the progress bar), once to analyse them. ``inputs_in_workers``: the
    engine's workers run on this machine and read each thread's bodies and segmentations
    from the store themselves (:class:`analyzer.stored_threads.StoredThread`); the
    results are the same.

    A message the reading failed on is recorded with its thread's fingerprint and, the
    same input failing the same way, not tried again while its thread and the pipeline
    stay the same; ``retry_failed`` reads those threads again (a failure of the machine
    rather than of the input, such as memory running out, may pass the second time)."""
    progress = progress or NoProgress()
    run = engine or inline_engine(reader or rules_reader(_required(annotator), settings))
    known = roles_known(store)
    threads = stale_threads = stale_messages = 0
    for size, stale in _stale_pages(store, pipeline_fingerprint, known, force, retry_failed):
        threads += size
        stale_threads += len(stale)
        stale_messages += sum(len(s.thread.message_ids) for s in stale)
    progress.start("threads", stale_messages)
    in_flight: deque[_Stale] = deque()

    def inputs() -> Iterator[ThreadInput | StoredThread]:
        if not stale_threads:
            return
        for _, stale in _stale_pages(store, pipeline_fingerprint, known, force, retry_failed):
            for entry in stale:
                in_flight.append(entry)
                if inputs_in_workers:
                    yield StoredThread.of(store, entry.thread, authors=entry.authors, roles_known=known,
                                          previous=entry.previous)
                else:
                    yield thread_input(store, entry.thread, authors=entry.authors, roles_known=known,
                                       previous=entry.previous)

    messages = failed = analysed = 0
    batch: list[SavedThread] = []
    batch_messages = 0

    def flush() -> None:
        nonlocal batch_messages
        save_thread_analyses(store, batch)
        batch.clear()
        batch_messages = 0

    with results_of(run(inputs())) as results:
        for result in results:
            entry = in_flight.popleft()
            batch.append(SavedThread(result.analysis, entry.fingerprint, result.failures))
            batch_messages += len(entry.thread.message_ids)
            progress.advance(len(entry.thread.message_ids))
            messages += result.messages
            failed += len(result.failures)
            analysed += 1
            if len(batch) >= SAVE_THREADS or batch_messages >= SAVE_MESSAGES:
                flush()
    if batch:
        flush()
    if in_flight:
        raise RuntimeError(f"the engine returned no result for {len(in_flight)} threads")
    progress.finish()
    forgotten = forget_threads(store, unthreaded_analyses(store))
    outstanding = failure_counts(store).get("analyze", 0)
    return AnalyzeReport(threads, analysed, threads - analysed, forgotten, messages, failed, outstanding)


def _stale_pages(store: Store, pipeline: str, known: bool, force: bool,
                 retry_failed: bool = False) -> Iterator[tuple[int, list[_Stale]]]:
    """(threads in the page, those whose fingerprint changed, or with recorded failures
    when ``retry_failed``) for each page of threads."""
    for page in thread_pages(store, PAGE):
        ids = [m for thread in page for m in thread.message_ids]
        authors = authors_of(store, ids)
        previous = previous_versions(series_touching(store, ids))
        segmented = segmentation_versions_of(store, ids)
        done = fingerprints_of(store, [t.thread_id for t in page])
        retry = failed_threads(store, "analyze", [t.thread_id for t in page]) if retry_failed else set()
        stale = []
        for thread in page:
            fingerprint = thread_fingerprint(thread, authors, pipeline, known, previous, segmented)
            if force or thread.thread_id in retry or done.get(thread.thread_id) != fingerprint:
                stale.append(_Stale(thread, fingerprint, authors, previous))
        yield len(page), stale


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
