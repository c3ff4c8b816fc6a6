"""How `analyze` scales with worker processes: messages/s at 1 and 2 workers (or any -j
list) on the same store, CPU use (cores busy on average) and peak RSS of each process.

    .venv/bin/python benchmarks/bench_scale.py [--messages 600] [--jobs 1,2] [--method learned,rules]
        [--archive ../shared/archives/kvmarm-columbia-0.git] [--dask]

The store holds the archive's first ``--messages`` messages (structure built once, before
timing); each run analyses a fresh copy of it with `analyzer analyze --force -j N` in a
subprocess, sampled every 0.1 s for the RSS of the driver and of each worker. CPU use is the
user+system time of the run and its workers over its wall time. The machine is shared:
compare the ratios of one run, not figures across runs. With --dask, also a 2-worker
LocalCluster (processes) at the same store.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.ingest import publicinbox  # noqa: E402
from analyzer.ingest.pipeline import IngestOptions, ingest  # noqa: E402
from analyzer.store.db import Store  # noqa: E402
from analyzer.store.structure import rebuild_structure  # noqa: E402

ANALYZER = [sys.executable, "-c", "from analyzer.cli import main; main()"]


@dataclass(frozen=True)
class Run:
    label: str
    messages: int
    seconds: float
    cpu_seconds: float
    peak_rss_mib: dict[str, float]
    driver_cpu_seconds: float = 0.0
    """CPU of the driver alone (reads inputs, writes results): the part that does not spread."""

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cores_busy(self) -> float:
        return self.cpu_seconds / self.seconds


def build_store(archive: Path, messages: int, folder: Path) -> Path:
    publicinbox.write_first_messages(archive, messages, folder / "first.mbox")
    db = folder / "structured.db"
    with Store.open(db) as store:
        ingest(store, [(str(folder / "first.mbox"), "mbox")], IngestOptions(jobs=1))
        rebuild_structure(store)
    return db


def measure(label: str, store: Path, args: list[str]) -> Run:
    db = store.with_name(f"run-{label}.db")
    shutil.copy(store, db)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen([*ANALYZER, "analyze", "--db", str(db), "--force", "--no-progress", "--json", *args],
                               env=env, stdout=subprocess.PIPE, text=True)
    peaks: dict[int, tuple[str, float]] = {}
    root = psutil.Process(process.pid)
    driver_cpu = 0.0
    while process.poll() is None:
        try:
            times = root.cpu_times()
            driver_cpu = times.user + times.system
            for p in [root, *root.children(recursive=True)]:
                rss = p.memory_info().rss / 2**20
                name = "driver" if p.pid == process.pid else f"child {p.pid}"
                peaks[p.pid] = (name, max(rss, peaks.get(p.pid, ("", 0.0))[1]))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{label}: analyze exited {process.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(out.strip().splitlines()[-1])
    return Run(label, int(report["messages"]), seconds, cpu, {name: rss for name, rss in peaks.values()}, driver_cpu)


def dask_run(store: Path, method: str) -> Run:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:  # type: ignore[no-untyped-call]
        workers = [psutil.Process(w.pid) for w in cluster.workers.values() if w.pid]
        cpu_before = sum(sum(w.cpu_times()[:2]) for w in workers)
        run = measure(f"dask-{method}", store, ["--method", method, "--engine", "dask",
                                               "--scheduler", cluster.scheduler_address])
        cpu = sum(sum(w.cpu_times()[:2]) for w in workers) - cpu_before
        rss = {f"dask worker {w.pid}": w.memory_info().rss / 2**20 for w in workers}
    return Run(run.label, run.messages, run.seconds, run.cpu_seconds + cpu, run.peak_rss_mib | rss,
               run.driver_cpu_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=ROOT.parent / "shared/archives/kvmarm-columbia-0.git")
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--method", default="learned,rules")
    parser.add_argument("--dask", action="store_true", help="also a 2-worker LocalCluster")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(options.archive, options.messages, Path(tmp))
        for method in options.method.split(","):
            runs = [measure(f"{method}-j{jobs}", store, ["--method", method, "-j", jobs])
                    for jobs in options.jobs.split(",")]
            if options.dask:
                runs.append(dask_run(store, method))
            report(method, runs)


def report(method: str, runs: list[Run]) -> None:
    base = runs[0]
    print(f"\n{method}: {base.messages} messages")
    print(f"{'run':<14} {'msg/s':>7} {'vs first':>8} {'seconds':>8} {'cores busy':>10} {'msg/CPU-s':>9} "
          f"{'driver CPU-s':>12}  peak RSS MiB per process (children: workers and the resource tracker)")
    for run in runs:
        peaks = ", ".join(f"{name} {rss:.0f}" for name, rss in sorted(run.peak_rss_mib.items()))
        print(f"{run.label:<14} {run.rate:>7.1f} {run.rate / base.rate:>7.2f}x {run.seconds:>8.1f} "
              f"{run.cores_busy * 100:>9.0f}% {run.messages / run.cpu_seconds:>9.1f} {run.driver_cpu_seconds:>12.1f}  {peaks}")
    print(f"load average during the runs: {os.getloadavg()[0]:.1f} (other work on the machine takes cores too)")


if __name__ == "__main__":
    main()
