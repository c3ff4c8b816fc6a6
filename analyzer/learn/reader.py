"""The learned reading as a ``ThreadReader``: a thread's inputs in, its analysis out, with
the rules' marks as features and a shipped bundle (one per sentence encoder, and the cascade
of the two) or a given one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import AnalysisSettings
from analyzer.learn.apply import learned_analysis
from analyzer.errors import ConfigError
from analyzer.learn.cascade import SentenceGate, position_heads
from analyzer.learn.encoder import CachedVectors, NoVectors, sentence_encoder
from analyzer.learn.examples import TextVectors
from analyzer.learn.model import DEFAULT_READING, READINGS, LearnedModels, bundle_dir, load_models, static_beside
from analyzer.learn.views import view_thread
from analyzer.nlp.annotate import Annotator


MEMO_TEXTS = 20_000
"""Sentence vectors a reader remembers from thread to thread, per encoder (the texts used
last; about 35 MB for MiniLM's, 25 MB for the static table's). A series' versions repeat
their cover letter, replies repeat stock sentences: over the first 4,000 messages of the
kvmarm archive in one process, 2% of MiniLM's texts and 8% of the static table's."""


def _ready_vectors(encoder: str) -> CachedVectors:
    chosen = sentence_encoder(encoder)
    # Loaded now, not at the first sentence: a missing model or package is one error for
    # the run (exit 2), not a failure recorded against every message.
    chosen.encode(["ready"])
    return CachedVectors(chosen, keep=MEMO_TEXTS)


class LearnedReader:
    """Reads threads one by one; the sentence-vector memos keep the texts used last
    (``MEMO_TEXTS``; one given without a limit is emptied after each thread)."""

    def __init__(
        self,
        annotator: Annotator,
        models: LearnedModels,
        kinds: Mapping[str, str],
        settings: AnalysisSettings = AnalysisSettings(),
        vectors: TextVectors | None = None,
        gate: SentenceGate | None = None,
    ) -> None:
        self.annotator = annotator
        self.models = models
        self.kinds = dict(kinds)
        self.settings = settings
        self.gate = gate
        if vectors is None and models.embeddings:
            vectors = _ready_vectors(models.encoder)
        self.vectors: TextVectors = vectors or NoVectors()

    def __call__(self, thread: ThreadInput) -> ThreadAnalysis:
        try:
            view = view_thread(thread, self.annotator, self.settings)
            return learned_analysis(view, self.models, self.vectors, self.kinds, self.gate)
        finally:
            for memo in (self.vectors, self.gate.vectors if self.gate else None):
                if isinstance(memo, CachedVectors):
                    memo.forget()


def static_gate(static: LearnedModels, gate: float, vectors: TextVectors | None = None) -> SentenceGate:
    """The cascade's gate from the static bundle's position heads."""
    if not static.embeddings or static.encoder != "static":
        raise ConfigError(f"the cascade's gate needs a bundle trained with the static encoder, not {static.encoder}")
    return SentenceGate(position_heads(static.heads), static.prototypes, vectors or _ready_vectors("static"), gate)


def bundle_gate(directory: Path | None = None) -> float | None:
    """The gate stored in the MiniLM bundle (by ``analyzer train``); None for a bundle
    trained without sentence vectors, which the cascade reads as it is."""
    directory = directory or bundle_dir("cascade")
    models = load_models(directory)
    gate = models.gate
    if gate is None and models.embeddings:
        raise ConfigError(f"{directory} holds no cascade gate; rebuild it with `analyzer train` (--encoder cascade)")
    return gate


def learned_reader(
    annotator: Annotator,
    kinds: Mapping[str, str],
    models: Path | None = None,
    *,
    encoder: str = DEFAULT_READING,
    gate: float | None = None,
) -> LearnedReader:
    """The reader of the bundle at ``models``, else of the packaged bundle of ``encoder``
    (``analyzer/data/models/learned`` for MiniLM, ``learned-static`` for static; the cascade
    reads the first with the second's position heads as its gate). ``gate`` replaces the
    bundle's gate (the workers are handed the driver's)."""
    if encoder not in READINGS:
        raise ConfigError(f"unknown reading {encoder!r}: use one of {', '.join(READINGS)}")
    if models is not None and encoder != "cascade":
        return LearnedReader(annotator, load_models(models), kinds)
    directory = models or bundle_dir(encoder)
    loaded = load_models(directory)
    wanted = "minilm" if encoder == "cascade" else encoder
    if loaded.embeddings and loaded.encoder != wanted:
        raise ConfigError(
            f"{directory} was trained with the {loaded.encoder} encoder, not {wanted}; "
            f"rebuild it with `analyzer train --encoder {encoder}`"
        )
    if encoder != "cascade" or not loaded.embeddings:
        return LearnedReader(annotator, loaded, kinds)  # a bundle without vectors needs no gate
    value = gate if gate is not None else loaded.gate
    if value is None:
        raise ConfigError(f"{directory} holds no cascade gate; rebuild it with `analyzer train` (--encoder cascade)")
    return LearnedReader(annotator, loaded, kinds, gate=static_gate(load_models(static_beside(directory)), value))
