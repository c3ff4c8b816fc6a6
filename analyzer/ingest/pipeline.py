"""One ingest run: sources -> parse (on every core) -> dedupe -> store, in batches.

Memory stays bounded: a batch of raw messages is read, parsed and written before the
next is read. Each batch is one transaction together with the source cursors it
advances, so a killed run resumes where it stopped and never stores a message twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from analyzer.ingest.lore import LoreClient
from analyzer.ingest.sources import ReadOptions, SourceFormat, open_source
from analyzer.mail.headers import clean_message_id, list_id_of, raw_header
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import IngestCounts, Message, Provenance, RawMail, Rejection
from analyzer.store.db import Store

_log = logging.getLogger(__name__)
_POOL_THRESHOLD = 64  # below this many messages to parse, a process pool costs more than it saves


class Progress(Protocol):
    def start(self, label: str, total: int | None) -> None: ...
    def advance(self, count: int) -> None: ...
    def finish(self) -> None: ...


class _NoProgress:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class IngestOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    jobs: int = 0
    """Parser processes; 0 means one per CPU core, 1 parses in this process."""
    batch_size: int = 1000
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass
class IngestReport:
    counts: IngestCounts
    per_source: dict[str, IngestCounts]


def ingest(
    store: Store,
    targets: Sequence[tuple[str, SourceFormat]],
    options: IngestOptions,
    *,
    lore_client: LoreClient | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    progress = progress or _NoProgress()
    total = IngestCounts()
    per_source: dict[str, IngestCounts] = {}
    run_id = store.start_run([t for t, _ in targets], _now_iso())
    policy = ParsePolicy(max_size=options.read.max_size, now=options.now)
    with _Parser(policy, options.jobs) as parser:
        for target, kind in targets:
            planned = open_source(target, kind, options.read, cursors=store.cursors(), lore_client=lore_client)
            progress.start(planned.target, planned.estimate)
            counts = IngestCounts()
            pending: _PreparedBatch | None = None
            for batch in _batched(planned.items, options.batch_size):
                # Parse this batch in the workers while the previous one is written.
                prepared = _prepare(store, batch, parser)
                if pending is not None:
                    _write(store, pending, counts)
                    progress.advance(len(pending.batch))
                pending = prepared
            if pending is not None:
                _write(store, pending, counts)
                progress.advance(len(pending.batch))
            progress.finish()
            per_source[planned.target] = counts
            _add(total, counts)
    store.finish_run(run_id, total, _now_iso())
    return IngestReport(counts=total, per_source=per_source)


@dataclass
class _PreparedBatch:
    batch: list[RawMail | Rejection]
    seen_again: list[tuple[str, Provenance, tuple[str, ...]]]
    parsed: Callable[[], list[Message | Rejection]]


def _prepare(store: Store, batch: list[RawMail | Rejection], parser: _Parser) -> _PreparedBatch:
    raws = [item for item in batch if isinstance(item, RawMail)]
    to_parse, seen_again = _split_known(store, raws)
    return _PreparedBatch(batch=batch, seen_again=seen_again, parsed=parser.submit(to_parse))


def _write(store: Store, prepared: _PreparedBatch, counts: IngestCounts) -> None:
    rejections = [item for item in prepared.batch if isinstance(item, Rejection)]
    messages: list[Message] = []
    for result in prepared.parsed():
        if isinstance(result, Message):
            messages.append(result)
        else:
            rejections.append(result)
    written = store.write_batch(messages, prepared.seen_again, rejections, _checkpoints(prepared.batch))
    counts.read += len(prepared.batch)
    counts.stored += written.stored
    counts.duplicates += written.duplicates
    for rejection in rejections:
        counts.rejected[rejection.reason] = counts.rejected.get(rejection.reason, 0) + 1


def _split_known(
    store: Store, raws: list[RawMail]
) -> tuple[list[RawMail], list[tuple[str, Provenance, tuple[str, ...]]]]:
    """Mail whose Message-ID is already stored needs no parsing: read the id and list
    straight from the header bytes and only record where it was seen again."""
    ids = [clean_message_id(raw_header(raw.data, b"message-id")) for raw in raws]
    known = store.known_message_ids([i for i in ids if i])
    to_parse: list[RawMail] = []
    seen_again: list[tuple[str, Provenance, tuple[str, ...]]] = []
    for raw, message_id in zip(raws, ids):
        if message_id and message_id in known:
            list_id = list_id_of(raw_header(raw.data, b"list-id"), raw_header(raw.data, b"x-mailing-list"))
            lists = tuple(sorted({x for x in (list_id, raw.provenance.list_hint) if x}))
            seen_again.append((message_id, raw.provenance, lists))
        else:
            to_parse.append(raw)
    return to_parse, seen_again


def _checkpoints(batch: Iterable[RawMail | Rejection]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for item in batch:
        if item.provenance.checkpoint:
            key, value = item.provenance.checkpoint
            latest[key] = value
    return latest


class _Parser:
    """Parses raw mail in this process, or in worker processes for big batches.

    Workers come from a forkserver (safe in threaded hosts such as Streamlit). If they
    cannot start (an interactive ``__main__`` that cannot be re-imported, say), parsing
    carries on in this process instead of failing the run.
    """

    def __init__(self, policy: ParsePolicy, jobs: int) -> None:
        self._function = functools.partial(parse_raw, policy=policy)
        self._jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, raws: list[RawMail]) -> Callable[[], list[Message | Rejection]]:
        """Start parsing; the returned function waits for and returns the results."""
        if self._jobs == 1 or len(raws) < _POOL_THRESHOLD:
            results = list(map(self._function, raws))
            return lambda: results
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._jobs, mp_context=multiprocessing.get_context("forkserver"))
        try:
            mapped = self._pool.map(self._function, raws, chunksize=16)
        except BrokenProcessPool:
            return self._fallback(raws)

        def results() -> list[Message | Rejection]:
            try:
                return list(mapped)
            except BrokenProcessPool:
                return self._fallback(raws)()

        return results

    def _fallback(self, raws: list[RawMail]) -> Callable[[], list[Message | Rejection]]:
        _log.warning("parser processes could not run; parsing in this process from now on")
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._pool = None
        self._jobs = 1
        return self.submit(raws)

    def __enter__(self) -> _Parser:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _batched(items: Iterator[RawMail | Rejection], size: int) -> Iterator[list[RawMail | Rejection]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _add(total: IngestCounts, counts: IngestCounts) -> None:
    total.read += counts.read
    total.stored += counts.stored
    total.duplicates += counts.duplicates
    for reason, number in counts.rejected.items():
        total.rejected[reason] = total.rejected.get(reason, 0) + number


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
