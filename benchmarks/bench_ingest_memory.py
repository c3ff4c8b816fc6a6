"""Peak memory of ingest on hostile inputs, as ratios to a plain mbox of the same size.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_ingest_memory.py [--mib 32]

Each input is ingested by a fresh process (one parser process, so the figure is that
process's peak resident memory) and compared with the same run's baseline: an ordinary
LF mbox of real messages (../shared gold and silver threads, repeated to the size).

  gz-zeros     a .gz of zeros (one endless line; streamed, stopped at the expansion cap)
  cr-only      the baseline with CR-only line endings (old Mac files)
  long-line    one message whose body is a single line of the whole size

Before issue 11, a 10 MB .gz of zeros took ~1 GB and a 32 MB CR-only file 668 MB; every
ratio should now stay near 1 (bounded by batch and line caps, not by the input).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mutants import as_mbox, real_messages  # noqa: E402

_CHILD = """
import json, resource, sys, time
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
started = time.perf_counter()
with Store.open(sys.argv[2]) as store:
    counts = ingest(store, [(sys.argv[1], "mbox")], IngestOptions(jobs=1)).counts
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "seconds": time.perf_counter() - started,
                  "read": counts.read, "stored": counts.stored, "rejected": counts.rejected}))
"""


def _measure(source: Path, folder: Path) -> dict[str, object]:
    db = folder / f"{source.name}.db"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(source), str(db)], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _inputs(folder: Path, size: int, shared: Path) -> dict[str, Path]:
    one = as_mbox(real_messages(shared))
    plain = (one * (size // len(one) + 1))[:size]
    plain = plain[: plain.rfind(b"\nFrom mutant@") + 1]
    paths = {"baseline": folder / "plain.mbox", "cr-only": folder / "cr.mbox", "long-line": folder / "long.mbox"}
    paths["baseline"].write_bytes(plain)
    paths["cr-only"].write_bytes(plain.replace(b"\n", b"\r"))
    head = b"From a@example.org Mon May 11 11:30:42 2026\nFrom: A <a@example.org>\nSubject: long\nMessage-ID: <l@x>\n\n"
    with paths["long-line"].open("wb") as out:
        out.write(head)
        for _ in range(size >> 20):
            out.write(b"x" * (1 << 20))
        out.write(b"\n")
    paths["gz-zeros"] = folder / "zeros.mbox.gz"
    with gzip.open(paths["gz-zeros"], "wb", compresslevel=9) as out:
        out.write(head)
        for _ in range(min(size >> 20, 16) * 64):  # a few MiB compressed, ~1 GiB expanded
            out.write(b"\0" * (1 << 20))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=32, help="Size of each plain input, MiB.")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        paths = _inputs(folder, args.mib << 20, args.shared)
        started = time.perf_counter()
        results = {label: _measure(path, folder) for label, path in paths.items()}
        print(f"{args.mib} MiB inputs, {time.perf_counter() - started:.0f} s in all")
        base = float(results["baseline"]["peak_kib"])  # type: ignore[arg-type]
        for label, result in results.items():
            size = paths[label].stat().st_size / 2**20
            peak = float(result["peak_kib"]) / 1024  # type: ignore[arg-type]
            print(
                f"{label:10} {size:7.1f} MiB on disk  peak {peak:6.0f} MiB  ratio {peak * 1024 / base:4.2f}  "
                f"{float(result['seconds']):5.1f} s  read {result['read']} stored {result['stored']} rejected {result['rejected']}"  # type: ignore[arg-type]
            )


if __name__ == "__main__":
    main()
