"""Assemble the project's spaCy pipeline from ``spacy.blank("en")`` and its own components."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import spacy
from spacy.language import Language

import analyzer.nlp.factories  # noqa: F401  (registers the factories)
from analyzer.nlp.extensions import register_extensions


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    catalogue: Path | None = None
    """Behaviour catalogue YAML; None: the packaged copy."""
    taxonomy: Path | None = None
    """Taxonomy YAML the cue rules' labels are checked against; None: the packaged copy."""
    rules_dir: Path | None = None
    """Directory with positions.yaml, relations.yaml, decisions.yaml; None: packaged."""
    behaviours: bool = True
    positions: Literal["rules", "model", "both"] = "rules"
    """Where claims come from: the cue rules, the trained sentence classifier, or both."""
    model_dir: Path | None = None
    """The trained position classifier; None: the packaged one."""


def build_pipeline(settings: PipelineSettings = PipelineSettings()) -> Language:
    """A blank English pipeline with a sentencizer and the project's components."""
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    rules = settings.rules_dir

    taxonomy = str(settings.taxonomy) if settings.taxonomy else None

    def rule(name: str) -> dict[str, str | None]:
        return {"rules_path": str(rules / name) if rules else None, "taxonomy_path": taxonomy}

    if settings.positions in ("rules", "both"):
        nlp.add_pipe("mlpa_positions_v1", config=rule("positions.yaml"))
    if settings.positions in ("model", "both"):
        nlp.add_pipe("mlpa_position_model_v1", config={"model_path": str(settings.model_dir) if settings.model_dir else None})
    nlp.add_pipe("mlpa_relation_cues_v1", config=rule("relations.yaml"))
    nlp.add_pipe("mlpa_decision_cues_v1", config=rule("decisions.yaml"))
    if settings.behaviours:
        nlp.add_pipe(
            "mlpa_behaviours_v1",
            config={"catalogue_path": str(settings.catalogue) if settings.catalogue else None},
        )
    return nlp


ANALYSIS_REVISION = "6"
"""Bumped whenever the analysis code (not only its data files) changes what it outputs, so
`analyzer analyze` re-analyses stored threads."""


def pipeline_fingerprint(settings: PipelineSettings, *, extra: tuple[Path, ...] = ()) -> str:
    """Changes whenever the analysis could give other results: the package version, the
    rule files, the catalogue and any other file named in ``extra``."""
    from importlib.metadata import PackageNotFoundError, version

    from analyzer.nlp.factories import DATA, RULES

    try:
        digest = hashlib.sha256(version("mlpa-analyzer").encode())
    except PackageNotFoundError:
        digest = hashlib.sha256(b"dev")
    digest.update(ANALYSIS_REVISION.encode())
    rules = settings.rules_dir or RULES
    files = [rules / n for n in ("positions.yaml", "relations.yaml", "decisions.yaml")]
    files.append(settings.catalogue or DATA / "behaviours.yaml")
    files.append(settings.taxonomy or DATA / "taxonomy.yaml")
    if settings.positions != "rules":
        digest.update(settings.positions.encode())
        model = settings.model_dir or DATA / "models" / "positions"
        files += sorted(p for p in model.rglob("*") if p.is_file())
    for path in (*files, *extra):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:24]
