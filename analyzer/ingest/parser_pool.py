"""Parse raw mail on every core: a pool of worker processes fed in order-keeping chunks."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail, Rejection
from analyzer.workers import follow_owner

_log = logging.getLogger(__name__)

POOL_THRESHOLD = 64
"""Below this many messages, a round trip through worker processes costs more than it saves."""
_CHUNKS_PER_WORKER = 4
"""Chunks per worker and batch: enough to balance uneven messages, few enough to keep
the per-task cost (a future, a pickle, a pipe round trip) small."""

Parsed = list[Message | Rejection]


def parse_chunk(raws: list[RawMail], policy: ParsePolicy) -> Parsed:
    return [parse_raw(raw, policy) for raw in raws]


class ParserPool:
    """Parses raw mail in this process, or in worker processes for big batches.

    Workers come from a forkserver (safe in threaded hosts such as Streamlit). If they
    cannot start (an interactive ``__main__`` that cannot be re-imported, say) or die,
    parsing carries on in this process instead of failing the run.
    """

    def __init__(self, policy: ParsePolicy, jobs: int) -> None:
        self._policy = policy
        self._jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def jobs(self) -> int:
        return self._jobs

    def submit(self, raws: list[RawMail]) -> Callable[[], Parsed]:
        """Start parsing ``raws``; the returned function waits for the results, in order."""
        if self._jobs == 1 or len(raws) < POOL_THRESHOLD:
            results = parse_chunk(raws, self._policy)
            return lambda: results
        try:
            futures = [self._executor().submit(parse_chunk, chunk, self._policy) for chunk in self._chunks(raws)]
        except (BrokenProcessPool, RuntimeError, OSError):
            return self._fallback(raws)
        return functools.partial(self._gather, futures, raws)

    def _gather(self, futures: list[Future[Parsed]], raws: list[RawMail]) -> Parsed:
        try:
            return [result for future in futures for result in future.result()]
        except BrokenProcessPool:
            return self._fallback(raws)()

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

    def _fallback(self, raws: list[RawMail]) -> Callable[[], Parsed]:
        _log.warning("parser processes could not run; parsing in this process from now on")
        self.close()
        self._jobs = 1
        return self.submit(raws)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
