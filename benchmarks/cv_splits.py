"""Decisions, relations, positions and behaviours cross-validated over several grouped splits of the 45
annotated threads (the default split and ``--splits - 1`` shuffled ones, series and topics
still kept together). Without ``--embeddings`` no sentence vectors are read: neither the
decision nor the relation head reads them by default, so their figures are those of
``analyzer eval --cv``, in about 1.5 minutes per split on two cores, while the positions
figures are those of the rule-and-structure features alone. With ``--embeddings`` (about 6
minutes per split) the positions figures are those of ``analyzer eval --cv`` as well.
Use it to tell a change of a head from the noise of one split.

    PYTHONPATH=. python benchmarks/cv_splits.py --splits 5 [--embeddings] [--encoder static]

``--archive-labels`` adds the project's archive-annotated threads (``corpus/annotated``) to
every fold's training threads (never scored; a fold leaves out those of its held-out threads'
series or topics; they teach the tasks of ``workflow.ARCHIVE_TASKS``), to measure what more
training data does.

``--encoder static`` reads the vectors from the static table distilled from MiniLM
(docs/embeddings.md) instead of MiniLM itself, ``--encoder cascade`` the static gate before
MiniLM (the default reading of ``analyze``); either implies ``--embeddings``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from analyzer.analysis.catalogue import load_taxonomy
from analyzer.learn.cv import cross_validate
from analyzer.learn.encoder import CachedVectors, NoVectors, sentence_encoder
from analyzer.learn.model import READINGS
from analyzer.learn.folds import grouped_folds, shuffled_folds
from analyzer.learn.workflow import ARCHIVE_TASKS, DEFAULT_COMBINATION, RELATION_VECTORS, default_data, default_labelled, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--seeds", default=None,
                        help="comma-separated splits to run instead (0 = the default split, n = shuffled seed n)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--embeddings", action="store_true", help="read sentence vectors (the positions figures of eval --cv)")
    parser.add_argument("--encoder", choices=READINGS, default=None,
                        help="sentence encoder (default minilm; cascade: the static gate before MiniLM; implies --embeddings)")
    parser.add_argument("--archive-labels", action="store_true",
                        help="also train on the archive-annotated threads of corpus/annotated (never scored)")
    args = parser.parse_args()
    prepared = prepare(default_data(), labelled=default_labelled() if args.archive_labels else ())
    if args.archive_labels:
        print(f"training also on {len(prepared.extra)} archive-annotated threads "
              f"({sum(len(t.gold) for t in prepared.extra)} messages)", flush=True)
    taxonomy = load_taxonomy(None)
    embeddings = args.embeddings or args.encoder is not None
    encoder = args.encoder or "minilm"
    vectors = CachedVectors(sentence_encoder("minilm" if encoder == "cascade" else encoder)) if embeddings else NoVectors()
    static = CachedVectors(sentence_encoder("static")) if encoder == "cascade" else None
    rows = []
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else range(args.splits)
    for seed in seeds:
        split = grouped_folds(prepared.corpus, args.folds) if seed == 0 else shuffled_folds(prepared.corpus, args.folds, seed)
        started = time.monotonic()
        result = cross_validate(
            prepared.corpus, prepared.views, vectors, taxonomy=taxonomy, catalogue=prepared.catalogue,
            scoring_ids=prepared.scoring_ids, combination=DEFAULT_COMBINATION, relation_vectors=RELATION_VECTORS,
            folds=split, static=static, extra=prepared.extra, extra_learns=ARCHIVE_TASKS,
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
