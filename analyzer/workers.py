"""Work spread over local worker processes, results handed back in the order given: the
one way the stages (segmentation, analysis) use every core. Kept free of the stages'
imports so that any of them can use it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Pending(Protocol[R_co]):
    def result(self) -> R_co: ...


def in_order(submit: Callable[[T], Pending[R]], items: Iterable[T], window: int) -> Iterator[R]:
    """Submit ``items`` keeping at most ``window`` in flight; yield results in item order."""
    pending: deque[Pending[R]] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def local_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def in_processes(task: Callable[[T], R], items: Iterable[T], jobs: int) -> Iterator[R]:
    """``task`` of each item on ``jobs`` local worker processes, results in item order.
    Workers are spawned, so nothing of the driver's state (open database included) is
    inherited; ``task`` and the items must pickle (module-level functions, plain records)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=follow_owner, initargs=(os.getpid(),)) as pool:
        try:
            yield from in_order(lambda item: pool.submit(task, item), items, jobs * 4)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise




OWNER_POLL = 0.5
"""Seconds between a worker's checks that the process that started it is alive."""


def follow_owner(owner: int) -> None:
    """In each worker: leave Ctrl-C to the owner (which stops the pool and reports once),
    and exit as soon as the owner is gone, even when it was killed with SIGKILL and could
    not stop the pool. The ingest parser pool and the stages' pools all use it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_without, args=(owner,), daemon=True, name="owner-watch").start()


def _exit_without(owner: int) -> None:
    while True:
        time.sleep(OWNER_POLL)
        try:
            os.kill(owner, 0)
        except (ProcessLookupError, PermissionError):  # gone, or its id now belongs to another user
            os._exit(1)
