"""Training targets read from gold lines: per message, per sentence, per candidate.

Sentence targets for positions come from the annotators' notes where they can: a note
quotes the words that carry the label ("quotes at most 12 words"), so the sentence holding
the quote is the positive one; lacking a quote, every sentence of the message is (a noisy
bag that the model learns to read through). A line of the project's archive-annotated
threads keeps its quotes as word marks (``archive_labels``), matched the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.analysis.gold import GoldLine
from analyzer.learn.archive_labels import evidence, quotes, word_mark, words
from analyzer.learn.views import Sentence

KEY_OVERLAP = 0.7
"""Share of a quote's words a sentence must hold to be the one the note quotes."""


def _words(text: str) -> set[str]:
    return set(words(text))


def key_sentences(sentences: Sequence[Sentence], gold: GoldLine) -> list[bool]:
    """Which sentences the note quotes (by the words, or by their marks)."""
    marks = evidence(gold)
    if marks:
        wanted = [q for q in marks if len(q) >= 2]
        held = [{word_mark(w) for w in _words(s.text)} for s in sentences]
    else:
        wanted = [w for w in (_words(q) for q in quotes(gold.note)) if len(w) >= 2]
        held = [_words(s.text) for s in sentences]
    return [any(len(q & h) / len(q) >= KEY_OVERLAP for q in wanted) for h in held]


def sentence_targets(sentences: Sequence[Sentence], gold: GoldLine) -> list[dict[str, str]]:
    """Per sentence, the positions (id -> stance) it is taken to argue."""
    keys = key_sentences(sentences, gold)
    any_key = any(keys)
    positions = dict(gold.positions)
    return [dict(positions) if (key or not any_key) else {} for key in keys]
