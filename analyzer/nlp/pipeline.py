"""Assemble the project's spaCy pipeline from ``spacy.blank("en")`` and its own components."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

import analyzer.nlp.factories  # noqa: F401  (registers the factories)
from analyzer.nlp.extensions import register_extensions


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    catalogue: Path | None = None
    """Behaviour catalogue YAML; None: the packaged copy."""
    rules_dir: Path | None = None
    """Directory with positions.yaml, relations.yaml, decisions.yaml; None: packaged."""
    behaviours: bool = True


def build_pipeline(settings: PipelineSettings = PipelineSettings()) -> Language:
    """A blank English pipeline with a sentencizer and the project's components."""
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    rules = settings.rules_dir

    def rule(name: str) -> dict[str, str | None]:
        return {"rules_path": str(rules / name) if rules else None}

    nlp.add_pipe("mlpa_positions_v1", config=rule("positions.yaml"))
    nlp.add_pipe("mlpa_relation_cues_v1", config=rule("relations.yaml"))
    nlp.add_pipe("mlpa_decision_cues_v1", config=rule("decisions.yaml"))
    if settings.behaviours:
        nlp.add_pipe(
            "mlpa_behaviours_v1",
            config={"catalogue_path": str(settings.catalogue) if settings.catalogue else None},
        )
    return nlp
