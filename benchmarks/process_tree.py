"""Run a command and sample its process tree every 0.1 s: wall time, each process's own
CPU time, each process's peak RSS, and the CPU its parent waited for (shared by the scale
and end-to-end benchmarks)."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TreeRun:
    seconds: float
    returncode: int
    out: str
    err: str
    root: int
    """Process id of the command itself (the driver)."""
    cpu: dict[int, float]
    """Process id -> user + system seconds, as last sampled (the last 0.1 s is missing)."""
    peaks: dict[int, tuple[str, float]]
    """Process id -> (process name, peak RSS in MiB)."""
    waited: float
    """CPU seconds of the children the parent waited for (misses workers never waited for)."""


def run_sampled(command: list[str], *, capture_stderr: bool = True) -> TreeRun:
    """Run ``command`` with this checkout first on PYTHONPATH, sampling as it runs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=os.environ | {"PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE if capture_stderr else None, text=True)
    root = psutil.Process(process.pid)
    cpu: dict[int, float] = {}
    peaks: dict[int, tuple[str, float]] = {}
    while process.poll() is None:
        try:
            for p in [root, *root.children(recursive=True)]:
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system
                peaks[p.pid] = (p.name(), max(p.memory_info().rss / 2**20, peaks.get(p.pid, ("", 0.0))[1]))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    out, err = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return TreeRun(seconds, process.returncode, out, err or "", process.pid, cpu, peaks, waited)
