"""``analyzer train`` (cross-validation and the bundle's fit) in one process and on every
core, in the same run: wall time, CPU seconds of the driver and its forks, the ratio, and
whether the two runs wrote the same bundles (they must, byte for byte).

    PYTHONPATH=. python benchmarks/bench_train.py [--jobs 2] [--no-archive-labels] [--encoder cascade]

Reading and marking the threads (``prepare``) is done once, before both runs, and not timed;
the second run's driver has the encoders loaded by the first (a fresh ``analyzer train -j N``
loads them itself).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from analyzer.learn.model import READINGS
from analyzer.learn.workflow import Method, default_data, default_labelled, prepare, train_and_cross_validate
from analyzer.workers import local_cores

FILES = ("settings.json", "heads.npz", "heads.json", "prototypes.npz")


def cpu_seconds() -> float:
    own, forks = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + forks.ru_utime + forks.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", "-j", type=int, default=0, help="processes of the second run (0: every core)")
    parser.add_argument("--encoder", choices=READINGS, default="cascade")
    parser.add_argument("--archive-labels", action=argparse.BooleanOptionalAction, default=True,
                        help="also train on corpus/annotated (as analyzer train does)")
    args = parser.parse_args()
    jobs = args.jobs or local_cores()
    prepared = prepare(default_data(), labelled=default_labelled() if args.archive_labels else ())
    threads = len(prepared.corpus) + len(prepared.extra)
    print(f"{threads} threads, {sum(len(t.gold) for t in (*prepared.corpus, *prepared.extra))} messages; "
          f"encoder {args.encoder}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for label, n in (("one process", 1), (f"{jobs} processes", jobs)):
            out = Path(tmp) / f"j{n}"
            started, cpu = time.monotonic(), cpu_seconds()
            _, result = train_and_cross_validate(prepared, Method(encoder=args.encoder), output=out, jobs=n)
            wall, used = time.monotonic() - started, cpu_seconds() - cpu
            runs.append((out, wall, result.as_json()))
            print(f"{label:12s} {wall:7.1f} s wall  {used:7.1f} CPU-s  ({used / wall:.0%} of a core)", flush=True)
        (one, wall_one, cv_one), (many, wall_many, cv_many) = runs
        bundles = [(one, many)] + ([(Path(f"{one}-static"), Path(f"{many}-static"))] if args.encoder == "cascade" else [])
        same = all((a / f).read_bytes() == (b / f).read_bytes() for a, b in bundles for f in FILES) and cv_one == cv_many
        print(f"speed-up {wall_one / wall_many:.2f}x on {jobs} processes; same bundles and figures: {same}")
        print(f"peak RSS of the driver {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
              f"of the largest fork {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
