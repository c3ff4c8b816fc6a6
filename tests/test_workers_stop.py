"""A stage's worker pool stops at once when its driver stops early (Ctrl-C, an error, a
consumer that leaves): the workers' tasks are thrown away, not waited for."""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path

import pytest

from analyzer.workers import in_processes, results_of
from tests.processes import alive

LONG = 120.0
"""Seconds a held task would run if the pool waited for it."""


def nap(seconds: float) -> float:
    """A task: sleep, then give the time slept (module level: spawned workers import it)."""
    time.sleep(seconds)
    return seconds


def _busy_workers(results: Generator[float, None, None]) -> list[int]:
    """The pids of the pool's two workers, once they hold the long tasks."""
    time.sleep(0.5)
    frame = results.gi_frame  # type: ignore[attr-defined]  # a generator object's frame
    assert frame is not None
    workers = [p.pid for p in frame.f_locals["pool"]._processes.values()]
    assert len(workers) == 2 and all(alive(p) for p in workers)
    return workers


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_stopping_the_driver_terminates_workers_holding_long_tasks() -> None:
    results = in_processes(nap, [0.0, LONG, LONG, LONG], 2)
    assert next(results) == 0.0  # the pool is up and the long tasks are with the workers
    workers = _busy_workers(results)

    started = time.monotonic()
    results.close()  # what an exception in the driver's loop does to the generator
    took = time.monotonic() - started

    assert took < LONG / 4, f"the pool waited {took:.0f} s for tasks whose results nobody wants"
    assert not [p for p in workers if alive(p)], "workers outlived the stopped driver"


class DiskFull(OSError):
    """What storing a result can raise."""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_an_error_while_storing_results_stops_the_workers_before_it_propagates() -> None:
    results = in_processes(nap, [0.0, LONG, LONG, LONG], 2)
    workers: list[int] = []
    started = 0.0
    with pytest.raises(DiskFull):
        with results_of(results) as each:
            for _ in each:
                workers = _busy_workers(results)
                started = time.monotonic()
                raise DiskFull("database or disk is full")
    # Still inside the error's propagation, with the generator referenced from here: the
    # workers are stopped already, not when the generator is collected.
    took = time.monotonic() - started
    assert took < LONG / 4, f"stopping took {took:.0f} s"
    assert results.gi_frame is None, "the results generator was left open"  # type: ignore[attr-defined]
    assert not [p for p in workers if alive(p)], "workers outlived the error"


def test_results_come_in_item_order_across_workers() -> None:
    assert list(in_processes(nap, [0.3, 0.0, 0.1, 0.0], 2)) == [0.3, 0.0, 0.1, 0.0]
