"""Doc extensions the project's components fill, registered once (idempotent).

Components put plain ``Marked`` records on the Doc rather than values on Span objects:
spaCy keys Span extension values by character offsets only, so two labels on one
sentence would overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
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
    contrast: bool = False
    opening: bool = False
    """In the first sentence of its Doc (for reply relations: of the answer block)."""


def register_extensions() -> None:
    for name in EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def doc_text(doc: Doc) -> str:
    """``doc.text``, read once per Doc: spaCy rebuilds it from the tokens on every access."""
    cached = doc.user_data.get("mlpa_text")
    if cached is None:
        cached = doc.user_data["mlpa_text"] = doc.text
    return str(cached)


def text_doc(nlp: Language, text: str) -> Doc:
    """``text`` tokenised, with ``doc_text`` known without rebuilding it (the tokenizer
    keeps every character: the rebuilt text is ``text``)."""
    doc = nlp.make_doc(text)
    doc.user_data["mlpa_text"] = text
    return doc


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) character offsets of the Doc's sentences, computed once per Doc.

    Iterating ``doc.sents`` builds a Python Token object per token; the components each
    need the sentences, so they share this cheaper array-based computation."""
    cached = doc.user_data.get("mlpa_sentence_spans")
    if cached is not None:
        return list(cached)
    if len(doc) == 0:
        return []
    text = doc_text(doc)
    starts = doc.to_array("SENT_START").tolist()
    offsets = doc.to_array("IDX").tolist()
    begins = [offsets[i] for i, start in enumerate(starts) if i == 0 or start == 1]
    ends = begins[1:] + [len(text)]
    # Without the whitespace around it (spaCy keeps a line's indentation and the blank
    # lines before a sentence), so a sentence's first word is at its start: "^" cues and
    # the block's opening sentence depend on it.
    spans = []
    for b, e in zip(begins, ends):
        piece = text[b:e]
        start = b + len(piece) - len(piece.lstrip())
        end = b + len(piece.rstrip())
        if end > start:
            spans.append((start, end))
    doc.user_data["mlpa_sentence_spans"] = spans
    return list(spans)


def marks(doc: Doc, name: str) -> list[Marked]:
    """The marks a component left under ``name`` (empty when it did not run)."""
    value = getattr(doc._, name)
    return list(value) if value else []
