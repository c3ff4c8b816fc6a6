"""Every spaCy factory of the project, registered in this one place.

Names are namespaced and versioned (``mlpa_<what>_v<N>``); a factory only reads its
configuration (file paths, so a pipeline config stays serialisable) and hands the loaded
rules to the component's constructor.
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

from analyzer.analysis.catalogue import Taxonomy, load_taxonomy
from analyzer.errors import ConfigError
from analyzer.nlp.cues import load_cue_book
from analyzer.nlp.position_model import PositionModel
from analyzer.nlp.tagging import CueTagger

DATA = Path(__file__).resolve().parent.parent / "data"
RULES = DATA / "rules"
MODELS = DATA / "models"


def rules_path_of(configured: str | None, default: str) -> Path:
    return Path(configured) if configured else RULES / default


@Language.factory(
    "mlpa_positions_v1",
    default_config={"rules_path": None, "taxonomy_path": None},
    assigns=["doc._.mlpa_claims"],
    requires=["token.is_sent_start"],
)
def make_position_tagger(nlp: Language, name: str, rules_path: str | None, taxonomy_path: str | None) -> CueTagger:
    known = _taxonomy(taxonomy_path).position_ids
    book = load_cue_book(rules_path_of(rules_path, "positions.yaml"), known_labels=known)
    return CueTagger(nlp, name, book=book, extension="mlpa_claims")


@Language.factory(
    "mlpa_position_model_v1",
    default_config={"model_path": None, "threshold": 0.5, "weight": 3.0},
    assigns=["doc._.mlpa_claims"],
    requires=["token.is_sent_start"],
)
def make_position_model(
    nlp: Language, name: str, model_path: str | None, threshold: float, weight: float
) -> PositionModel:
    path = Path(model_path) if model_path else MODELS / "positions"
    if not (path / "meta.json").is_file():
        raise ConfigError(f"{path}: no trained position model; run `analyzer train` first")
    return PositionModel(nlp, name, classifier=spacy.load(path), threshold=threshold, weight=weight)


@Language.factory(
    "mlpa_relation_cues_v1",
    default_config={"rules_path": None, "taxonomy_path": None},
    assigns=["doc._.mlpa_relation_cues"],
    requires=["token.is_sent_start"],
)
def make_relation_tagger(nlp: Language, name: str, rules_path: str | None, taxonomy_path: str | None) -> CueTagger:
    # Relation cues say agree or disagree; mixed and neutral come from weighing them.
    known = [label for label in _taxonomy(taxonomy_path).relations if label in ("agree", "disagree")]
    book = load_cue_book(rules_path_of(rules_path, "relations.yaml"), known_labels=known)
    return CueTagger(nlp, name, book=book, extension="mlpa_relation_cues")


@Language.factory(
    "mlpa_decision_cues_v1",
    default_config={"rules_path": None, "taxonomy_path": None},
    assigns=["doc._.mlpa_decision_cues"],
    requires=["token.is_sent_start"],
)
def make_decision_tagger(nlp: Language, name: str, rules_path: str | None, taxonomy_path: str | None) -> CueTagger:
    known = _taxonomy(taxonomy_path).decision_ids
    book = load_cue_book(rules_path_of(rules_path, "decisions.yaml"), known_labels=known)
    return CueTagger(nlp, name, book=book, extension="mlpa_decision_cues")


@Language.factory(
    "mlpa_behaviours_v1",
    default_config={"catalogue_path": None},
    assigns=["doc.spans"],
)
def make_behaviour_linker(nlp: Language, name: str, catalogue_path: str | None) -> object:
    from analyzer.analysis.catalogue import load_catalogue
    from analyzer.nlp.behaviours import BehaviourLinker

    return BehaviourLinker(nlp, name, catalogue=load_catalogue(Path(catalogue_path) if catalogue_path else None))


def _taxonomy(configured: str | None) -> Taxonomy:
    """The taxonomy the rules are checked against: every label a rule gives must be one of
    its ids, so a rule book and a taxonomy for another debate cannot drift apart."""
    return load_taxonomy(Path(configured) if configured else None)
