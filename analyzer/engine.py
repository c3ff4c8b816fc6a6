"""Where threads are read: in this process, in worker processes on every local core, or on
the workers of an existing Dask cluster (``dask.distributed``).

The analysis of a thread is a pure function of its inputs plus the pipeline's data files,
so the work is partitioned by thread: each worker builds its own reader once from a
``ReaderSpec`` (plain, picklable settings), reads the threads it is handed and returns plain
records (``ThreadResult``). Results come back in the order the threads were given, so the
driver writes them exactly as a one-process run would, a few threads per transaction; at most
``window`` threads are in flight, so memory does not grow with the store. Where the tasks
run is an ``analyzer.workers.Runner``, the same ones the segmentation of ``structure`` uses.

    engine(inputs) -> results, in order
      inline_engine      this process (``-j 1``)
      process_engine     a pool of local processes (``-j N``, default: every core)
      dask_engine        a dask.distributed cluster (``--engine dask --scheduler ADDR``)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.isolate import analyse_isolating_failures
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import AnalysisSettings, ThreadReader, rules_reader
from analyzer.store.failures import StageFailure, failure_of
from analyzer.stored_threads import StoredThread, input_of
from analyzer.workers import (
    EngineName as EngineName,
    Runner,
    choose_runner,
    dask_runner,
    in_this_process,
    process_runner,
)

if TYPE_CHECKING:
    from analyzer.nlp.pipeline import PipelineSettings

Method = Literal["learned", "rules"]


@dataclass(frozen=True, slots=True)
class ReaderSpec:
    """Everything a worker needs to build the reader: the method, the data files and, for
    the learned reading, which one (``cascade``, ``minilm`` or ``static``; the bundles it
    reads) and the cascade's gate (None: the bundle's; the driver hands its own to the
    workers, so they all read with the gate the stored fingerprint names)."""

    method: Method
    settings: PipelineSettings
    analysis: AnalysisSettings = AnalysisSettings()
    encoder: str = "cascade"
    gate: float | None = None


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """One thread's analysis and the messages that could not be analysed."""

    analysis: ThreadAnalysis
    failures: tuple[StageFailure, ...] = ()
    messages: int = 0
    """Messages of the thread read (analysed or failed)."""


Engine = Callable[[Iterable[ThreadInput | StoredThread]], Iterator[ThreadResult]]
"""Reads each thread of the inputs; yields the results in the same order. A
:class:`StoredThread` is read from the store where it is read (local workers)."""


def build_reader(spec: ReaderSpec) -> ThreadReader:
    """The reader a spec describes: the learned models of the spec's encoder (with the
    rules' marks as features) or the cue rules alone."""
    from analyzer.analysis.catalogue import load_catalogue
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import build_pipeline

    annotator = Annotator(build_pipeline(spec.settings))
    if spec.method == "rules":
        return rules_reader(annotator, spec.analysis)
    from analyzer.learn.reader import learned_reader

    return learned_reader(
        annotator, {b.id: b.kind for b in load_catalogue(spec.settings.catalogue)}, encoder=spec.encoder, gate=spec.gate
    )


@functools.cache
def _worker_reader(spec: ReaderSpec) -> ThreadReader:
    # One reader per worker process and spec: loading the models is the costly part.
    return build_reader(spec)


def read_with(read: ThreadReader, item: ThreadInput | StoredThread) -> ThreadResult:
    """Read one thread; a message the reader fails on becomes a recorded failure."""
    thread = input_of(item) if isinstance(item, StoredThread) else item
    analysis, faults = analyse_isolating_failures(thread, read)
    failures = tuple(failure_of("analyze", mid, thread.thread_id, exc) for mid, exc in faults)
    return ThreadResult(analysis, failures, len(thread.messages))


def read_in_worker(spec: ReaderSpec, thread: ThreadInput | StoredThread) -> ThreadResult:
    """The task a worker runs: plain records in, plain records out."""
    return read_with(_worker_reader(spec), thread)


def inline_engine(read: ThreadReader) -> Engine:
    def run(threads: Iterable[ThreadInput | StoredThread]) -> Iterator[ThreadResult]:
        return (read_with(read, t) for t in threads)

    return run


def engine_on(spec: ReaderSpec, runner: Runner) -> Engine:
    """The threads read where ``runner`` runs tasks, each worker building its reader once;
    in this process (``-j 1``) the reader is built here and dropped with the engine."""
    if runner is in_this_process:
        return inline_engine(build_reader(spec))

    def run(threads: Iterable[ThreadInput | StoredThread]) -> Iterator[ThreadResult]:
        return runner(functools.partial(read_in_worker, spec), threads)

    return run


def process_engine(spec: ReaderSpec, jobs: int) -> Engine:
    """``jobs`` worker processes on this machine."""
    return engine_on(spec, process_runner(jobs))


def dask_engine(spec: ReaderSpec, scheduler: str, *, window: int | None = None, connect_timeout: float = 20.0) -> Engine:
    """The workers of the Dask cluster whose scheduler listens at ``scheduler``
    (``tcp://host:8786``); they need this package installed, at the same version."""
    return engine_on(spec, dask_runner(scheduler, window=window, connect_timeout=connect_timeout))


def choose_engine(spec: ReaderSpec, *, engine: EngineName = "local", jobs: int = 0,
                  scheduler: str | None = None) -> Engine:
    """The engine the options name (``analyzer.workers.choose_runner``)."""
    return engine_on(spec, choose_runner(engine=engine, jobs=jobs, scheduler=scheduler))
