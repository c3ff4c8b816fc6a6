"""One ingest run: sources -> parse (on every core) -> dedupe -> store, in batches.

Three things run at once: a reader thread pulls raw mail from the source
(:mod:`analyzer.ingest.prefetch`), worker processes parse it
(:mod:`analyzer.ingest.parser_pool`), and this thread writes parsed batches to SQLite
while the next ones are parsed. An inbox of several public-inbox epochs is read
differently: worker processes read and parse slices of all epochs at once
(:mod:`analyzer.ingest.epochs`) and this thread only writes. Memory stays bounded: only
a few batches, each capped in messages and in bytes (an epoch slice in commits, each
message capped in size), are in flight at any time. Each batch is one transaction
together with the source cursors it advances, so a killed run resumes where it stopped
and never stores a message twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analyzer.ingest import epochs
from analyzer.ingest.epochs import EpochSlice
from analyzer.ingest.lore import LoreClient
from analyzer.ingest.parser_pool import ParserPool
from analyzer.ingest.prefetch import Prefetch
from analyzer.ingest.publicinbox import EpochRead
from analyzer.ingest.sources import ReadOptions, SourceFormat, check, open_source
from analyzer.mail.headers import clean_message_id, list_id_of, lists_of, raw_header
from analyzer.mail.parse import ParsePolicy
from analyzer.progress import NoProgress, Progress
from analyzer.records import IngestCounts, RawMail, Rejection
from analyzer.store.rows import PreparedMail, SeenAgain, batch_rows
from analyzer.workers import in_processes

if TYPE_CHECKING:  # the store imports stage modules that import Progress from here
    from analyzer.store.db import Store


@dataclass(frozen=True, slots=True)
class IngestOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    jobs: int = 0
    """Parser processes; 0 means one per CPU core, 1 parses in this process."""
    batch_size: int = 1000
    """Most messages in one batch (one transaction)."""
    batch_bytes: int = 32 * 1024 * 1024
    """Most raw bytes in one batch, so a run of huge messages cannot exhaust memory."""
    parse_ahead: int = 2
    """Batches parsed ahead of the one being written."""
    read_ahead: int = 2
    """Batches read ahead by a reader thread; 0 reads in the writing thread."""
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


@dataclass
class IngestReport:
    counts: IngestCounts
    per_source: dict[str, IngestCounts]
    writer_seconds: float = 0.0
    """Wall time the one writer spent storing batches (its share of the run shows whether
    it is the bottleneck)."""
    writer_cpu_seconds: float = 0.0
    """CPU time of the writer's thread while storing: its own cost, which the wall time
    above exceeds when the writer waits for a core."""
    writer_idle_seconds: float = 0.0
    """Wall time between one stored batch and the next: the writer waiting for parsed mail
    (and the driver's bookkeeping). A writer that is the bottleneck is never idle."""


def ingest(
    store: Store,
    targets: Sequence[tuple[str, SourceFormat]],
    options: IngestOptions,
    *,
    lore_client: LoreClient | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read every target into ``store``; counts always satisfy read = stored +
    duplicates + rejected. Every target is checked before anything is read, so a
    missing or unreadable one raises SourceError without a partial run. A run that
    stops early (Ctrl-C, a full disk) still records the counts of what it stored."""
    progress = progress or NoProgress()
    checked = [(target, check(target, kind)) for target, kind in targets]
    total = IngestCounts()
    per_source: dict[str, IngestCounts] = {}
    writer = _Writer(store, progress)
    run_id = store.start_run([t for t, _ in checked], _now_iso())
    policy = ParsePolicy(max_size=options.read.max_size, now=options.now)
    status = "interrupted"
    try:
        with ParserPool(policy, options.jobs) as parser:
            for target, kind in checked:
                planned = open_source(target, kind, options.read, cursors=store.cursors(), lore_client=lore_client)
                progress.start(planned.target, planned.estimate)
                counts = IngestCounts()
                try:
                    if parser.jobs > 1 and epochs.epochs_to_read(planned.epochs) > 1:
                        _ingest_epochs(writer, planned.epochs, options, policy, parser.jobs, counts)
                    else:
                        _ingest_stream(store, planned.items, parser, options, writer, counts)
                finally:
                    progress.finish()
                    per_source.setdefault(planned.target, IngestCounts()).add(counts)
                    total.add(counts)
        status = "complete"
    finally:
        _record_run(store, run_id, total, status)
    return IngestReport(counts=total, per_source=per_source, writer_seconds=writer.seconds,
                        writer_cpu_seconds=writer.cpu_seconds, writer_idle_seconds=writer.idle_seconds)


def _record_run(store: Store, run_id: int, total: IngestCounts, status: str) -> None:
    try:
        store.finish_run(run_id, total, _now_iso(), status=status)
    except Exception:
        if status == "complete":
            raise
        # already failing: the error that stopped the run is the one worth reporting


def _ingest_stream(
    store: Store,
    items: Iterator[RawMail | Rejection],
    parser: ParserPool,
    options: IngestOptions,
    writer: _Writer,
    counts: IngestCounts,
) -> None:
    """Read, parse and write one source; ``counts`` grows batch by batch, so it is
    right even when this stops early."""
    pending: deque[_PreparedBatch] = deque()
    batches = _batched(items, options.batch_size, options.batch_bytes)
    with Prefetch(batches, depth=options.read_ahead) as ahead:
        for batch in ahead:
            pending.append(_prepare(store, batch, parser))
            if len(pending) > options.parse_ahead:
                _write(writer, pending.popleft(), counts)
        while pending:
            _write(writer, pending.popleft(), counts)


def _ingest_epochs(writer: _Writer, plan: Sequence[EpochRead], options: IngestOptions, policy: ParsePolicy,
                   jobs: int, counts: IngestCounts) -> None:
    """Read and parse the epochs of one inbox at once on ``jobs`` worker processes
    (analyzer.ingest.epochs); this thread writes each slice with its epoch's cursor."""
    slices = epochs.epoch_slices(plan, size=options.batch_size, policy=policy, list_hint=options.read.list_hint)
    handed: deque[EpochSlice] = deque()
    # Results come back in the order the slices were handed out: each epoch's in commit order.
    done = in_processes(epochs.read_slice, _remembered(slices, handed), jobs)
    try:
        for mail in done:
            task = handed.popleft()
            writer.write(mail, dict([task.checkpoint]), counts, advanced=len(task.commits))
    finally:  # stop the workers and git now, not when the generators are collected
        done.close()
        slices.close()


def _remembered(slices: Iterator[EpochSlice], handed: deque[EpochSlice]) -> Iterator[EpochSlice]:
    for task in slices:
        handed.append(task)
        yield task


class _Writer:
    """The one writer of an ingest run: stores batches of ready rows, counts them, times
    itself (wall and CPU: on a loaded machine the wall time includes waiting for a core)."""

    def __init__(self, store: Store, progress: Progress) -> None:
        self.store = store
        self.progress = progress
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.idle_seconds = 0.0
        self._last_end: float | None = None

    def write(self, mail: PreparedMail, checkpoints: dict[str, str], counts: IngestCounts, *, advanced: int) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        if self._last_end is not None:
            self.idle_seconds += started - self._last_end
        written = self.store.write_rows(mail.rows, mail.rejections, checkpoints)
        self._last_end = time.perf_counter()
        self.seconds += self._last_end - started
        self.cpu_seconds += time.thread_time() - cpu
        rejected: dict[str, int] = {}
        for rejection in mail.rejections:
            rejected[rejection.reason] = rejected.get(rejection.reason, 0) + 1
        counts.add(IngestCounts(mail.read, written.stored, written.duplicates, rejected))
        self.progress.advance(advanced)


@dataclass
class _PreparedBatch:
    batch: list[RawMail | Rejection]
    seen_again: list[SeenAgain]
    parsed: Callable[[], PreparedMail]


def _prepare(store: Store, batch: list[RawMail | Rejection], parser: ParserPool) -> _PreparedBatch:
    raws = [item for item in batch if isinstance(item, RawMail)]
    to_parse, seen_again = _split_known(store, raws)
    return _PreparedBatch(batch=batch, seen_again=seen_again, parsed=parser.submit_rows(to_parse))


def _write(writer: _Writer, prepared: _PreparedBatch, counts: IngestCounts) -> None:
    parsed = prepared.parsed()
    rows = parsed.rows
    rows.extend(batch_rows([], prepared.seen_again))
    # Rejected while reading (before parsing) first, then those the parser rejected: as before.
    rejections = [item for item in prepared.batch if isinstance(item, Rejection)] + parsed.rejections
    mail = PreparedMail(rows, rejections, len(prepared.batch))
    writer.write(mail, _checkpoints(prepared.batch), counts, advanced=len(prepared.batch))


def _split_known(store: Store, raws: list[RawMail]) -> tuple[list[RawMail], list[SeenAgain]]:
    """Mail whose Message-ID is already stored needs no parsing: read the id and list
    straight from the header bytes and only record where it was seen again."""
    ids = [clean_message_id(raw_header(raw.data, b"message-id")) for raw in raws]
    known = store.known_message_ids([i for i in ids if i])
    if not known:
        return raws, []
    to_parse: list[RawMail] = []
    seen_again: list[SeenAgain] = []
    for raw, message_id in zip(raws, ids):
        if message_id and message_id in known:
            list_id = list_id_of(raw_header(raw.data, b"list-id"), raw_header(raw.data, b"x-mailing-list"))
            lists = lists_of(list_id, raw.provenance.list_hint)
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


def _batched(
    items: Iterator[RawMail | Rejection], most: int, most_bytes: int
) -> Iterator[list[RawMail | Rejection]]:
    """Consecutive batches of at most ``most`` items and (but for a single item that is
    larger on its own) ``most_bytes`` raw bytes."""
    batch: list[RawMail | Rejection] = []
    size = 0
    for item in items:
        weight = len(item.data) if isinstance(item, RawMail) else 0
        if batch and (len(batch) >= most or size + weight > most_bytes):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += weight
    if batch:
        yield batch


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
