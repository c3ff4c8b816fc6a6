"""Thousands of mutated real messages through ingest -> structure -> analyze -> report.

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_pipeline.py [--mutants 3000] [--seed 1]

Builds the mutants at run time from ../shared (gold and silver threads; nothing is
written into the project), runs the whole pipeline once, and prints what happened to
every entry: the accounting identity (read = stored + duplicates + rejected over the
file's separators), rejections by reason, stage failures, and the time per stage. Exits 1
if a count does not add up; any exception is a crash worth a bug report.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.analyze import analyze_store  # noqa: E402
from analyzer.ingest.pipeline import IngestOptions, ingest  # noqa: E402
from analyzer.nlp.annotate import Annotator  # noqa: E402
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline  # noqa: E402
from analyzer.report.write import write_report  # noqa: E402
from analyzer.store.db import Store  # noqa: E402
from analyzer.store.debate import load_debate  # noqa: E402
from analyzer.store.failures import failure_counts  # noqa: E402
from analyzer.store.structure import rebuild_structure  # noqa: E402
from tests.mutants import as_mbox, mutant_corpus, real_messages, separators  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    messages = real_messages(args.shared)
    mbox = as_mbox(mutant_corpus(messages, args.mutants, seed=args.seed))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutants.mbox"
        path.write_bytes(mbox)
        with Store.open(Path(folder) / "fuzz.db") as store:
            started = time.perf_counter()
            counts = ingest(store, [(str(path), "mbox")], IngestOptions(jobs=0)).counts
            ingested = time.perf_counter()
            summary = rebuild_structure(store)
            structured = time.perf_counter()
            report = analyze_store(store, Annotator(build_pipeline(PipelineSettings())), pipeline_fingerprint="fuzz")
            analysed = time.perf_counter()
            written = write_report(load_debate(store), Path(folder) / "report", thread_id=None, formats=("html", "md"))
            reported = time.perf_counter()
            failures = failure_counts(store)
    expected = separators(mbox)
    print(f"mutants {args.mutants} from {len(messages)} real messages ({len(mbox) / 2**20:.1f} MiB), separators {expected}")
    print(f"ingest   read {counts.read} = stored {counts.stored} + duplicates {counts.duplicates} "
          f"+ rejected {counts.rejected_total} {dict(sorted(counts.rejected.items()))}  ({ingested - started:.1f} s)")
    print(f"structure {summary.threads} threads, {summary.segmented} segmented, {summary.failed} failed  "
          f"({structured - ingested:.1f} s)")
    print(f"analyze  {report.analysed} threads, {report.messages} messages, {report.failed} failed  ({analysed - structured:.1f} s)")
    print(f"report   {len(written)} files  ({reported - analysed:.1f} s); stage failures {failures}")
    good = counts.read == expected and counts.balanced()
    print("accounting: " + ("holds" if good else "BROKEN"))
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
