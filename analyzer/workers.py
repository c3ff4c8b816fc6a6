"""Where a stage's tasks run, results handed back in the order given: the one way the
stages (segmentation, analysis) use every core or a Dask cluster. Kept free of the
stages' imports so that any of them can use it.

    Runner(task, items) -> task(item) for each item, in item order
      in_this_process    this process (``-j 1``)
      process_runner     a pool of local processes (``-j N``, default: every core)
      dask_runner        a dask.distributed cluster (``--engine dask --scheduler ADDR``)

    in_forks(calls, jobs) -> [call() for call in calls], on forked local processes: for
      CPU work on what the driver already holds in memory (training the learned models)

Tasks are module-level functions of plain records (they must pickle), so a stage runs
the same code wherever its tasks go and the driver stores results exactly as one process
would."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal, Protocol, TypeVar

from analyzer.errors import AnalyzerError, ConfigError

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


EngineName = Literal["local", "dask"]


class Pending(Protocol[R_co]):
    def result(self) -> R_co: ...


class Runner(Protocol):
    """Runs ``task`` on each item somewhere; yields the results in item order."""

    def __call__(self, task: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]: ...


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
    """The cores this process may use: its CPU affinity and its container's CPU quota
    (cgroup ``cpu.max``), as joblib counts them. A CI container that sees 64 host cores
    through a 2-core quota gets 2 workers, not 64 workers loading models each."""
    import joblib

    return max(1, int(joblib.cpu_count()))


def in_processes(task: Callable[[T], R], items: Iterable[T], jobs: int) -> Generator[R, None, None]:
    """``task`` of each item on ``jobs`` local worker processes, results in item order.
    Workers are spawned, so nothing of the driver's state (open database included) is
    inherited; ``task`` and the items must pickle (module-level functions, plain records)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=follow_owner, initargs=(os.getpid(),))
    try:
        yield from in_order(lambda item: pool.submit(task, item), items, jobs * 4)
    except BaseException:
        stop_now(pool)
        raise
    pool.shutdown(wait=True)


_FORKED: Sequence[Callable[[], object]] = ()
"""The calls of the running ``in_forks``: its workers find them here, forked with it."""


def _forked_call(index: int) -> Any:
    return _FORKED[index]()


def in_forks(calls: Sequence[Callable[[], R]], jobs: int) -> list[R]:
    """Each call on at most ``jobs`` forked local processes; results in call order (give the
    longest calls first). Forked, not spawned: a call is a closure over what the driver
    holds in memory (annotated threads' views, remembered sentence vectors), which the
    workers see without a copy or a pickle (the driver's objects are frozen out of the
    garbage collector's reach meanwhile, so the forks do not copy the pages it would touch);
    only results are pickled back. The same results as ``[call() for call in calls]`` when
    each call depends on its closure alone. The first call to fail stops the others and its
    error is raised; a worker that dies (out of memory, killed) raises ``ForkDied``. For
    CPU work on data in memory (training); a driver with an open database uses
    ``in_processes``."""
    global _FORKED
    if jobs <= 1 or len(calls) <= 1:
        return [call() for call in calls]
    import gc
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, wait
    from concurrent.futures.process import BrokenProcessPool

    if _FORKED:
        raise RuntimeError("in_forks is not re-entrant: a forked call cannot fork calls of its own")
    _FORKED = calls
    context = multiprocessing.get_context("fork")
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(calls)), mp_context=context, initializer=_forked_worker, initargs=(os.getpid(),)
        )
        try:
            futures = [pool.submit(_forked_call, i) for i in range(len(calls))]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:  # the first failure in call order, without waiting for the rest
                if future.done() and future.exception() is not None:
                    future.result()
            results = [f.result() for f in futures]
        except BrokenProcessPool as exc:
            stop_now(pool)
            raise ForkDied(
                "a training process died (out of memory, or killed): run again with fewer processes (-j 1 uses one)"
            ) from exc
        except BaseException:
            stop_now(pool)
            raise
        pool.shutdown(wait=True)
        return results
    finally:
        _FORKED = ()
        gc.unfreeze()


class ForkDied(AnalyzerError):
    """A forked worker of ``in_forks`` ended without a result."""


def _forked_worker(owner: int) -> None:
    """In each fork: ``follow_owner``, and one BLAS thread (the forks are the parallelism;
    more threads per fork would only compete for the same cores)."""
    from threadpoolctl import threadpool_limits

    follow_owner(owner)
    threadpool_limits(1)


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` without waiting for the tasks it holds: on Ctrl-C, an error or a
    consumer that stops early, whatever the workers are doing is thrown away (the driver
    stores only what it received), so waiting for them (still starting, loading models,
    reading a long thread) would only delay the exit. Queued tasks are cancelled and the
    workers terminated, as ``ProcessPoolExecutor.terminate_workers`` does from Python 3.14."""
    processes = dict(getattr(pool, "_processes", None) or {})
    manager = getattr(pool, "_executor_manager_thread", None)
    call_queue = getattr(pool, "_call_queue", None)
    result_queue = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        try:
            if process.is_alive():
                process.terminate()
        except (ValueError, ProcessLookupError):  # already closed or reaped
            continue
    for process in processes.values():
        try:
            process.join(timeout=STOP_WAIT)
        except (ValueError, AssertionError):
            continue
    if isinstance(manager, threading.Thread):
        manager.join(timeout=STOP_WAIT)
        if manager.is_alive():
            # Its queue feeder is blocked writing tasks to a pipe that the terminated
            # workers no longer read (the interpreter's exit would then wait on it for
            # ever): close the pipe's last reading end, as the executor itself does when
            # it finds a worker dead (CPython gh-94777), so the write fails and it ends.
            _close_end(call_queue, "_reader")
            manager.join(timeout=STOP_WAIT)
        if manager.is_alive():
            # Or it is reading a result that a terminated worker left half written (seen
            # when a full disk stopped `analyze`: the interpreter's exit then waited on it
            # for ever). The workers' ends of the result pipe died with them; closing this
            # process's own writing end makes the read meet end-of-file, which the manager
            # takes for a broken pool, and it ends.
            _close_end(result_queue, "_writer")
            manager.join(timeout=STOP_WAIT)


def _close_end(queue: object, end: str) -> None:
    """Close one end (``_reader`` or ``_writer``) of a multiprocessing queue's pipe in this
    process, if it is still open."""
    connection = getattr(queue, end, None)
    with contextlib.suppress(OSError):
        if connection is not None:
            connection.close()


STOP_WAIT = 5.0
"""Seconds a stopping driver waits for its pool's workers and its manager thread."""


@contextlib.contextmanager
def results_of(results: Iterator[R]) -> Iterator[Iterator[R]]:
    """``results`` of a runner, stopped as soon as the block that reads them ends, by an
    error too (a full disk while storing them, say): the workers are stopped then, not
    when the garbage collector gets to the abandoned generator or at interpreter exit."""
    try:
        yield results
    finally:
        if isinstance(results, Generator):
            results.close()


def in_this_process(task: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
    return map(task, items)


def process_runner(jobs: int) -> Runner:
    """``jobs`` worker processes on this machine."""

    def run(task: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
        return in_processes(task, items, jobs)

    return run


def dask_runner(scheduler: str, *, window: int | None = None, connect_timeout: float = 20.0) -> Runner:
    """The workers of the Dask cluster whose scheduler listens at ``scheduler``
    (``tcp://host:8786``); they need this package installed, at the same version. At most
    ``window`` tasks (default: four per worker thread) are in flight."""

    def run(task: Callable[[T], R], items: Iterable[T], /) -> Iterator[R]:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ConfigError("--engine dask needs dask.distributed: pip install 'dask[distributed]'") from exc
        try:
            client = Client(scheduler, timeout=connect_timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from exc
        with client:
            cores = sum(client.nthreads().values()) or 1  # type: ignore[no-untyped-call]

            def submit(item: T) -> Pending[R]:
                future: Pending[R] = client.submit(task, item, pure=False)
                return future

            yield from in_order(submit, items, window or cores * 4)

    return run


def choose_runner(*, engine: EngineName = "local", jobs: int = 0, scheduler: str | None = None) -> Runner:
    """The runner the options name; ``jobs`` 0 means every local core, 1 this process."""
    if engine == "dask":
        if not scheduler:
            raise ConfigError("--engine dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        return dask_runner(scheduler)
    if engine != "local":
        raise ConfigError(f"--engine {engine!r}: choose local or dask")
    if jobs < 0:
        raise ConfigError(f"--jobs {jobs}: give a number of processes (0: every core)")
    count = jobs or local_cores()
    return in_this_process if count == 1 else process_runner(count)


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
