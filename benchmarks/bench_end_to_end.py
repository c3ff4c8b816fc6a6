"""End to end: ingest + structure + analyze of real mail, next to two baselines measured in
the same run on the same mbox.

    .venv/bin/python benchmarks/bench_end_to_end.py [--messages 5000] [--method learned|rules]
        [--archive ../shared/archives/kvmarm-columbia-0.git]

The first ``--messages`` messages of the real public-inbox archive are written to one mbox
file (not timed). Then, each in a child process of its own:

- **floor**: the standard library alone, one process — ``mailbox.mbox`` over the file,
  ``email.message_from_bytes`` (compat32) and every text part decoded;
- **Perceval**: GrimoireLab Perceval's mbox backend (``perceval.backends.core.mbox.MBox``)
  fetching every message of the file, as a researcher's pipeline would start; skipped
  with a note when Perceval is not installed (``pip install -e '.[bench]'``);
- **the tool**: ``analyzer ingest`` (the mbox), ``analyzer structure``, ``analyzer analyze``
  (default: every core), one after the other on a fresh store.

Prints per stage: wall seconds, messages/s, cores busy (CPU seconds of the process tree
over wall seconds; 100% = one core) and the peak RSS of the largest process; then the end
to end rate as a ratio of the floor's and of Perceval's (targets: end to end >= 0.25 of the
floor using both cores). The floor and Perceval only parse; the tool also threads,
segments and analyses, so the ratio says what the whole analysis costs in units of
parsing the mail.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARCHIVE = Path(os.environ.get("MLPA_SHARED", ROOT.parent / "shared")) / "archives" / "kvmarm-columbia-0.git"

from benchmarks.process_tree import run_sampled  # noqa: E402
from analyzer.ingest import publicinbox  # noqa: E402

FLOOR = """
import email, mailbox, sys
count = 0
box = mailbox.mbox(sys.argv[1], create=False)
for key in box.iterkeys():
    parsed = email.message_from_bytes(box.get_bytes(key))
    for part in parsed.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            payload.decode(part.get_content_charset() or "utf-8", "replace")
    count += 1
print(count)
"""

PERCEVAL = """
import sys
from pathlib import Path
from perceval.backends.core.mbox import MBox
count = sum(1 for _ in MBox(uri="bench", dirpath=str(Path(sys.argv[1]).parent)).fetch())
print(count)
"""


@dataclass(frozen=True)
class Stage:
    name: str
    messages: int
    seconds: float
    cpu_seconds: float
    peak_mib: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cores(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds else 0.0


def timed(name: str, command: list[str], messages: int) -> tuple[Stage, str]:
    """Run ``command``: wall time, CPU time of its process tree (the larger of what the
    processes waited for report and of each process's own time sampled every 0.1 s), and
    the peak RSS of its largest process."""
    run = run_sampled(command)
    if run.returncode != 0:
        raise SystemExit(f"{name} exited {run.returncode}: {run.err.strip()[-400:]}")
    # Both are lower bounds: workers their parent never waited for are missing from the
    # first, the last 0.1 s of each process from the second.
    peak = max((rss for _, rss in run.peaks.values()), default=0.0)
    return Stage(name, messages, run.seconds, max(run.waited, sum(run.cpu.values())), peak), run.out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--method", choices=("learned", "rules"), default="learned")
    args = parser.parse_args()
    if not args.archive.exists():
        print(f"no archive at {args.archive}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mail"
        folder.mkdir()
        mbox = folder / "first.mbox"
        publicinbox.write_first_messages(args.archive, args.messages, mbox)
        db = Path(tmp) / "bench.db"
        python = sys.executable
        floor, out = timed("floor: stdlib parse, 1 process", [python, "-c", FLOOR, str(mbox)], 0)
        count = int(out.strip())
        floor = Stage(floor.name, count, floor.seconds, floor.cpu_seconds, floor.peak_mib)
        stages = [floor]
        perceval_stage: Stage | None = None
        if importlib.util.find_spec("perceval") is not None:
            perceval_stage, out = timed("Perceval mbox backend, 1 process", [python, "-c", PERCEVAL, str(mbox)], 0)
            perceval_stage = Stage(perceval_stage.name, int(out.strip()), perceval_stage.seconds,
                                   perceval_stage.cpu_seconds, perceval_stage.peak_mib)
            stages.append(perceval_stage)
        else:
            print("Perceval is not installed (pip install -e '.[bench]'): its row is left out")
        analyzer = [python, "-m", "analyzer"]
        tool = [
            timed("ingest", [*analyzer, "ingest", str(mbox), "--db", str(db), "--no-progress"], count)[0],
            timed("structure", [*analyzer, "structure", "--db", str(db), "--no-progress"], count)[0],
            timed(f"analyze ({args.method})", [*analyzer, "analyze", "--db", str(db), "--method", args.method,
                                                "--no-progress"], count)[0],
        ]
    total = Stage("end to end (ingest + structure + analyze)", count, sum(s.seconds for s in tool),
                  sum(s.cpu_seconds for s in tool), max(s.peak_mib for s in tool))
    print(f"{count} messages, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print("| run | wall (s) | msg/s | vs floor | cores busy | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for s in [*stages, *tool, total]:
        print(f"| {s.name} | {s.seconds:.1f} | {s.rate:.0f} | {s.rate / floor.rate:.3f} | {s.cores:.0%} | {s.peak_mib:.0f} |")
    line = f"end to end / floor = {total.rate / floor.rate:.3f} (target >= 0.25)"
    if perceval_stage is not None:
        line += f"; end to end / Perceval = {total.rate / perceval_stage.rate:.3f}; ingest / Perceval = {tool[0].rate / perceval_stage.rate:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
