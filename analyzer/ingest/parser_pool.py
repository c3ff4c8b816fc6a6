"""Parse raw mail on every core: a pool of worker processes fed in order-keeping chunks."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail, Rejection
from analyzer.store.rows import BatchRows, PreparedMail, prepared
from analyzer.workers import follow_owner, local_cores, stop_now

_log = logging.getLogger(__name__)

POOL_THRESHOLD = 64
"""Below this many messages, a round trip through worker processes costs more than it saves."""
_CHUNKS_PER_WORKER = 4
"""Chunks per worker and batch: enough to balance uneven messages, few enough to keep
the per-task cost (a future, a pickle, a pipe round trip) small."""

Parsed = list[Message | Rejection]
_Result = TypeVar("_Result")


def parse_chunk(raws: list[RawMail], policy: ParsePolicy) -> Parsed:
    return [parse_raw(raw, policy) for raw in raws]


def prepare_chunk(raws: list[RawMail], policy: ParsePolicy) -> PreparedMail:
    """Parsed mail as the rows the store writes (made in the worker, not by the writer)."""
    return prepared(parse_chunk(raws, policy))


def _joined_parsed(parts: Sequence[Parsed]) -> Parsed:
    return [result for part in parts for result in part]


def _joined_prepared(parts: Sequence[PreparedMail]) -> PreparedMail:
    joined = PreparedMail(BatchRows(), [], 0)
    for part in parts:
        joined.rows.extend(part.rows)
        joined.rejections += part.rejections
        joined.read += part.read
    return joined


class ParserPool:
    """Parses raw mail in this process, or in worker processes for big batches.

    Workers come from a forkserver (safe in threaded hosts such as Streamlit). If they
    cannot start (an interactive ``__main__`` that cannot be re-imported, say) or die,
    parsing carries on in this process instead of failing the run.
    """

    def __init__(self, policy: ParsePolicy, jobs: int) -> None:
        self._policy = policy
        self._jobs = jobs if jobs > 0 else local_cores()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def jobs(self) -> int:
        return self._jobs

    def submit(self, raws: list[RawMail]) -> Callable[[], Parsed]:
        """Start parsing ``raws``; the returned function waits for the results, in order."""
        return self._start(parse_chunk, _joined_parsed, raws)

    def submit_rows(self, raws: list[RawMail]) -> Callable[[], PreparedMail]:
        """Start parsing ``raws`` into the rows the store writes (analyzer.store.rows);
        the returned function waits for them, in order."""
        return self._start(prepare_chunk, _joined_prepared, raws)

    def _start(self, task: Callable[[list[RawMail], ParsePolicy], _Result],
               join: Callable[[Sequence[_Result]], _Result], raws: list[RawMail]) -> Callable[[], _Result]:
        if self._jobs == 1 or len(raws) < POOL_THRESHOLD:
            results = join([task(raws, self._policy)])
            return lambda: results
        try:
            futures = [self._executor().submit(task, chunk, self._policy) for chunk in self._chunks(raws)]
        except (BrokenProcessPool, RuntimeError, OSError):
            return self._fallback(task, join, raws)
        return functools.partial(self._gather, task, join, futures, raws)

    def _gather(self, task: Callable[[list[RawMail], ParsePolicy], _Result],
                join: Callable[[Sequence[_Result]], _Result], futures: list[Future[_Result]],
                raws: list[RawMail]) -> _Result:
        try:
            return join([future.result() for future in futures])
        except BrokenProcessPool:
            return self._fallback(task, join, raws)()

    def _chunks(self, raws: list[RawMail]) -> list[list[RawMail]]:
        size = max(1, -(-len(raws) // (self._jobs * _CHUNKS_PER_WORKER)))
        return [raws[start : start + size] for start in range(0, len(raws), size)]

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self._jobs,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=follow_owner,
                initargs=(os.getpid(),),
            )
        return self._pool

    def _fallback(self, task: Callable[[list[RawMail], ParsePolicy], _Result],
                  join: Callable[[Sequence[_Result]], _Result], raws: list[RawMail]) -> Callable[[], _Result]:
        _log.warning("parser processes could not run; parsing in this process from now on")
        self.close()
        self._jobs = 1
        return self._start(task, join, raws)

    def close(self, *, now: bool = False) -> None:
        """Stop the workers; ``now``: without waiting for the chunks they hold."""
        if self._pool is not None:
            if now:
                stop_now(self._pool)
            else:
                self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(now=kind is not None)
