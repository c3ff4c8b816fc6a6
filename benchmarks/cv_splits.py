"""Decisions and relations cross-validated over several grouped splits of the 45 annotated
threads (the default split and ``--splits - 1`` shuffled ones, series and topics still
kept together), without sentence vectors: neither head reads them by default, so their
figures are those of ``analyzer eval --cv``, in about 1.5 minutes per split on two cores.
Use it to tell a change of the decision or relation heads from the noise of one split.

    PYTHONPATH=. python benchmarks/cv_splits.py --splits 5
"""

from __future__ import annotations

import argparse
import statistics
import time

from analyzer.analysis.catalogue import load_taxonomy
from analyzer.learn.cv import cross_validate
from analyzer.learn.encoder import NoVectors
from analyzer.learn.folds import grouped_folds, shuffled_folds
from analyzer.learn.workflow import DEFAULT_COMBINATION, RELATION_VECTORS, default_data, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    prepared = prepare(default_data())
    taxonomy = load_taxonomy(None)
    rows = []
    for seed in range(args.splits):
        split = grouped_folds(prepared.corpus, args.folds) if seed == 0 else shuffled_folds(prepared.corpus, args.folds, seed)
        started = time.monotonic()
        result = cross_validate(
            prepared.corpus, prepared.views, NoVectors(), taxonomy=taxonomy, catalogue=prepared.catalogue,
            scoring_ids=prepared.scoring_ids, combination=DEFAULT_COMBINATION, relation_vectors=RELATION_VECTORS,
            folds=split,
        )
        e = result.pooled["learned"]
        rows.append((e.decisions.f1, e.relations.accuracy, e.relations.macro_f1))
        name = "default" if seed == 0 else f"seed {seed}"
        print(f"{name:8s} decisions F1 {rows[-1][0]:.3f}  relations acc {rows[-1][1]:.3f} macro-F1 {rows[-1][2]:.3f}"
              f"  ({time.monotonic() - started:.0f} s)", flush=True)
    means = [statistics.mean(column) for column in zip(*rows)]
    print(f"{'mean':8s} decisions F1 {means[0]:.3f}  relations acc {means[1]:.3f} macro-F1 {means[2]:.3f}")


if __name__ == "__main__":
    main()
