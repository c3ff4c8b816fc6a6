"""The learned reading as a ``ThreadReader``: a thread's inputs in, its analysis out, with
the rules' marks as features and a shipped bundle (one per sentence encoder) or a given one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import AnalysisSettings
from analyzer.learn.apply import learned_analysis
from analyzer.errors import ConfigError
from analyzer.learn.encoder import DEFAULT_ENCODER, CachedVectors, NoVectors, sentence_encoder
from analyzer.learn.examples import TextVectors
from analyzer.learn.model import LearnedModels, bundle_dir, load_models
from analyzer.learn.views import view_thread
from analyzer.nlp.annotate import Annotator


class LearnedReader:
    """Reads threads one by one; the sentence-vector memo lives for one thread only."""

    def __init__(
        self,
        annotator: Annotator,
        models: LearnedModels,
        kinds: Mapping[str, str],
        settings: AnalysisSettings = AnalysisSettings(),
        vectors: TextVectors | None = None,
    ) -> None:
        self.annotator = annotator
        self.models = models
        self.kinds = dict(kinds)
        self.settings = settings
        if vectors is None and models.embeddings:
            encoder = sentence_encoder(models.encoder)
            # Loaded now, not at the first sentence: a missing model or package is one
            # error for the run (exit 2), not a failure recorded against every message.
            encoder.encode(["ready"])
            vectors = CachedVectors(encoder)
        self.vectors: TextVectors = vectors or NoVectors()

    def __call__(self, thread: ThreadInput) -> ThreadAnalysis:
        try:
            view = view_thread(thread, self.annotator, self.settings)
            return learned_analysis(view, self.models, self.vectors, self.kinds)
        finally:
            if isinstance(self.vectors, CachedVectors):
                self.vectors.clear()


def learned_reader(
    annotator: Annotator, kinds: Mapping[str, str], models: Path | None = None, *, encoder: str = DEFAULT_ENCODER
) -> LearnedReader:
    """The reader of the bundle at ``models``, else of the packaged bundle trained with
    ``encoder`` (``analyzer/data/models/learned`` for MiniLM, ``learned-static`` for static)."""
    if models is not None:
        return LearnedReader(annotator, load_models(models), kinds)
    directory = bundle_dir(encoder)
    loaded = load_models(directory)
    if loaded.embeddings and loaded.encoder != encoder:
        raise ConfigError(
            f"{directory} was trained with the {loaded.encoder} encoder, not {encoder}; "
            f"rebuild it with `analyzer train --encoder {encoder}`"
        )
    return LearnedReader(annotator, loaded, kinds)
