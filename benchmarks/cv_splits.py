"""Decisions, relations, positions and behaviours cross-validated over several grouped splits of the 45
annotated threads (the default split and ``--splits - 1`` shuffled ones, series and topics
still kept together). Without ``--embeddings`` no sentence vectors are read: neither the
decision nor the relation head reads them by default, so their figures are those of
``analyzer eval --cv``, in about 1.5 minutes per split on two cores, while the positions
figures are those of the rule-and-structure features alone. With ``--embeddings`` (about 6
minutes per split) the positions figures are those of ``analyzer eval --cv`` as well.
Use it to tell a change of a head from the noise of one split. Folds run on every core
(``--jobs``), every sentence encoded once for all splits.

    PYTHONPATH=. python benchmarks/cv_splits.py --splits 5 [--embeddings] [--encoder static]

``--archive-labels`` adds the project's archive-annotated threads (``corpus/annotated``) to
every fold's training threads (never scored; a fold leaves out those of its held-out threads'
series or topics; they teach each task at the weight of ``workflow.ARCHIVE_WEIGHTS``, or
``--weight TASK=W`` instead, 0 not teaching it), to measure what more training data does.

``--encoder static`` reads the vectors from the static table distilled from MiniLM
(docs/embeddings.md) instead of MiniLM itself, ``--encoder cascade`` the static gate before
MiniLM (the default reading of ``analyze``); either implies ``--embeddings``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from analyzer.learn.folds import grouped_folds, shuffled_folds
from analyzer.learn.model import READINGS
from analyzer.learn.training import TASKS
from analyzer.learn.workflow import ARCHIVE_WEIGHTS, RELATION_VECTORS, Method, default_data, default_labelled, prepare, run_cross_validation
from analyzer.workers import local_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--seeds", default=None,
                        help="comma-separated splits to run instead (0 = the default split, n = shuffled seed n)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--embeddings", action="store_true", help="read sentence vectors (the positions figures of eval --cv)")
    parser.add_argument("--encoder", choices=READINGS, default=None,
                        help="sentence encoder (default minilm; cascade: the static gate before MiniLM; implies --embeddings)")
    parser.add_argument("--relation-vectors", action="store_true",
                        help="the relation head also reads sentence vectors of a reply's openings and the quotes "
                             "they answer (workflow.RELATION_VECTORS; implies --embeddings)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="processes for the folds (0: every core)")
    parser.add_argument("--weight", action="append", default=[], metavar="TASK=W",
                        help="with --archive-labels: what a row of the archive threads weighs for TASK "
                             "(0: not taught); workflow.ARCHIVE_WEIGHTS for the tasks not given")
    parser.add_argument("--archive-labels", action="store_true",
                        help="also train on the archive-annotated threads of corpus/annotated (never scored)")
    parser.add_argument("--labelled", type=Path, action="append", default=[],
                        help="with --archive-labels: this labels folder (named after its archive) instead of corpus/annotated's")
    args = parser.parse_args()
    weights = dict(ARCHIVE_WEIGHTS)
    for given in args.weight:
        task, _, weight = given.partition("=")
        try:
            weights[task.strip()] = float(weight)
        except ValueError:
            parser.error(f"--weight {given}: give TASK=W, W a number")
    if set(weights) - TASKS or args.jobs < 0 or any(w < 0 for w in weights.values()):
        parser.error(f"--weight takes some of {', '.join(sorted(TASKS))}, W 0 or more; --jobs 0 or more")
    labelled = (args.labelled or default_labelled()) if args.archive_labels else ()
    prepared = prepare(default_data(), labelled=labelled)
    if args.archive_labels:
        print(f"training also on {len(prepared.extra)} archive-annotated threads "
              f"({sum(len(t.gold) for t in prepared.extra)} messages)", flush=True)
    embeddings = args.embeddings or args.encoder is not None or args.relation_vectors
    if args.archive_labels:
        print("archive weights: " + ", ".join(f"{t} {w:g}" for t, w in sorted(weights.items())), flush=True)
    method = Method(
        embeddings=embeddings, encoder=args.encoder or "minilm", archive_weights=weights,
        relation_vectors=args.relation_vectors or RELATION_VECTORS,
    )
    reading = method.reading()  # one memo for every split
    rows = []
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else range(args.splits)
    for seed in seeds:
        split = grouped_folds(prepared.corpus, args.folds) if seed == 0 else shuffled_folds(prepared.corpus, args.folds, seed)
        started = time.monotonic()
        result = run_cross_validation(
            prepared, method, split=split, reading=reading, jobs=args.jobs or local_cores(),
        )
        e = result.pooled["learned"]
        by = result.pooled_by_source
        rules = result.pooled["rules"]
        rows.append((
            e.decisions.f1, e.relations.accuracy, e.relations.macro_f1, e.positions.f1,
            e.behaviours.f1, e.behaviours.precision, e.behaviours.recall, rules.behaviours.f1,
            *(by[source]["learned"].positions.f1 for source in ("silver", "gold") if source in by),
        ))
        name = "default" if seed == 0 else f"seed {seed}"
        print(f"{name:8s} {_figures(rows[-1])}  ({time.monotonic() - started:.0f} s)", flush=True)
    means = tuple(statistics.mean(column) for column in zip(*rows))
    print(f"{'mean':8s} {_figures(means)}")


def _figures(row: tuple[float, ...]) -> str:
    text = f"decisions F1 {row[0]:.3f}  relations acc {row[1]:.3f} macro-F1 {row[2]:.3f}  positions F1 {row[3]:.3f}"
    text += f" (silver {row[8]:.3f}, gold {row[9]:.3f})" if len(row) == 10 else ""
    return text + f"  behaviours F1 {row[4]:.3f} (P {row[5]:.3f} / R {row[6]:.3f}; rules {row[7]:.3f})"


if __name__ == "__main__":
    main()
