"""Analysis throughput on the real archive, next to spaCy's bare tokenizer on the same text.

Ingests the public-inbox archive (or reuses --db), builds threads and segments, then times
the analysis of every thread (annotation, thread logic, writing results) and, in the same
process, ``spacy.blank("en")``'s
tokenizer over exactly the texts the analysis reads (own-text blocks, and the lines that
patches add). Both ways of reading are timed on the same threads: the rules alone and the
learned models (rules as features, MiniLM sentence vectors, linear heads; the default).
Prints messages/s and words/s for each and their ratio to the tokenizer (target: the rules
at least a third of the tokenizer's speed; the learned reading of the whole archive in under
10 minutes).

    .venv/bin/python benchmarks/bench_analysis.py [--archive PATH] [--db PATH] [--threads N] [--method rules|learned|both]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import spacy

from analyzer.analysis.inputs import previous_versions
from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.thread import ThreadReader, blocks_of, rules_reader
from analyzer.analyze import thread_input
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.learn.reader import learned_reader
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline, pipeline_fingerprint
from analyzer.store.analysis import save_thread_analysis
from analyzer.store.db import Store
from analyzer.store.structure import author_ids, load_series, load_threads, rebuild_structure

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "archives" / "kvmarm-columbia-0.git"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--db", type=Path, help="reuse an ingested and structured database")
    parser.add_argument("--threads", type=int, default=0, help="analyse only the first N threads (0: all)")
    parser.add_argument("--method", choices=("rules", "learned", "both"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        store = Store.open(db)
        if store.count("messages") == 0:
            if not args.archive.exists():
                print(f"no archive at {args.archive}", file=sys.stderr)
                return 2
            started = time.perf_counter()
            ingest(store, [(str(args.archive), "auto")], IngestOptions())
            rebuild_structure(store)
            print(f"prepared {store.count('messages')} messages in {time.perf_counter() - started:.1f} s")
        return _measure(store, args.threads, args.method)


def _measure(store: Store, limit: int, method: str) -> int:
    threads = load_threads(store)[: limit or None]
    authors = author_ids(store)
    previous = previous_versions(load_series(store))
    inputs = [
        thread_input(store, t, authors=authors, roles_known=False, previous=previous) for t in threads
    ]
    texts = [b.text for i in inputs for m in i.messages for b in blocks_of(m)]
    messages = sum(len(i.messages) for i in inputs)
    tokenizer = spacy.blank("en").tokenizer
    started = time.perf_counter()
    words = sum(len(doc) for doc in tokenizer.pipe(texts, batch_size=512))
    tokenizer_seconds = time.perf_counter() - started
    settings = PipelineSettings()
    annotator = Annotator(build_pipeline(settings))
    fingerprint = pipeline_fingerprint(settings)
    readers: dict[str, ThreadReader] = {}
    if method in ("rules", "both"):
        readers["rules"] = rules_reader(annotator)
    if method in ("learned", "both"):
        kinds = {b.id: b.kind for b in load_catalogue(None)}
        readers["learned"] = learned_reader(annotator, kinds)
    print(f"threads: {len(threads)}, messages: {messages}, words of text read: {words}")
    print(f"bare tokenizer : {messages / tokenizer_seconds:9.0f} msg/s {words / tokenizer_seconds:10.0f} words/s ({tokenizer_seconds:.1f} s)")
    for name, read in readers.items():
        started = time.perf_counter()
        for thread, one in zip(threads, inputs):
            save_thread_analysis(store, read(one), name + fingerprint + thread.thread_id)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(
            f"{name:15}: {messages / seconds:9.0f} msg/s {words / seconds:10.0f} words/s ({seconds:.1f} s, writing results included); "
            f"speed / tokenizer = {tokenizer_seconds / seconds:.2f}; peak RSS so far {peak} MiB"
        )
    print("targets: rules speed / tokenizer >= 0.33; learned, whole archive < 600 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
