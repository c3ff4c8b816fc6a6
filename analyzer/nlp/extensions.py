"""Doc extensions the project's components fill, registered once (idempotent).

Components put plain ``Marked`` records on the Doc rather than values on Span objects:
spaCy keys Span extension values by character offsets only, so two labels on one
sentence would overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

EXTENSIONS = ("mlpa_claims", "mlpa_relation_cues", "mlpa_decision_cues")


@dataclass(frozen=True, slots=True)
class Marked:
    """One cue hit in a Doc: what it says, how strongly, and where (doc character offsets)."""

    label: str
    stance: str
    weight: float
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    cue_id: str
    roles: tuple[str, ...] = ()
    answer: bool = False


def register_extensions() -> None:
    for name in EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def marks(doc: Doc, name: str) -> list[Marked]:
    """The marks a component left under ``name`` (empty when it did not run)."""
    value = getattr(doc._, name)
    return list(value) if value else []
