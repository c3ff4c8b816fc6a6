"""Training targets read from gold lines: per message, per sentence, per candidate.

Sentence targets for positions come from the annotators' notes where they can: a note
quotes the words that carry the label ("quotes at most 12 words"), so the sentence holding
the quote is the positive one; lacking a quote, every sentence of the message is (a noisy
bag that the model learns to read through).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.analysis.gold import GoldLine
from analyzer.learn.views import Sentence

_QUOTED = re.compile(r"[“\"]([^”\"]{6,})[”\"]")
_WORD = re.compile(r"[a-z0-9_']+")
KEY_OVERLAP = 0.7
"""Share of a quote's words a sentence must hold to be the one the note quotes."""


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def key_sentences(sentences: Sequence[Sentence], note: str) -> list[bool]:
    """Which sentences the note quotes."""
    quotes = [w for w in (_words(q) for q in _QUOTED.findall(note)) if len(w) >= 2]
    keys = []
    for s in sentences:
        words = _words(s.text)
        keys.append(any(len(q & words) / len(q) >= KEY_OVERLAP for q in quotes))
    return keys


def sentence_targets(sentences: Sequence[Sentence], gold: GoldLine) -> list[dict[str, str]]:
    """Per sentence, the positions (id -> stance) it is taken to argue."""
    keys = key_sentences(sentences, gold.note)
    any_key = any(keys)
    positions = dict(gold.positions)
    return [dict(positions) if (key or not any_key) else {} for key in keys]
