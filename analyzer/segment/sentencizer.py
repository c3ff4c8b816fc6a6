"""Sentence spans of a piece of text (a quoted source span, an own-text block), with
spaCy's rule-based sentencizer: no model download, the same splits everywhere.

Mail paragraphs often end without a full stop ("Thanks,", a pasted log line), so a
blank line always ends a sentence too.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n")


@lru_cache(maxsize=1)
def default_sentencizer() -> Language:
    """A blank English pipeline with only the sentencizer, built once per process."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentences(text: str, *, nlp: Language | None = None) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text``, whitespace trimmed,
    in order. ``nlp`` is any pipeline that sets sentence boundaries."""
    pipeline = nlp if nlp is not None else default_sentencizer()
    paragraphs = _paragraphs(text)
    spans: list[tuple[int, int]] = []
    for (offset, _), doc in zip(paragraphs, pipeline.pipe(part for _, part in paragraphs)):
        for sentence in doc.sents:
            span = _trimmed(text, offset + sentence.start_char, offset + sentence.end_char)
            if span is not None:
                spans.append(span)
    return spans


def _paragraphs(text: str) -> list[tuple[int, str]]:
    parts: list[tuple[int, str]] = []
    start = 0
    for gap in _PARAGRAPH_BREAK.finditer(text):
        parts.append((start, text[start : gap.start()]))
        start = gap.end()
    parts.append((start, text[start:]))
    return [(offset, part) for offset, part in parts if part.strip()]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
