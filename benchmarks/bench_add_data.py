"""Add data with the learned reader built for each addition (as before 2026-12-07) against
the reader shared by the server process (``intake.shared_reading``), in one process: wall
seconds per addition of a real thread into a new store, the median of each, their ratio,
and whether both stored the same analysis records for every thread.

Each round adds one thread not added before (the silver threads of ``../shared``, read at
run time) twice, once each way, so the shared reader's sentence-vector memo holds only what
earlier threads had in common with it, as for a new upload; which way goes first
alternates (the spaCy tokenizer's cache then favours neither). A warm-up addition of the
bundled sample corpus builds the shared reader first and is reported apart: it pays what
every addition paid before. The annotator (the spaCy pipeline) is the dashboard's, built
once beforehand, as ``loaders.annotator`` keeps it.

    nice -n 10 .venv/bin/python benchmarks/bench_add_data.py [--encoder cascade] [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from compare_stores import digest  # benchmarks/, the script's folder

from analyzer.dashboard import intake
from analyzer.dashboard.config import load_config
from analyzer.ingest.pipeline import IngestOptions
from analyzer.learn.model import DEFAULT_READING
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, update_store

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MLPA_SHARED", ROOT.parent / "shared"))
TABLES = ("claims", "message_positions", "mentions", "relations", "decisions", "analysed_threads")


def records(db: Path) -> dict[str, tuple[int, str]]:
    """Each analysis table's row count and rows' digest."""
    conn = sqlite3.connect(db)
    try:
        return {table: digest(conn, table) for table in TABLES}
    finally:
        conn.close()


def built(db: Path, mbox: Path, annotator: Annotator, encoder: str) -> float:
    """One addition whose reader is built for it (the page before the shared reader)."""
    started = time.perf_counter()
    with Store.open(db) as store:
        update_store(store, [(str(mbox), "mbox")], WorkflowOptions(ingest=IngestOptions(jobs=1), encoder=encoder),
                     annotator=annotator)
    return time.perf_counter() - started


def shared(db: Path, mbox: Path, annotator: Annotator, encoder: str) -> float:
    """One addition as the page makes it now."""
    started = time.perf_counter()
    intake.add_upload_file(load_config(["--db", str(db)], {}), mbox.name, mbox, annotator=annotator, encoder=encoder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default=DEFAULT_READING, choices=intake.ENCODERS)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    threads = sorted((SHARED / "silver").glob("*.mbox"))[: args.rounds]
    if len(threads) < args.rounds:
        raise SystemExit(f"{SHARED / 'silver'} holds {len(threads)} threads, fewer than --rounds {args.rounds}")
    annotator = Annotator(build_pipeline(PipelineSettings()))
    folder = Path(tempfile.mkdtemp(prefix="bench-add-data-"))
    first = shared(folder / "warm-up.db", ROOT / "corpus" / "kvm.mbox", annotator, args.encoder)
    times: dict[str, list[float]] = {"built": [], "shared": []}
    messages = 0
    for index, mbox in enumerate(threads):
        ways = [("built", built), ("shared", shared)]
        for name, add in ways if index % 2 == 0 else ways[::-1]:
            times[name].append(add(folder / f"{name}-{index}.db", mbox, annotator, args.encoder))
        with Store.open(folder / f"shared-{index}.db") as store:
            messages += store.count("messages")
    same = all(records(folder / f"built-{i}.db") == records(folder / f"shared-{i}.db") for i in range(args.rounds))
    before, after = statistics.median(times["built"]), statistics.median(times["shared"])
    print(f"{args.rounds} silver threads ({messages} messages), encoder {args.encoder}, each added both ways")
    print(f"  warm-up: the first shared addition (builds the shared reader, 23 messages): {first:.2f} s")
    print(f"  reader built per addition (before): median {before:.2f} s  [{', '.join(f'{t:.2f}' for t in times['built'])}]")
    print(f"  shared reader (after):              median {after:.2f} s  [{', '.join(f'{t:.2f}' for t in times['shared'])}]")
    print(f"  saved per addition: median {before - after:.2f} s ({before / after:.2f}x); "
          f"the same records both ways for every thread: {same}")


if __name__ == "__main__":
    main()
