"""Bring threads annotated from a public-inbox archive into the project as labels only.

An annotator writes gold-format lines (``../shared/gold/FORMAT.md``; notes quote the key
words “like this”) for a thread of an archive in ``../shared/archives``. This keeps what the
project may hold: each line gets the archive commit of its message, and the note's quotes
become word marks (``analyzer/learn/archive_labels.py``); no mail text is written.

    .venv/bin/python scripts/import_annotations.py --archive ../shared/archives/kvmarm-columbia-0.git NAME.gold.jsonl...

writes ``corpus/annotated/kvmarm-columbia-0/NAME.labels.jsonl`` and reads every thread back
from the archive to check it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analyzer.analysis.gold import dump_lines, read_lines
from analyzer.errors import AnalyzerError
from analyzer.learn.archive_labels import ANNOTATED, labels_line, message_commits, read_labelled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, required=True, help="the public-inbox archive (a bare git epoch) the threads come from")
    parser.add_argument("gold", type=Path, nargs="+", help="annotated threads: NAME.gold.jsonl (gold format)")
    args = parser.parse_args(argv)
    try:
        out = ANNOTATED / args.archive.name.removesuffix(".git")
        annotated = {path: read_lines(path) for path in args.gold}
        commits = message_commits(args.archive, [line.message_id for lines in annotated.values() for line in lines])
        out.mkdir(parents=True, exist_ok=True)
        for path, lines in annotated.items():
            target = out / (path.name.removesuffix(".gold.jsonl") + ".labels.jsonl")
            target.write_text("".join(text + "\n" for text in dump_lines(labels_line(line, commits[line.message_id]) for line in lines)))
        threads = read_labelled(out, args.archive.resolve().parent.parent)
    except AnalyzerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(annotated)} threads imported into {out}; {len(threads)} threads there read back from the archive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
