"""How `analyze` scales with worker processes: messages/s at 1 and 2 workers (or any -j
list) on the same store, CPU use (cores busy on average) and peak RSS of each process.

    .venv/bin/python benchmarks/bench_scale.py [--messages 600] [--jobs 1,2] [--method learned,rules]
        [--archive ../shared/archives/kvmarm-columbia-0.git] [--dask]
    .venv/bin/python benchmarks/bench_scale.py --sizes 5000,21367,100000 [--ingest-jobs 1,2]
        [--stages ingest,structure,analyze]

The store holds the archive's first ``--messages`` messages (structure built once, before
timing); each run analyses a fresh copy of it with `analyzer analyze --force -j N` in a
subprocess, sampled every 0.1 s for the RSS of the driver and of each worker. CPU use is the
user+system time of the run and its workers over its wall time. The machine is shared:
compare the ratios of one run, not figures across runs. With --dask, also a 2-worker
LocalCluster (processes) at the same store.

With --sizes, memory against archive size instead: for each size, an inbox of that many
messages in two public-inbox epochs is built from the archive (past its 21,367 messages,
distinct copies of its threads with rewritten Message-IDs: benchmarks/scaled_inbox.py),
then ingested (into a fresh store at each of --ingest-jobs: -j 1 reads the epochs one
after the other and parses in the writer's process, -j 2 reads and parses both epochs at
once in two workers), structured (every core) and analysed with the rules (every core),
each stage a subprocess sampled every 0.1 s for the peak RSS of each of its processes.
Ingest also gives the share of its wall time the one writer spent storing batches, the
CPU time of that (its own cost: on a loaded machine the wall time includes waiting for a
core) and the time it sat idle between batches, waiting for parsed mail (a writer that is
the bottleneck is never idle). ``--stages`` reports only some stages (a store is still
ingested, untimed, with the last of --ingest-jobs when ingest is left out); "driver CPU-s"
is the CPU time of the stage's own process, its workers excluded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from benchmarks.process_tree import run_sampled  # noqa: E402
from benchmarks.scaled_inbox import build_inbox  # noqa: E402

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
    run = run_sampled([*ANALYZER, "analyze", "--db", str(db), "--force", "--no-progress", "--json", *args],
                      capture_stderr=False)
    if run.returncode != 0:
        raise SystemExit(f"{label}: analyze exited {run.returncode}")
    report = json.loads(run.out.strip().splitlines()[-1])
    peaks = {"driver" if pid == run.root else f"child {pid}": rss for pid, (_, rss) in run.peaks.items()}
    return Run(label, int(report["messages"]), run.seconds, run.waited, peaks, run.cpu.get(run.root, 0.0))


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
    parser.add_argument("--sizes", help="memory against size instead: e.g. 5000,21367,100000 messages")
    parser.add_argument("--ingest-jobs", default="1,2", help="with --sizes: ingest parse workers to compare")
    parser.add_argument("--stages", default="ingest,structure,analyze", help="with --sizes: the stages to report")
    options = parser.parse_args()
    if options.sizes:
        for size in options.sizes.split(","):
            sizes_run(options.archive, int(size), options.ingest_jobs.split(","), options.stages.split(","))
        return
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


# -- memory against archive size (--sizes) ------------------------------------------------

INGEST = """
import json, sys, time
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
start = time.perf_counter()
with Store.open(sys.argv[1]) as store:
    report = ingest(store, [(sys.argv[2], "public-inbox")], IngestOptions(jobs=int(sys.argv[3])))
print(json.dumps(report.counts.as_dict() | {"writer_seconds": report.writer_seconds,
                                            "writer_cpu_seconds": report.writer_cpu_seconds,
                                            "writer_idle_seconds": report.writer_idle_seconds,
                                            "seconds": time.perf_counter() - start}))
"""


@dataclass(frozen=True)
class Sampled:
    label: str
    seconds: float
    cpu_seconds: float
    peaks: dict[str, float]
    """Peak RSS (MiB): "driver", the largest Python child ("worker"), the largest git."""
    output: dict[str, object]
    driver_cpu_seconds: float = 0.0


def sampled(label: str, command: list[str]) -> Sampled:
    """Run ``command`` (which prints one JSON object last): wall time, CPU of its process
    tree (each process's own, sampled every 0.1 s), peak RSS by role."""
    run = run_sampled(command)
    if run.returncode != 0:
        raise SystemExit(f"{label} exited {run.returncode}: {run.err.strip()[-600:]}")
    peaks: dict[str, float] = {}
    for pid, (name, rss) in run.peaks.items():
        role = "driver" if pid == run.root else "git" if name == "git" else "worker"
        peaks[role] = max(peaks.get(role, 0.0), rss)
    return Sampled(label, run.seconds, sum(run.cpu.values()), peaks, json.loads(run.out.strip().splitlines()[-1]),
                   run.cpu.get(run.root, 0.0))


def sizes_run(archive: Path, size: int, ingest_jobs: list[str], chosen: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        inbox = build_inbox(archive, size, Path(tmp) / "inbox", epochs=2)
        print(f"\n{size} messages in 2 epochs (built in {time.perf_counter() - started:.0f} s, not timed); "
              f"load average {os.getloadavg()[0]:.1f}")
        stages: list[Sampled] = []
        db = Path(tmp) / "store.db"
        for jobs in ingest_jobs if "ingest" in chosen else ingest_jobs[-1:]:
            db.unlink(missing_ok=True)
            stages.append(sampled(f"ingest -j {jobs}", [sys.executable, "-c", INGEST, str(db), str(inbox), jobs]))
        if "ingest" not in chosen:
            stages.clear()
        if "structure" in chosen or "analyze" in chosen:
            structure = sampled("structure", [*ANALYZER, "structure", "--db", str(db), "--no-progress", "--json"])
            stages += [structure] if "structure" in chosen else []
        if "analyze" in chosen:
            stages.append(sampled("analyze (rules)", [*ANALYZER, "analyze", "--db", str(db), "--method", "rules",
                                                      "--no-progress", "--json"]))
    print("| messages | stage | wall (s) | msg/s | cores busy | writer (s, share) | writer CPU-s | writer idle (s) "
          "| driver CPU-s | peak RSS MiB: driver | largest worker | git |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for stage in stages:
        writer = [stage.output.get(k) for k in ("writer_seconds", "writer_cpu_seconds", "writer_idle_seconds")]
        shown = ["", "", ""]
        if writer[0] is not None:
            busy, cpu, idle = (float(str(v)) for v in writer)
            shown = [f"{busy:.1f}, {busy / stage.seconds:.0%}", f"{cpu:.1f}", f"{idle:.1f}"]
        peaks = [f"{stage.peaks[r]:.0f}" if r in stage.peaks else "-" for r in ("driver", "worker", "git")]
        print(f"| {size:,} | {stage.label} | {stage.seconds:.1f} | {size / stage.seconds:.0f} | "
              f"{stage.cpu_seconds / stage.seconds:.0%} | {' | '.join(shown)} | {stage.driver_cpu_seconds:.1f} | {' | '.join(peaks)} |")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
