"""The cue-tagging components: positions, reply-relation cues and decision cues.

Each is the same mechanism — a CueBook scanned sentence by sentence — writing its marks
to its own Doc extension, so each can be swapped for a trained component on its own.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from analyzer.nlp.cues import CueBook
from analyzer.nlp.extensions import (
    Marked,
    doc_text,
    register_extensions,
    sentence_spans,
)


class CueTagger:
    """Marks every cue hit of a rule book in each sentence of the Doc."""

    def __init__(self, nlp: Language, name: str, *, book: CueBook, extension: str) -> None:
        register_extensions()
        self.name = name
        self.book = book
        self.extension = extension

    def __call__(self, doc: Doc) -> Doc:
        found: list[Marked] = []
        text = doc_text(doc)
        for index, (start, end) in enumerate(sentence_spans(doc)):
            for hit in self.book.scan(text[start:end], opening=index == 0):
                found.append(
                    Marked(
                        label=hit.label,
                        stance=hit.stance,
                        weight=hit.weight,
                        start=start + hit.start,
                        end=start + hit.end,
                        sentence_start=start,
                        sentence_end=end,
                        cue_id=hit.cue.id,
                        roles=hit.cue.roles,
                        answer=hit.cue.answer,
                        contrast=hit.cue.contrast,
                        opening=index == 0,
                    )
                )
        setattr(doc._, self.extension, found)
        return doc
