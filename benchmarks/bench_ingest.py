"""Ingest speed and memory on the real kvmarm archive, next to a floor measured in the same run.

    .venv/bin/python benchmarks/bench_ingest.py [--archive PATH] [--repeat 3] [--json]

Floor: the same raw messages, read from the same archive by the same public-inbox reader,
parsed with the standard library alone in one process (``email.message_from_bytes`` with
its default policy, compat32, and every text part decoded). Ingest: the whole of
``analyzer ingest`` (parse with mail-parser on every core, dedupe, SQLite with full-text
index) into a fresh database. Target: ingest at least half the floor's messages per second.

Each measurement runs in a child process of its own, floor and ingest alternating; the
best of ``--repeat`` runs is kept (other programs on the machine only ever slow a run
down), and the ratio is also given run by run (a floor and the ingest right after it
see the same machine). Memory: the peak RSS of the ingest process itself (``ru_maxrss``) and the peak
private memory of its process tree (parser workers; git counted apart, its delta-base
cache being capped by git's own ``core.deltaBaseCacheLimit``), sampled from /proc, for the
first half of the archive and for the whole of it: a bounded stream shows the same peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = Path(os.environ.get("MLPA_SHARED", ROOT.parent / "shared")) / "archives" / "kvmarm-columbia-0.git"


# -- the two workloads, each run in a child process -------------------------------------


def floor_workload(archive: Path) -> dict[str, Any]:
    import email

    from analyzer.ingest import publicinbox
    from analyzer.records import RawMail

    start = time.perf_counter()
    messages = 0
    for reads in publicinbox.plan_epochs(archive, {}):
        for item in publicinbox.stream_epoch(reads, max_size=1 << 40, list_hint=None):
            if isinstance(item, RawMail):
                _decode_text_parts(email.message_from_bytes(item.data))
                messages += 1
    return {"messages": messages, "seconds": time.perf_counter() - start}


def _decode_text_parts(message: Any) -> None:
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            try:
                payload.decode(part.get_content_charset() or "us-ascii", "replace")
            except LookupError:
                payload.decode("utf-8", "replace")


def ingest_workload(archive: Path, db: Path, jobs: int) -> dict[str, Any]:
    from analyzer.ingest.pipeline import IngestOptions, ingest
    from analyzer.store.db import Store

    start = time.perf_counter()
    with Store.open(db) as store:
        counts = ingest(store, [(str(archive), "auto")], IngestOptions(jobs=jobs)).counts
        seconds = time.perf_counter() - start
        threading_seconds, structure_seconds = _threading(store)
    return {
        "messages": counts.read,
        "seconds": seconds,
        "threading_seconds": threading_seconds,
        "structure_seconds": structure_seconds,
        "counts": counts.as_dict(),
    }


def _threading(store: Any) -> tuple[float, float]:
    """Thread every stored message (JWZ over headers read from the store), then the whole
    structure rebuild without segmentation (threads, series, people written)."""
    from analyzer.store.structure import rebuild_structure
    from analyzer.thread.records import ThreadingHeaders
    from analyzer.thread.tree import build_threads

    start = time.perf_counter()
    rows = store.connection.execute("SELECT message_id, subject, in_reply_to, references_json, date FROM messages")
    build_threads(ThreadingHeaders(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4]) for r in rows)
    threading_seconds = time.perf_counter() - start
    start = time.perf_counter()
    rebuild_structure(store, segment=False)
    return threading_seconds, time.perf_counter() - start


def _child_main(argv: list[str]) -> None:
    kind, archive = argv[0], Path(argv[1])
    result = floor_workload(archive) if kind == "floor" else ingest_workload(archive, Path(argv[2]), int(argv[3]))
    result["ru_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# -- running children and watching their memory ------------------------------------------


def _tree_private_mib(root: int) -> dict[str, float]:
    """Private (anonymous) resident memory of ``root`` and its descendants, in MiB, split
    into analyser processes and git. File-backed pages (git's mapped pack, shared
    libraries) are page cache, not memory the ingest holds, and are left out."""
    children: dict[int, list[int]] = {}
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            parent = int(status["PPid"])
            anon_kib = int(status.get("RssAnon", "0 kB").split()[0])
        except (OSError, KeyError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        found[int(entry.name)] = (status["Name"].strip(), anon_kib)
    totals = {"analyzer": 0.0, "git": 0.0}
    todo = [root]
    while todo:
        pid = todo.pop()
        name, anon_kib = found.get(pid, ("", 0))
        totals["git" if name.startswith("git") else "analyzer"] += anon_kib / 1024
        todo.extend(children.get(pid, []))
    return totals


def run_child(*args: str) -> dict[str, Any]:
    """Run this script as a child doing one workload; its result, plus the peak private
    memory of its process tree (analyser processes, git) sampled every 20 ms."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak = {"analyzer": 0.0, "git": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for kind, mib in _tree_private_mib(process.pid).items():
                peak[kind] = max(peak[kind], mib)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"benchmark child {args[0]} failed with status {process.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["tree_peak_mib"] = peak["analyzer"]
    result["git_peak_mib"] = peak["git"]
    result["rate"] = result["messages"] / result["seconds"]
    return result


def half_archive(archive: Path, folder: Path) -> Path:
    """A bare repository that shares the archive's objects and ends at its middle commit."""
    commits = subprocess.run(
        ["git", "-C", str(archive), "rev-list", "--reverse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.split()
    half = folder / "half.git"
    subprocess.run(["git", "init", "--bare", "-q", str(half)], check=True)
    (half / "objects" / "info" / "alternates").write_text(str((archive / "objects").resolve()) + "\n")
    subprocess.run(["git", "-C", str(half), "update-ref", "HEAD", commits[len(commits) // 2 - 1]], check=True)
    return half


# -- the report --------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def measure(archive: Path, repeat: int, jobs: int) -> dict[str, Any]:
    floors: list[dict[str, Any]] = []
    ingests: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        folder = Path(tmp)
        for attempt in range(repeat):
            floors.append(run_child("floor", str(archive)))
            ingests.append(run_child("ingest", str(archive), str(folder / f"whole-{attempt}.db"), str(jobs)))
            print(f"run {attempt + 1}/{repeat}: floor {floors[-1]['rate']:.0f} msg/s, "
                  f"ingest {ingests[-1]['rate']:.0f} msg/s (load average {os.getloadavg()[0]:.2f})", file=sys.stderr)
        half = run_child("ingest", str(half_archive(archive, folder)), str(folder / "half.db"), str(jobs))
    best_floor = max(floors, key=lambda r: r["rate"])
    best_ingest = max(ingests, key=lambda r: r["rate"])
    return {
        "machine": machine(),
        "archive": str(archive),
        "messages": best_ingest["messages"],
        "floor": _summary(floors),
        "ingest": _summary(ingests) | {"counts": best_ingest["counts"]},
        "ratio_best": best_ingest["rate"] / best_floor["rate"],
        "ratio_pairs": [i["rate"] / f["rate"] for f, i in zip(floors, ingests)],
        "threading_seconds": min(r["threading_seconds"] for r in ingests),
        "structure_seconds": min(r["structure_seconds"] for r in ingests),
        "ratio_with_threading": (
            best_ingest["messages"] / (best_ingest["seconds"] + best_ingest["threading_seconds"])
        ) / best_floor["rate"],
        "memory": {"half": _memory(half), "whole": _memory(max(ingests, key=lambda r: r["tree_peak_mib"]))},
    }


def _memory(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("messages", "ru_maxrss_mib", "tree_peak_mib", "git_peak_mib")
    return {key: run[key] for key in keys}


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["rate"] for r in runs]
    return {
        "best_rate": max(rates),
        "median_rate": statistics.median(rates),
        "best_seconds": min(r["seconds"] for r in runs),
        "ru_maxrss_mib": max(r["ru_maxrss_mib"] for r in runs),
        "tree_peak_mib": max(r["tree_peak_mib"] for r in runs),
    }


def render(result: dict[str, Any]) -> str:
    m, floor, ing, mem = result["machine"], result["floor"], result["ingest"], result["memory"]
    lines = [
        f"{m['date']}  {m['cpu']}, {m['cores']} cores, Python {m['python']}, load average {m['load_average'][0]:.2f}",
        f"archive: {result['archive']} ({result['messages']} messages)",
        "",
        f"{'':34}{'best msg/s':>12}{'median':>10}{'best s':>9}{'RSS MiB':>10}{'tree MiB':>10}",
        _row("floor (stdlib, 1 process)", floor),
        _row("ingest (mail-parser, all cores)", ing),
        "",
        f"ingest / floor: {result['ratio_best']:.2f} best run over best run; "
        f"{', '.join(f'{r:.2f}' for r in result['ratio_pairs'])} run by run; target >= 0.50",
        f"threading every message (JWZ over stored headers): {result['threading_seconds']:.2f} s; "
        f"ingest + threading / floor: {result['ratio_with_threading']:.2f}",
        f"structure rebuild without segmentation (threads, series, people written): {result['structure_seconds']:.2f} s",
        f"counts: {json.dumps(ing['counts'])}",
        "peak memory (RSS of the ingest process; private memory of all its analyser processes; of git):",
    ]
    for label in ("half", "whole"):
        run = mem[label]
        lines.append(
            f"  {label:5} ({run['messages']:>6} msgs): {run['ru_maxrss_mib']:4.0f} MiB process, "
            f"{run['tree_peak_mib']:4.0f} MiB analyser processes, {run['git_peak_mib']:4.0f} MiB git"
        )
    return "\n".join(lines)


def _row(label: str, summary: dict[str, Any]) -> str:
    return (
        f"{label:34}{summary['best_rate']:>12.0f}{summary['median_rate']:>10.0f}{summary['best_seconds']:>9.2f}"
        f"{summary['ru_maxrss_mib']:>10.0f}{summary['tree_peak_mib']:>10.0f}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="parser processes for ingest (0: one per core)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    if not options.archive.exists():
        raise SystemExit(f"{options.archive}: no such archive; give --archive or set MLPA_SHARED")
    result = measure(options.archive, options.repeat, options.jobs)
    print(json.dumps(result, indent=2) if options.json else render(result))


if __name__ == "__main__":
    main()
