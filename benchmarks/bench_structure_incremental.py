"""What `structure` costs from scratch, with nothing new, and after the last N messages
of the store arrive (docs/scale.md, "Structure redoes only what new mail touches").

    .venv/bin/python benchmarks/bench_structure_incremental.py --store INGESTED.db --work /tmp/NAME/bench \
        [--tails 100,1000] [--no-segment] [--compare]

``--store`` is a store that `analyzer ingest` filled and `structure` never ran on (it is
only copied). For each N, a copy loses its last N message rows (the newest ingested:
``messages``, ``message_lists``, ``message_sources``), is structured from scratch, gets
those rows back exactly as ingest wrote them (same row ids), and is structured again:
that last run is the one timed. ``--compare`` then runs benchmarks/compare_stores.py
between it and the copy structured from scratch in one go (every table must match).
Segmentation runs in this process (``jobs=1``) so CPU time is the whole stage's.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from analyzer.store.db import Store
from analyzer.store.structure import StructureSummary, rebuild_structure


def timed(db: Path, *, full: bool, segment: bool) -> tuple[float, float, StructureSummary]:
    with Store.open(db) as store:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = rebuild_structure(store, full=full, segment=segment, jobs=1)
        return time.perf_counter() - wall, time.process_time() - cpu, summary


def without_tail(source: Path, target: Path, tail: int) -> int:
    """``target``: a copy of ``source`` without its last ``tail`` message rows; returns
    the highest row kept."""
    shutil.copyfile(source, target)
    db = sqlite3.connect(target)
    cut = int(db.execute("SELECT max(id) FROM messages").fetchone()[0]) - tail
    newer = "SELECT message_id FROM messages WHERE id > ?"
    with db:
        db.execute(f"DELETE FROM message_lists WHERE message_id IN ({newer})", (cut,))
        db.execute(f"DELETE FROM message_sources WHERE message_id IN ({newer})", (cut,))
        db.execute("DELETE FROM messages WHERE id > ?", (cut,))
    db.close()
    return cut


def add_tail(source: Path, target: Path, cut: int) -> None:
    """The rows ``without_tail`` took, back as ingest wrote them (full-text index too)."""
    db = sqlite3.connect(target)
    db.execute("ATTACH DATABASE ? AS original", (str(source),))
    newer = "SELECT message_id FROM original.messages WHERE id > ?"
    with db:
        db.execute("INSERT INTO messages SELECT * FROM original.messages WHERE id > ?", (cut,))
        db.execute(f"INSERT INTO message_lists SELECT * FROM original.message_lists WHERE message_id IN ({newer})", (cut,))
        db.execute(
            f"INSERT INTO message_sources SELECT * FROM original.message_sources WHERE message_id IN ({newer})", (cut,)
        )
        db.execute(
            "INSERT INTO messages_fts(rowid, subject, author_name, body) "
            "SELECT id, subject, author_name, body FROM messages WHERE id > ?",
            (cut,),
        )
    db.close()


def line(label: str, wall: float, cpu: float, summary: StructureSummary, base: float) -> str:
    return (
        f"{label:<34} {wall:8.2f} s wall {cpu:8.2f} s CPU  x{cpu / base:7.4f} of from-scratch CPU  "
        f"new {summary.new_messages:>6}  components {summary.components:>5}  series groups {summary.series_groups:>5}  "
        f"segmented {summary.segmented:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--tails", default="100,1000")
    parser.add_argument("--no-segment", action="store_true")
    parser.add_argument("--compare", action="store_true")
    options = parser.parse_args()
    segment = not options.no_segment
    options.work.mkdir(parents=True, exist_ok=True)
    scratch = options.work / "scratch.db"
    shutil.copyfile(options.store, scratch)
    wall, cpu, summary = timed(scratch, full=True, segment=segment)
    base = cpu
    print(f"messages {summary.messages}, threads {summary.threads}, series versions {summary.series_versions}, "
          f"people {summary.people}; segmentation {'on' if segment else 'off'}")
    print(line("from scratch", wall, cpu, summary, base), flush=True)
    print(line("again, nothing new", *timed(scratch, full=False, segment=segment), base), flush=True)
    for tail in (int(t) for t in options.tails.split(",") if t):
        step = options.work / f"tail-{tail}.db"
        cut = without_tail(options.store, step, tail)
        print(line(f"first {cut} from scratch", *timed(step, full=True, segment=segment), base), flush=True)
        add_tail(options.store, step, cut)
        print(line(f"then the last {tail}", *timed(step, full=False, segment=segment), base), flush=True)
        if options.compare:
            compared = subprocess.run(
                [sys.executable, str(Path(__file__).with_name("compare_stores.py")), str(scratch), str(step)],
                capture_output=True, text=True,
            )
            print(compared.stdout, end="")
            print(f"identical to from scratch: {'yes' if compared.returncode == 0 else 'NO'}", flush=True)
    print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
