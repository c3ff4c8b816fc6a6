"""The two sentence encoders side by side on the real archive: MiniLM (onnxruntime, int8)
and the static table distilled from it (model2vec), in one process on the same messages.

Reads the first threads of an ingested, structured store until ``--messages`` messages
(default 2,000), then for each encoder:

- the learned reading of those threads (``analyze``'s work without the writing) with a
  bundle trained with that encoder, in CPU seconds of this process: messages per
  CPU-second; the rules alone are timed too, as the floor the learned reading adds to;
- the bare encoding of exactly the sentences that reading encoded: sentences per second
  (CPU), and how close the two encoders' similarity structures are (the Spearman
  correlation of the pairwise cosines of a sample).

The MiniLM bundle is the packaged one unless it was trained with the static encoder; the
static bundle is ``--static-models DIR`` or, when not given, trained into a temporary
folder first (``analyzer train --encoder static --no-cv``: about two minutes).

    .venv/bin/analyzer ingest ../shared/archives/kvmarm-columbia-0.git --db /tmp/archive.db
    .venv/bin/analyzer structure --db /tmp/archive.db
    nice -n 10 .venv/bin/python benchmarks/bench_encoders.py --db /tmp/archive.db [--static-models DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.inputs import ThreadInput, previous_versions
from analyzer.analysis.thread import ThreadReader, rules_reader
from analyzer.learn.encoder import CachedVectors, Encoder, sentence_encoder
from analyzer.learn.model import MODEL_DIR, LearnedModels, load_models
from analyzer.learn.reader import LearnedReader
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from analyzer.store.db import Store
from analyzer.store.structure import author_ids, load_series, load_threads
from analyzer.stored_threads import thread_input


class Recording:
    """An encoder that remembers every text it was asked for."""

    def __init__(self, encoder: Encoder) -> None:
        self.inner = encoder
        self.name = encoder.name
        self.dimension = encoder.dimension
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="an ingested and structured store of the archive")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--static-models", type=Path, help="a bundle trained with --encoder static")
    parser.add_argument("--sample", type=int, default=1500, help="sentences for the similarity comparison")
    args = parser.parse_args()
    store = Store.open(args.db)
    if store.count("messages") == 0:
        print(f"{args.db}: no messages; ingest and structure the archive first (see --help)", file=sys.stderr)
        return 2
    inputs = _inputs(store, args.messages)
    messages = sum(len(i.messages) for i in inputs)
    print(f"{len(inputs)} threads, {messages} messages; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    annotator = Annotator(build_pipeline(PipelineSettings()))
    kinds = {b.id: b.kind for b in load_catalogue(None)}
    bundles = {"minilm": load_models(MODEL_DIR)}
    if bundles["minilm"].encoder != "minilm":
        print(f"{MODEL_DIR} was trained with {bundles['minilm'].encoder}; give a MiniLM bundle", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        bundles["static"] = _static_bundle(args.static_models, Path(tmp))
        rules = _cpu_seconds(rules_reader(annotator), inputs)
        print(f"rules alone     : {messages / rules:7.1f} msg per CPU-second ({rules:.1f} CPU-s)")
        encoded: dict[str, list[str]] = {}
        for name, models in bundles.items():
            recording = Recording(sentence_encoder(name))
            reader = LearnedReader(annotator, models, kinds, vectors=CachedVectors(recording))
            seconds = _cpu_seconds(reader, inputs)
            encoded[name] = recording.texts
            print(
                f"learned, {name:6}: {messages / seconds:7.1f} msg per CPU-second ({seconds:.1f} CPU-s, "
                f"{len(recording.texts)} sentences encoded; {seconds - rules:.1f} CPU-s over the rules)"
            )
        texts = encoded["minilm"]
        vectors: dict[str, np.ndarray] = {}
        rates: dict[str, float] = {}
        for name in bundles:
            encoder = sentence_encoder(name)
            encoder.encode(texts[:8])  # load the model outside the timing
            started = time.process_time()
            vectors[name] = encoder.encode(texts)
            seconds = time.process_time() - started
            rates[name] = len(texts) / seconds
            print(f"encoding, {name:6}: {rates[name]:9.0f} sentences per CPU-second ({len(texts)} sentences, {seconds:.2f} CPU-s)")
        print(f"static / minilm : {rates['static'] / rates['minilm']:.0f}x the sentences per CPU-second")
        print(f"similarity structure: Spearman {_agreement(vectors['minilm'], vectors['static'], args.sample):.3f} "
              f"between the two encoders' pairwise cosines ({min(args.sample, len(texts))} sentences)")
    return 0


def _inputs(store: Store, wanted: int) -> list[ThreadInput]:
    authors = author_ids(store)
    previous = previous_versions(load_series(store))
    inputs: list[ThreadInput] = []
    total = 0
    for thread in load_threads(store):
        if total >= wanted:
            break
        one = thread_input(store, thread, authors=authors, roles_known=False, previous=previous)
        inputs.append(one)
        total += len(one.messages)
    return inputs


def _static_bundle(given: Path | None, tmp: Path) -> LearnedModels:
    if given is not None:
        models = load_models(given)
    else:
        from analyzer.learn.workflow import Method, default_data, prepare, train_bundle

        started = time.perf_counter()
        models = train_bundle(prepare(default_data()), Method(encoder="static"), output=tmp / "static")
        print(f"trained a static bundle in {time.perf_counter() - started:.0f} s")
    if models.encoder != "static":
        raise SystemExit(f"{given}: trained with {models.encoder}, not static")
    return models


def _cpu_seconds(read: ThreadReader | LearnedReader, inputs: Sequence[ThreadInput]) -> float:
    started = time.process_time()
    for one in inputs:
        read(one)
    return time.process_time() - started


def _agreement(a: np.ndarray, b: np.ndarray, sample: int) -> float:
    """Spearman correlation of the upper-triangle cosines of the first ``sample`` rows."""
    n = min(sample, len(a))
    upper = np.triu_indices(n, 1)
    x, y = (a[:n] @ a[:n].T)[upper], (b[:n] @ b[:n].T)[upper]
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1])


if __name__ == "__main__":
    raise SystemExit(main())
