"""The built catalogue against the hand-curated one, in the same run: size, load and
linker-build time, linking speed on real own text, and what the real threads link.

    .venv/bin/python benchmarks/catalogue_links.py [--messages 2000] [--archive PATH]

"before" is analyzer/data/behaviours_curated.yaml (the hand catalogue, as the linker would
read it alone) or the catalogue given with --before; "after" is the shipped analyzer/data/behaviours.yaml (the kernel source
merged with it, docs/catalogue.md). Speed is words per second of MentionFinder.find over
the own text of the first N messages of the public-inbox archive; the ratios after/before
are what to compare across machines. Gap lines named: lines of
../shared/silver/catalogue-gaps.md whose name column links a catalogue entry. Linked names: distinct (message, id) pairs over the
own text of the 45 real threads (../shared/gold and ../shared/silver), split into ids of
the shared catalogue (the ones the gold labels use) and ids only the project has.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.analysis.catalogue import PACKAGED_DATA, Catalogue, load_catalogue, load_link_rules  # noqa: E402
from analyzer.nlp.behaviours import MentionFinder  # noqa: E402
from benchmarks.behaviour_quality import archive_texts, own_text_reader, read_messages  # noqa: E402

SHARED = ROOT.parent / "shared"


def timed_load(path: Path) -> tuple[Catalogue, float, MentionFinder, float]:
    started = time.perf_counter()
    catalogue = load_catalogue(path)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    finder = MentionFinder(catalogue, load_link_rules())
    return catalogue, loaded, finder, time.perf_counter() - started


def link_speed(finder: MentionFinder, texts: list[str], rounds: int = 3) -> tuple[float, int]:
    """Best of ``rounds`` passes (the first pass also warms the regex caches)."""
    words = sum(len(text.split()) for text in texts)
    best = float("inf")
    found = 0
    for _ in range(rounds):
        started = time.perf_counter()
        found = sum(len(finder.find(text)) for text in texts)
        best = min(best, time.perf_counter() - started)
    return words / best, found


def thread_links(finder: MentionFinder, shared_ids: frozenset[str]) -> tuple[int, int, int]:
    """(pairs with shared ids, pairs with project-only ids, distinct project-only ids)."""
    _, own_text = own_text_reader()
    shared: set[tuple[str, str]] = set()
    own: set[tuple[str, str]] = set()
    for mbox in sorted([*SHARED.glob("gold/*.mbox"), *SHARED.glob("silver/*.mbox")]):
        for message in read_messages(mbox):
            for _, text in own_text(message):
                for found in finder.find(text):
                    if found.kind == "behaviour":
                        pair = (message.message_id, found.target)
                        (shared if found.target in shared_ids else own).add(pair)
    return len(shared), len(own), len({target for _, target in own})


def gaps_named(finder: MentionFinder) -> int:
    """Lines of ../shared/silver/catalogue-gaps.md (behaviours real threads argue about that
    the shared catalogue lacks) whose name column names a catalogue entry."""
    path = SHARED / "silver" / "catalogue-gaps.md"
    names = [line[2:].split(" | ")[1] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("- ")]
    return sum(1 for name in names if any(f.kind == "behaviour" for f in finder.find(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="archive messages for the speed test")
    parser.add_argument("--archive", type=Path, default=SHARED / "archives" / "kvmarm-columbia-0.git")
    parser.add_argument(
        "--before", type=Path, default=PACKAGED_DATA / "behaviours_curated.yaml",
        help="catalogue to compare with (default: the curated file alone; e.g. an older behaviours.yaml)",
    )
    args = parser.parse_args()
    texts = archive_texts(args.archive, args.messages)
    shared_ids = load_catalogue(SHARED / "behaviours.yaml").ids
    rows = {}
    for label, path in (("before", args.before), ("after", PACKAGED_DATA / "behaviours.yaml")):
        catalogue, load, finder, build = timed_load(path)
        words_per_s, found = link_speed(finder, texts)
        rows[label] = {
            "entries": len(catalogue),
            "file kB": path.stat().st_size / 1024,
            "load s": load,
            "linker build s": build,
            "link words/s": words_per_s,
            "mentions in archive text": found,
            "gap lines named": gaps_named(finder),
            **dict(zip(("thread pairs, shared ids", "thread pairs, project ids", "project ids linked"), thread_links(finder, shared_ids))),
        }
    print(f"{len(texts)} own-text blocks of the first {args.messages} archive messages\n")
    print(f"{'':28} {'before':>12} {'after':>12} {'after/before':>13}")
    for key in rows["before"]:
        before, after = rows["before"][key], rows["after"][key]
        ratio = f"{after / before:13.2f}" if before else f"{'-':>13}"
        print(f"{key:28} {before:12,.2f} {after:12,.2f} {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
