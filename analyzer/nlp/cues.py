"""Cue rules: regular expressions from a data file that mark what a sentence argues.

Pure Python over plain strings (no spaCy types), so the rules can be tested, counted and
reused by the position, relation and decision components alike. A rule file has
``shorthands`` (named sub-patterns written ``{NAME}`` inside patterns), a ``negation``
section and a list of ``cues``; see ``analyzer/data/rules/positions.yaml``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analyzer.errors import ConfigError

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|n't", re.IGNORECASE)
_SHORTHAND = re.compile(r"\{([A-Z]+)\}")
_BUT = re.compile(r"\b(?:but|however|yet|still)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Cue:
    id: str
    label: str
    """What a hit means: a position id, a relation label or a decision kind."""
    stance: str
    weight: float
    regex: re.Pattern[str]
    fixed: bool = False
    """The wording already carries the polarity: negation does not flip it."""
    roles: tuple[str, ...] = ()
    """Decision cues only: author roles the cue applies to (empty: anyone)."""
    answer: bool = False
    """A bare yes/no: agreement only when the quote it answers is not a question."""
    contrast: bool = False
    """A contrastive opener ("But ...", "Well ..."): light disagreement, read as elaboration
    when the block it is in opened by agreeing ("Right. ... But on x86 we ...")."""
    opening: bool = False
    """Only in the first sentence of a block: an answer's opening words ("That would break
    ...", "But ...") speak to the quote above; the same words later speak to the author's own
    previous sentence."""


@dataclass(frozen=True, slots=True)
class CueHit:
    cue: Cue
    start: int
    end: int
    stance: str
    """The cue's stance after negation."""
    weight: float

    @property
    def label(self) -> str:
        return self.cue.label


@dataclass(frozen=True, slots=True)
class Negation:
    window: int
    before: frozenset[str]
    before_phrases: tuple[str, ...]
    after: re.Pattern[str] | None
    boundary: re.Pattern[str]
    hedges: frozenset[str] = frozenset()
    """Words that make a cue in their clause conditional, so it says nothing yet."""
    conditional_openings: frozenset[str] = frozenset()
    """Words that, opening a sentence, make every cue in it conditional: "If you can show a
    guest that breaks, then I agree" agrees with nothing yet."""
    assumed: re.Pattern[str] | None = None
    """Openings that only check understanding ("If so, ...", "If I read this right, ..."):
    the sentence still says what it says."""
    concession: re.Pattern[str] | None = None
    """A sentence opening that concedes ("Sure, ...", "Granted, ...") before a "but": what
    is conceded weighs half, the point after the "but" in full."""


@dataclass(frozen=True, slots=True)
class CueBook:
    cues: tuple[Cue, ...]
    negation: Negation
    question_factor: float = 0.5
    screen: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    """Every cue's pattern as one alternation (``any_cue``): most sentences match no cue,
    and one pass over them is about half the cost of one pass per cue."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "screen", any_cue(self.cues))

    def scan(self, sentence: str, *, opening: bool = True) -> list[CueHit]:
        """Every cue hit in one sentence, with negation applied and questions weakened.
        ``opening`` says whether the sentence opens its block (see ``Cue.opening``)."""
        # *Emphasis* is everywhere in mail and would hide the words it stresses; blanking the
        # stars keeps every offset where it was.
        sentence = sentence.replace("*", " ")
        hits: list[CueHit] = []
        first = 0
        if self.screen is not None:
            found = self.screen.search(sentence)
            if found is None:
                return hits
            # No cue matches before the alternation's leftmost match, so each cue's matches
            # are the same read from there (a lookbehind still sees the characters before it).
            first = found.start()
        is_question = sentence.rstrip().endswith("?")
        clauses = _Clauses(sentence, self.negation)
        for cue in self.cues:
            if cue.opening and not opening:
                continue
            for match in cue.regex.finditer(sentence, first):
                if self.hedged(clauses, match.start()):
                    continue
                stance = cue.stance
                if not cue.fixed and self.negated(clauses, match.start(), match.end()):
                    stance = flip(stance)
                weight = cue.weight * (self.question_factor if is_question else 1.0)
                if self.conceded(clauses, match.end()):
                    weight *= 0.5
                hits.append(CueHit(cue, match.start(), match.end(), stance, weight))
        return _most_specific(hits)

    def conceded(self, clauses: _Clauses, end: int) -> bool:
        """The sentence opens by conceding and a "but" comes after the cue."""
        return clauses.last_but(self.negation.concession) >= end

    def hedged(self, clauses: _Clauses, start: int) -> bool:
        if clauses.opening_word in self.negation.conditional_openings:
            assumed = self.negation.assumed
            if assumed is None or not assumed.match(clauses.sentence):
                return True
        if not self.negation.hedges:
            return False
        return any(w in self.negation.hedges for w in clauses.words_before(start))

    def negated(self, clauses: _Clauses, start: int, end: int) -> bool:
        """True when a negator governs the span: an odd number of negators in the
        clause just before it, or a rejecting phrase right after it."""
        words = clauses.words_before(start)
        count = sum(1 for w in words if w in self.negation.before)
        tail = " ".join(words)
        count += sum(1 for phrase in self.negation.before_phrases if phrase in tail)
        after = self.negation.after
        if after is not None and after.match(clauses.sentence[end : end + 80]):
            count += 1
        return count % 2 == 1


_BEFORE_CUE = r"(?<![\w-])(?:"
_AFTER_CUE = r")(?![\w])"
"""What ``load_cue_book`` puts around every cue's pattern."""


def any_cue(cues: Sequence[Cue]) -> re.Pattern[str] | None:
    """One pattern that matches where any of ``cues`` matches and nowhere else (the
    alternation of their patterns, the word edges they all share written once), or None
    when their flags differ or a pattern refers to a group by number or name."""
    if not cues or len({c.regex.flags for c in cues}) != 1:
        return None
    patterns = [c.regex.pattern for c in cues]
    if any(re.search(r"\\[1-9]|\(\?P[<=]|\(\?\(|\(\?[aiLmsux-]+[):]", p) for p in patterns):
        return None
    if all(p.startswith(_BEFORE_CUE) and p.endswith(_AFTER_CUE) for p in patterns):
        inner = "|".join(p[len(_BEFORE_CUE) : -len(_AFTER_CUE)] for p in patterns)
        joined = _BEFORE_CUE + inner + _AFTER_CUE
    else:
        joined = "|".join(f"(?:{p})" for p in patterns)
    try:
        return re.compile(joined, cues[0].regex.flags)
    except re.error:
        return None


def _most_specific(hits: list[CueHit]) -> list[CueHit]:
    """Where two cues read overlapping words as opposite stances of one label, the heavier
    (more specific) reading wins: "hypothetical cases do happen" argues against
    hypothetical breakage being dismissed, whatever "hypothetical" alone would say."""
    groups: dict[tuple[str, str], dict[float, list[CueHit]]] = {}
    for hit in hits:
        groups.setdefault((hit.label, hit.stance), {}).setdefault(hit.weight, []).append(hit)
    if not any((label, flip(stance)) in groups for label, stance in groups):
        return hits
    # Per (label, stance, weight): spans by start, with the furthest end reached so far, so
    # "does a heavier opposite span overlap this one" is a binary search, not a scan.
    index: dict[tuple[str, str], list[tuple[float, list[int], list[int]]]] = {}
    for key, by_weight in groups.items():
        for weight, group in by_weight.items():
            group.sort(key=lambda h: h.start)
            ends: list[int] = []
            for hit in group:
                ends.append(max(hit.end, ends[-1]) if ends else hit.end)
            index.setdefault(key, []).append((weight, [h.start for h in group], ends))

    def overruled(hit: CueHit) -> bool:
        for weight, starts, ends in index.get((hit.label, flip(hit.stance)), ()):
            before = bisect_left(starts, hit.end)
            if weight > hit.weight and before and ends[before - 1] > hit.start:
                return True
        return False

    return [hit for hit in hits if not overruled(hit)]


class _Clauses:
    """One sentence cut at its clause boundaries, computed once for all of its cue hits (a
    long sentence has many, and re-splitting it for each was quadratic)."""

    # Enough characters for `window` words of any sensible length.
    _REACH = 24

    def __init__(self, sentence: str, negation: Negation) -> None:
        self.sentence = sentence
        self.negation = negation
        opening = _WORD.search(sentence)
        self.opening_word = opening.group().lower() if opening else ""
        self._ends: list[int] | None = None
        self._last_but: int | None = None

    def last_but(self, concession: re.Pattern[str] | None) -> int:
        """Start of the sentence's last "but" when it opens by conceding, else -1."""
        if self._last_but is None:
            self._last_but = -1
            if concession is not None and concession.match(self.sentence):
                for found in _BUT.finditer(self.sentence):
                    self._last_but = found.start()
        return self._last_but

    def words_before(self, start: int) -> list[str]:
        """The last ``window`` words of the clause that ends at ``start``, lower-cased."""
        if self._ends is None:
            self._ends = [m.end() for m in self.negation.boundary.finditer(self.sentence)]
        index = bisect_right(self._ends, start)
        clause_start = self._ends[index - 1] if index else 0
        window = self.negation.window
        reach = self._REACH * window
        while True:
            begin = max(clause_start, start - reach)
            words = _WORD.findall(self.sentence[begin:start].lower())
            if begin == clause_start:
                return words[-window:]
            # Cut inside the clause: the first word may be a fragment, so it only counts
            # when enough whole words follow it; otherwise look further back.
            if len(words) > window:
                return words[1:][-window:]
            reach *= 2


def flip(stance: str) -> str:
    return {"for": "against", "against": "for"}.get(stance, stance)


def load_cue_book(path: Path, *, known_labels: Sequence[str] | None = None) -> CueBook:
    """Read and compile a rule file; ConfigError names the file and the broken rule."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read rule file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cues"), list):
        raise ConfigError(f"{path}: a rule file needs a top-level 'cues' list")
    shorthands = {str(k): str(v) for k, v in (data.get("shorthands") or {}).items()}
    cues = tuple(_cue(entry, shorthands, path, known_labels) for entry in data["cues"])
    ids = [cue.id for cue in cues]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: duplicate cue ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return CueBook(cues=cues, negation=_negation(data.get("negation") or {}, path))


def _cue(entry: Mapping[str, Any], shorthands: Mapping[str, str], path: Path, known: Sequence[str] | None) -> Cue:
    where = f"{path}: cue {entry.get('id', '?')!r}"
    try:
        label = str(entry.get("position") or entry.get("label") or entry["decision"])
        pattern = _SHORTHAND.sub(lambda m: "(?:" + shorthands[m.group(1)] + ")", str(entry["pattern"]))
        # Mail is wrapped at ~72 columns: a space in a pattern matches any run of whitespace.
        pattern = _flexible_spaces(pattern)
        regex = re.compile(_BEFORE_CUE + pattern + _AFTER_CUE, re.IGNORECASE)
    except KeyError as exc:
        raise ConfigError(f"{where}: missing {exc} (or unknown shorthand)") from exc
    except re.error as exc:
        raise ConfigError(f"{where}: bad pattern ({exc})") from exc
    if known is not None and label not in known:
        raise ConfigError(f"{where}: {label!r} is not one of {', '.join(known)}")
    return Cue(
        id=str(entry["id"]),
        label=label,
        stance=str(entry.get("stance", "for")),
        weight=float(entry.get("weight", 1.0)),
        regex=regex,
        fixed=bool(entry.get("fixed", False)),
        roles=tuple(entry.get("roles") or ()),
        answer=bool(entry.get("answer", False)),
        opening=bool(entry.get("opening", False)),
        contrast=bool(entry.get("contrast", False)),
    )


def _flexible_spaces(pattern: str) -> str:
    """`` `` becomes ``\\s+`` and an optional `` ?`` becomes ``\\s*``."""
    return re.sub(r" ([?*])?", lambda m: r"\s*" if m.group(1) else r"\s+", pattern)


def _negation(data: Mapping[str, Any], path: Path) -> Negation:
    before = [str(w).lower() for w in data.get("before", [])]
    after = [str(p) for p in data.get("after", [])]
    boundaries = [str(b) for b in data.get("boundaries", [",", ";"])]
    words = [re.escape(b) for b in boundaries if b.isalpha()]
    marks = [re.escape(b) for b in boundaries if not b.isalpha()]
    parts = ([r"\b(?:" + "|".join(words) + r")\b"] if words else []) + (["[" + "".join(marks) + "]"] if marks else [])
    try:
        joined = "|".join(_flexible_spaces(a) for a in after)
        after_regex = re.compile(r"\W{0,3}\s*(?:" + joined + r")\b", re.IGNORECASE) if after else None
        boundary = re.compile("|".join(parts) or r"$^", re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{path}: bad negation pattern ({exc})") from exc
    return Negation(
        window=int(data.get("window", 6)),
        before=frozenset(w for w in before if " " not in w),
        before_phrases=tuple(w for w in before if " " in w),
        after=after_regex,
        boundary=boundary,
        hedges=frozenset(str(w).lower() for w in data.get("hedges", [])),
        conditional_openings=frozenset(str(w).lower() for w in data.get("conditional_openings", [])),
        assumed=_opening_phrases(data.get("assumed_conditions", [])),
        concession=_opening_phrases(data.get("concessions", [])),
    )


def _opening_phrases(phrases: list[str]) -> re.Pattern[str] | None:
    """Phrases a sentence may open with (after any punctuation), as one pattern."""
    if not phrases:
        return None
    return re.compile(r"\W*(?:" + "|".join(_flexible_spaces(str(p)) for p in phrases) + r")\b", re.IGNORECASE)
