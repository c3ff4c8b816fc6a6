"""The default reading (learned, the cascade) of this checkout against another git revision
of it, on the same archive messages, in turns: messages per CPU-second of each, the ratio,
and whether the two read every thread the same, record for record.

Each reading runs in its own process with that revision first on PYTHONPATH (``git
archive REV`` unpacked into a temporary folder; the shipped bundles come with it), reads
the first threads of a structured store until ``--messages`` messages (as
``benchmarks/cascade.py --db`` does), and counts its own CPU seconds after loading the
models and reading one thread to warm up. Turns alternate (base, this, base, this, ...)
so a change in the machine's load falls on both.

    .venv/bin/analyzer ingest ../shared/archives/kvmarm-columbia-0.git --db /tmp/archive.db
    .venv/bin/analyzer structure --db /tmp/archive.db
    nice -n 10 .venv/bin/python benchmarks/reading_ab.py --db /tmp/archive.db --base main [--messages 4000 --rounds 2]

``--heads`` times the learned heads' own work instead: the decision, relation and position
scores (``learn.predict``) of the same threads from their views, with the static bundle;
the views are annotated and their sentence vectors remembered before the timing, which is
the mean of ``HEAD_PASSES`` passes. The scores of the two must be the same too.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def read(db: Path, messages: int, out: Path) -> None:
    """(In the child.) The cascade reading of the first ``messages`` messages: CPU seconds."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_encoders import _inputs

    from analyzer.analysis.catalogue import load_catalogue
    from analyzer.learn.reader import learned_reader
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from analyzer.store.db import Store

    inputs = _inputs(Store.open(db), messages)
    reader = learned_reader(Annotator(build_pipeline(PipelineSettings())), {b.id: b.kind for b in load_catalogue(None)})
    reader(inputs[0])  # models loaded outside the timing
    started = time.process_time()
    analyses = [reader(one) for one in inputs]
    _done(inputs, time.process_time() - started, analyses, out)


HEAD_PASSES = 5


def score_heads(db: Path, messages: int, out: Path) -> None:
    """(In the child, ``--heads``.) The heads' scores of the first ``messages`` messages: CPU
    seconds of one pass, the mean of ``HEAD_PASSES``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_encoders import _inputs

    from analyzer.learn.encoder import CachedVectors, StaticEncoder
    from analyzer.learn.model import STATIC_MODEL_DIR, load_models
    from analyzer.learn.predict import decision_scores, position_scores, relation_scores
    from analyzer.learn.views import view_thread
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from analyzer.store.db import Store

    inputs = _inputs(Store.open(db), messages)
    annotator = Annotator(build_pipeline(PipelineSettings()))
    views = [view_thread(one, annotator) for one in inputs]
    models, vectors = load_models(STATIC_MODEL_DIR), CachedVectors(StaticEncoder())

    def scores() -> list[object]:
        return [(decision_scores(v, models), relation_scores(v, models, vectors), position_scores(v, models, vectors)) for v in views]

    first = scores()  # the sentences encoded and remembered outside the timing
    started = time.process_time()
    for _ in range(HEAD_PASSES):
        scores()
    _done(inputs, (time.process_time() - started) / HEAD_PASSES, first, out)


def _done(inputs: list[Any], seconds: float, results: list[Any], out: Path) -> None:
    out.write_bytes(pickle.dumps(results))
    import analyzer

    if not Path(analyzer.__file__).is_relative_to(Path.cwd()):
        raise SystemExit(f"read {analyzer.__file__}, not the code in {Path.cwd()}")
    print(json.dumps({"messages": sum(len(i.messages) for i in inputs), "threads": len(inputs), "seconds": seconds}))


def checkout(revision: str, into: Path) -> Path:
    """The files of ``revision`` unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    tar = into / "base.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as unpacked:
        unpacked.extractall(into / "base", filter="data")
    return into / "base"


def turn(root: Path, db: Path, messages: int, out: Path, heads: bool = False) -> dict[str, float]:
    """One reading (or scoring by the heads) by the code at ``root``, in a process of its own."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--db", str(db), "--messages", str(messages), "--read-into", str(out)]
        + (["--heads"] if heads else []),
        env=os.environ | {"PYTHONPATH": str(root)}, cwd=root, check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a structured store")
    parser.add_argument("--base", default="main", help="the git revision to compare with")
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--heads", action="store_true", help="time the heads' scores alone, not the whole reading")
    parser.add_argument("--read-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_into is not None:
        (score_heads if args.heads else read)(args.db, args.messages, args.read_into)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        base = checkout(args.base, Path(tmp))
        rates: dict[str, list[float]] = {"base": [], "this": []}
        read_by: dict[str, bytes] = {}
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        for _ in range(args.rounds):
            for name, root in (("base", base), ("this", ROOT)):
                out = Path(tmp) / f"{name}.pickle"
                run = turn(root, args.db, args.messages, out, args.heads)
                rates[name].append(run["messages"] / run["seconds"])
                read_by[name] = out.read_bytes()
                print(f"{name:4s} ({args.base if name == 'base' else 'this checkout'}): {run['threads']:.0f} threads, "
                      f"{run['messages']:.0f} messages, {run['seconds']:.2f} CPU-s, {rates[name][-1]:.1f} msg per CPU-s", flush=True)
        same = pickle.loads(read_by["base"]) == pickle.loads(read_by["this"])
        ratio = statistics.mean(rates["this"]) / statistics.mean(rates["base"])
        print(f"this checkout / {args.base}: {ratio:.2f}x messages per CPU-second; "
              f"the analyses {'are the same, record for record' if same else 'DIFFER'}")
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
