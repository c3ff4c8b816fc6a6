"""Behaviour linking: every mention in own text of a catalogue entry, and of commits, lore
messages, Documentation paths and CONFIG_ options.

Matching works on characters, not tokens: spaCy's tokenizer cuts ``GICD_TYPER.num_LPIs``
and ``CPUID.01H:ECX[3]`` in ways no token pattern can follow, so names are found with
regular expressions over ``doc.text`` (one trie-shaped regex per case mode, so the cost does
not grow with the catalogue) and the spans are widened to whole tokens afterwards. The exact
character offsets travel with each span (``span._.mlpa_chars``) so that a Mention points at
the very text that named the behaviour.

How names are written (aliases, prefixes, field and CPUID syntax, references) is data:
the catalogue and ``analyzer/data/behaviour_patterns.yaml``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast
from urllib.parse import unquote

from spacy.language import Language
from spacy.tokens import Doc, Span

from analyzer.analysis.catalogue import (
    Behaviour,
    Catalogue,
    LinkRules,
    TextPattern,
    load_link_rules,
)
from analyzer.analysis.records import Mention, MentionKind
from analyzer.nlp.extensions import doc_text

SPANS_KEY = "mlpa_mentions"
CHARS_EXTENSION = "mlpa_chars"
_SEPARATOR = r'[\s"*\-]+'
_FOLD = re.compile(r'[\s"*\-]+')
_SHA = re.compile(r"[0-9a-f]{7,40}")
_TRAILING = ")].,;:'\">"
_COMPOUND = re.compile(r"[(),|]")
_SEPARATED = re.compile(r"[^\w]")

if not Span.has_extension(CHARS_EXTENSION):
    Span.set_extension(CHARS_EXTENSION, default=None)


@dataclass(frozen=True, slots=True)
class Found:
    """One mention found in a text: character offsets, kind and target."""

    start: int
    end: int
    kind: MentionKind
    target: str
    strength: int = 2
    """3: the catalogue id itself; 2: a reference, or read from syntax; 1: an alias."""


@dataclass(frozen=True, slots=True)
class _Name:
    target: str
    is_id: bool


def fold(name: str) -> str:
    """The key of a case-insensitive name: lower case, no spaces, quotes or hyphens."""
    return _FOLD.sub("", name.lower())


def case_sensitive(name: str) -> bool:
    """Whether a name matches only as written. C is case-sensitive: a macro in capitals
    (KVM_CAP_DISABLED_QUIRKS) is not the field ``disabled_quirks``, and a one-word spelling
    with capitals (MIDR, NV, PMUv3) carries its meaning in its case. Phrases, lower-case
    names and mixed-case identifiers (num_LPIs) match in any case."""
    if any(c.isspace() for c in name) or name == name.lower():
        return False
    return name == name.upper() or "_" not in name


class NameIndex:
    """Every spelling the catalogue allows for a behaviour, mapped to its id."""

    def __init__(self, catalogue: Catalogue, rules: LinkRules) -> None:
        self.rules = rules
        self.entries = {b.id: b for b in catalogue if b.kind not in rules.exclude_kinds}
        self.exact: dict[str, _Name] = {}
        self.folded: dict[str, _Name] = {}
        self.commits: dict[str, str] = {}
        self.spellings: set[str] = set()
        """Case-insensitive names as written (lower case), for the matcher."""
        for surface, name in self._ranked_names():
            if case_sensitive(surface):
                self.exact.setdefault(surface, name)
            else:
                self.folded.setdefault(fold(surface), name)
                self.spellings.add(surface.lower())
        self.stems = [self._stems(group) for group in rules.equivalent_prefixes]
        self.fields = self._fields()

    def resolve(self, name: str) -> _Name | None:
        found = self.exact.get(name) or self.folded.get(fold(name))
        if found is not None:
            return found
        upper = name.upper()
        for group, stems in zip(self.rules.equivalent_prefixes, self.stems):
            for prefix in group:
                if upper.startswith(prefix) and (target := stems.get(upper[len(prefix) :])):
                    return _Name(target, False)
        if len(name) > 3 and name.endswith("s") and name[:-1].isupper():
            return self.resolve(name[:-1])
        return None

    def resolve_field(self, register: str, field: str) -> str | None:
        """REG.FIELD: the field entry when the catalogue has one, else the register's entry."""
        whole = self.resolve(f"{register}.{field}")
        if whole is not None:
            return whole.target
        owner = self.resolve(register)
        if owner is None:
            return None
        return self.fields.get((owner.target, field.lower()), owner.target)

    def _ranked_names(self) -> list[tuple[str, _Name]]:
        generic = self.rules.generic_aliases
        ranked: list[tuple[tuple[int, int, int], str, _Name]] = []
        for order, behaviour in enumerate(self.entries.values()):
            for surface, is_id in self._spellings(behaviour):
                if _SHA.fullmatch(surface):
                    self.commits.setdefault(surface, behaviour.id)
                elif is_id or surface.lower() not in generic:
                    rank = 0 if is_id else 1 if behaviour.id.lower().endswith(surface.lower()) else 2
                    ranked.append(((rank, len(behaviour.id) if rank == 1 else 0, order), surface, _Name(behaviour.id, is_id)))
        ranked += self._bare_registers(len(ranked))
        return [(surface, name) for _, surface, name in sorted(ranked, key=lambda item: item[0])]

    def _spellings(self, behaviour: Behaviour) -> Iterator[tuple[str, bool]]:
        yield behaviour.id, True
        for alias in behaviour.aliases:
            for variant in _variants(alias, self.rules.word_variants):
                yield variant, False
        for name in behaviour.names:
            if case_sensitive(name) and len(name) >= 3 and name[-1].isupper() and name.isalnum():
                yield name + "s", name == behaviour.id
            for noun in self.rules.kind_nouns.get(behaviour.kind, ()) if "_" in name and " " not in name else ():
                yield f"{name} {noun}", False
                yield f"{noun} {name}", False

    def _bare_registers(self, order: int) -> list[tuple[tuple[int, int, int], str, _Name]]:
        suffix = re.compile(f"^(?P<bare>.+?){self.rules.el_suffix}$")
        bare: dict[str, list[str]] = {}
        for behaviour in self.entries.values():
            match = suffix.match(behaviour.id) if behaviour.kind == "register" else None
            if match and len(match["bare"]) >= 4:
                bare.setdefault(match["bare"], []).append(behaviour.id)
        return [((2, 0, order), name, _Name(ids[0], False)) for name, ids in bare.items() if len(ids) == 1]

    def _stems(self, group: tuple[str, ...]) -> dict[str, str]:
        stems: dict[str, str] = {}
        for behaviour in self.entries.values():
            for name in behaviour.names:
                upper = name.upper()
                for prefix in group:
                    if upper.startswith(prefix) and len(upper) > len(prefix):
                        stems.setdefault(upper[len(prefix) :], behaviour.id)
        return stems

    def _fields(self) -> dict[tuple[str, str], str]:
        fields: dict[tuple[str, str], str] = {}
        for behaviour in self.entries.values():
            if behaviour.kind != "register_field":
                continue
            for name in behaviour.names:
                register, dot, field = name.partition(".")
                owner = self.exact.get(register) or self.folded.get(fold(register)) if dot else None
                if owner is not None and owner.target != behaviour.id:
                    fields.setdefault((owner.target, field.lower()), behaviour.id)
        return fields


def _variants(alias: str, groups: tuple[tuple[str, ...], ...]) -> Iterator[str]:
    """The alias with each word of a variant group replaced by the group's other words."""
    words = alias.split(" ")
    if len(words) == 1:
        yield alias
        return
    options = [next((g for g in groups if w.lower() in g), (w,)) for w in words]
    for combination in itertools.islice(itertools.product(*options), 64):
        yield " ".join(combination)


def trie_pattern(words: Iterable[str], *, flexible: bool, whole_words: bool = True) -> str:
    """One regex matching any of ``words`` (longest first), each as a whole word (or only
    at a word start). With ``flexible``, a space matches any run of spaces, quotes,
    asterisks or hyphens and a hyphen is optional, so ``"invariant" registers`` and
    ``self snoop`` still match."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    # The word-start test comes after the first character, not before it: a pattern that
    # starts with a character set lets the regex engine skip ahead, one that starts with a
    # lookbehind is tried at every position (about four times slower).
    branches = [
        _char(char, flexible) + (r"(?<!\w.)" if _is_word(char) else "") + _emit(child, char, flexible, whole_words)
        for char, child in sorted(trie.items())
        if char
    ]
    return "(?:" + "|".join(branches) + ")"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _emit(node: dict[str, dict], last: str, flexible: bool, whole: bool) -> str:  # type: ignore[type-arg]
    alternatives = [
        _char(char, flexible) + _emit(child, char, flexible, whole) for char, child in sorted(node.items()) if char
    ]
    if "" in node:
        alternatives.append(r"(?!\w)" if whole and _is_word(last) else "")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _char(char: str, flexible: bool) -> str:
    if flexible and char == " ":
        return _SEPARATOR
    if flexible and char == "-":
        return r"[\s\-]?"
    return re.escape(char)


class MentionFinder:
    """Finds behaviour mentions and references in plain text. Pure: built once from a
    catalogue and rules, then :meth:`find` is a function of the text."""

    def __init__(self, catalogue: Catalogue, rules: LinkRules) -> None:
        self.names = NameIndex(catalogue, rules)
        self._exact = re.compile(trie_pattern(self.names.exact, flexible=False))
        folded = trie_pattern(sorted(self.names.spellings), flexible=True)
        # Matching lower-cased text is several times faster than IGNORECASE; the flag is
        # kept for the rare text whose lower-casing changes its length (offsets must hold).
        self._folded = re.compile(folded)
        self._folded_any_case = re.compile(folded, re.IGNORECASE)
        self._syntax = {key: _Scanner(pattern) for key, pattern in rules.syntax.items()}
        prefixes = sorted({p for group in rules.equivalent_prefixes for p in group}, key=len, reverse=True)
        self._prefixed = re.compile(trie_pattern(prefixes, flexible=False, whole_words=False) + r"\w+") if prefixes else None
        self._id_patterns = [
            (_Scanner(p.pattern), p.behaviour_id) for p in rules.id_patterns if p.behaviour_id in self.names.entries
        ]
        self._references = [
            (cast(MentionKind, kind), _Scanner(pattern)) for kind, patterns in rules.references.items() for pattern in patterns
        ]
        self._cpuid = self._cpuid_index()

    def find(self, text: str) -> list[Found]:
        """Every mention in ``text``, ordered by position."""
        references = _prune_references(self._reference_hits(text))
        blocked = [(f.start, f.end) for f in references]
        syntax_hits, unresolved = self._syntax_hits(text)
        blocked += unresolved
        behaviours = [h for h in self._name_hits(text) + syntax_hits if not _overlaps(h, blocked)]
        behaviours = [h for h in behaviours if not self._suppressed(text, h)]
        found = _prune_behaviours(behaviours, text) + references + self._commit_behaviours(references)
        # one Found per (span, kind, target): the strongest reading of it
        unique = {(f.start, f.end, f.kind, f.target): f for f in sorted(found, key=lambda f: f.strength)}
        return [unique[key] for key in sorted(unique)]

    def mentions(self, text: str, *, message_id: str, offset: int = 0) -> list[Mention]:
        """:meth:`find` as Mention records whose offsets are shifted by ``offset``: the same
        records as ``mentions_in`` gives for a Doc of ``text``, with no Doc (patches and
        trailers are read only for what they name; tokenizing them would be wasted work)."""
        return [
            Mention(message_id, f.kind, f.target, offset + f.start, offset + f.end, text[f.start : f.end])
            for f in self.find(text)
        ]

    # -- names, aliases, syntax

    def _name_hits(self, text: str) -> list[Found]:
        lowered = text.lower()
        hits = self._trie_hits(text, 0, len(text), lowered)
        # A regex scan never reports a match inside another: look again inside the wide
        # ones, once without their last word and once without their first character.
        for wide in [h for h in hits if _SEPARATED.search(text, h.start, h.end)]:
            cut = max(m.start() for m in _SEPARATED.finditer(text, wide.start, wide.end))
            hits += self._trie_hits(text, wide.start, cut, lowered)
            hits += [h for h in self._trie_hits(text, wide.start + 1, wide.end, lowered) if h.end <= wide.end]
        return hits

    def _trie_hits(self, text: str, start: int, end: int, lowered: str | None = None) -> list[Found]:
        hits = []
        for match in self._exact.finditer(text, start, end):
            name = self.names.exact.get(match.group())
            if name is not None:
                hits.append(_behaviour(match, name.target, 3 if name.is_id else 1))
        lowered = lowered if lowered is not None else text.lower()
        folded, subject = (self._folded, lowered) if len(lowered) == len(text) else (self._folded_any_case, text)
        for match in folded.finditer(subject, start, end):
            name = self.names.folded.get(fold(match.group()))
            if name is not None:
                hits.append(_behaviour(match, name.target, 3 if name.is_id else 1))
        return hits

    def _syntax_hits(self, text: str) -> tuple[list[Found], list[tuple[int, int]]]:
        """Hits read from syntax, and the field parts of REG.FIELD whose register the
        catalogue lacks: a name there is a field (HCR_EL2.NV), not the feature NV."""
        hits: list[Found] = []
        unresolved: list[tuple[int, int]] = []
        for match in self._scan("field", text):
            targets = self._field_targets(match)
            hits += [_behaviour(match, t) for t in targets]
            unresolved += [] if targets else [(match.end("reg"), match.end())]
        for match in self._scan("cpuid", text):
            target = self._cpuid_target(match)
            hits += [_behaviour(match, target)] if target else []
        for key in ("braces", "chars", "slashes"):
            for match in self._scan(key, text):
                hits += [_behaviour(match, t) for t in self._expanded_targets(match, key)]
        for match in self._prefixed.finditer(text) if self._prefixed else ():
            name = self.names.resolve(match.group())
            hits += [_behaviour(match, name.target)] if name else []
        for scanner, behaviour_id in self._id_patterns:
            hits += [_behaviour(match, behaviour_id) for match in scanner.scan(text)]
        return hits, unresolved

    def _scan(self, key: str, text: str) -> Iterator[re.Match[str]]:
        scanner = self._syntax.get(key)
        return scanner.scan(text) if scanner else iter(())

    def _suppressed(self, text: str, hit: Found) -> bool:
        """Whether the hit lies in a URL, path, file name or subject tag: looked for on the
        line of the hit and the one before (a subject may wrap), not over the whole text."""
        scanner = self._syntax.get("suppress")
        if scanner is None:
            return False
        start = text.rfind("\n", 0, max(text.rfind("\n", 0, hit.start), 0)) + 1
        end = text.find("\n", hit.end)
        spans = [m.span() for m in scanner.regex.finditer(text, start, len(text) if end < 0 else end)]
        return _overlaps(hit, spans)

    def _field_targets(self, match: re.Match[str]) -> list[str]:
        raw = match["field"] or match["bfield"]
        fields = [f.strip() for f in raw.strip("{}").split(",")] if raw.startswith("{") else [raw]
        targets = (self.names.resolve_field(match["reg"], f) for f in fields if f)
        return list(dict.fromkeys(t for t in targets if t))

    def _expanded_targets(self, match: re.Match[str], key: str) -> list[str]:
        """``KVM_{GET,SET}_ONE_REG``, ``KVM_[SG]ET_LAPIC``, ``ID_AA64PFR0/1_EL1``: each
        spelled-out name that the catalogue knows."""
        head, tail, alts = match.groupdict().get("head") or "", match["tail"], match["alts"]
        if key == "chars":
            options = list(alts)
        else:
            parts = [p.strip() for p in re.split(r"[,|/]", alts)]
            if key == "slashes":
                common, _, parts[0] = parts[0].rpartition("_")
                head += common + "_" if common else ""
            # "PFR0/1": a shorter alternative replaces the end of the first one
            options = [parts[0]] + [parts[0][: len(parts[0]) - len(p)] + p if len(p) < len(parts[0]) else p for p in parts[1:]]
        targets = []
        for option in options:
            name = head + option + tail
            register, dot, field = name.rpartition(".")
            resolved = self.names.resolve(name)
            target = resolved.target if resolved else (self.names.resolve_field(register, field) if dot else None)
            targets += [target] if target else []
        return list(dict.fromkeys(targets))

    def _cpuid_index(self) -> dict[tuple[int, str | None, str | None], str]:
        index: dict[tuple[int, str | None, str | None], str] = {}
        scanner = self._syntax.get("cpuid")
        regex = scanner.regex if scanner else None
        for behaviour in self.names.entries.values() if regex else ():
            for name in behaviour.names:
                match = regex.fullmatch(name) if regex else None
                for key in _cpuid_keys(match) if match else ():
                    index.setdefault(key, behaviour.id)
        return index

    def _cpuid_target(self, match: re.Match[str]) -> str | None:
        leaf, register, _, _ = _cpuid_parts(match)
        for key in (*_cpuid_keys(match), (leaf, register, None), (leaf, None, None)):
            if key in self._cpuid:
                return self._cpuid[key]
        return None

    # -- references

    def _reference_hits(self, text: str) -> list[Found]:
        hits = []
        for kind, scanner in self._references:
            for match in scanner.scan(text):
                written = match["target"].rstrip(_TRAILING)
                target = unquote(written) if kind == "link" and "://" not in written else written
                start = match.start() + len(match.group()) - len(match.group().lstrip())
                hits.append(Found(start, match.start("target") + len(written), kind, target))
        return hits

    def _commit_behaviours(self, references: list[Found]) -> list[Found]:
        """Catalogue entries named by the commit that introduced them."""
        return [
            Found(ref.start, ref.end, "behaviour", behaviour_id)
            for ref in references
            if ref.kind == "commit"
            for sha, behaviour_id in self.names.commits.items()
            if ref.target.startswith(sha) or sha.startswith(ref.target)
        ]


class _Scanner:
    """A compiled TextPattern: the regex runs only on text holding a required literal."""

    def __init__(self, pattern: TextPattern) -> None:
        self.pattern = pattern
        self.regex = re.compile(pattern.regex)

    def scan(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text) if self.pattern.may_match(text) else iter(())


def _behaviour(match: re.Match[str], target: str, strength: int = 2) -> Found:
    return Found(match.start(), match.end(), "behaviour", target, strength)


def _cpuid_parts(match: re.Match[str]) -> tuple[int, str | None, str | None, str | None]:
    raw = match["leaf"].lower()
    leaf = int(raw[:-1], 16) if raw.endswith("h") else int(raw, 0) if raw.startswith("0x") else int(raw)
    register = match["reg"].upper() if match["reg"] else None
    return leaf, register, match["name"].upper() if match["name"] else None, match["bit"]


def _cpuid_keys(match: re.Match[str]) -> list[tuple[int, str | None, str | None]]:
    leaf, register, name, bit = _cpuid_parts(match)
    keys: list[tuple[int, str | None, str | None]] = [(leaf, register, f"name:{name}")] if name else []
    keys += [(leaf, register, f"bit:{int(bit)}")] if bit else []
    return keys or [(leaf, register, None)]


def _overlaps(hit: Found, spans: list[tuple[int, int]]) -> bool:
    return any(start < hit.end and hit.start < end for start, end in spans)


def _prune_behaviours(hits: list[Found], text: str) -> list[Found]:
    """A name inside a longer name is part of it (``guest PAT`` in ``ignore guest PAT``,
    ``VHE`` in ``VHE only``), unless it is a catalogue id written out as an argument of a
    compound (``KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)``)."""
    kept: list[Found] = []
    for hit in sorted(set(hits), key=lambda h: (h.start - h.end, h.start)):
        outer = [k for k in kept if k.start <= hit.start and hit.end <= k.end and k.end - k.start > hit.end - hit.start]
        argument = hit.strength >= 3 and all(k.target != hit.target and _COMPOUND.search(text[k.start : k.end]) for k in outer)
        if not outer or argument:
            kept.append(hit)
    return kept


def _prune_references(hits: list[Found]) -> list[Found]:
    """Several patterns may see one reference; keep its widest reading."""
    kept: list[Found] = []
    for hit in sorted(set(hits), key=lambda h: (h.start - h.end, h.start)):
        if not any(k.kind == hit.kind and k.target == hit.target and _overlaps(hit, [(k.start, k.end)]) for k in kept):
            kept.append(hit)
    return kept


class BehaviourLinker:
    """spaCy component: puts every mention into ``doc.spans["mlpa_mentions"]`` with
    ``label_`` = kind and ``kb_id_`` = target (catalogue id, sha, message-id, path, option)."""

    def __init__(self, nlp: Language, name: str, *, catalogue: Catalogue, rules: LinkRules | None = None) -> None:
        self.name = name
        self.catalogue = catalogue
        self.finder = MentionFinder(catalogue, rules if rules is not None else load_link_rules())
        self._weak: WeakIndex | None = None

    @property
    def weak(self) -> WeakIndex:
        """The loose-name index of the same catalogue (built on first use: only the
        learned reading asks for it)."""
        if self._weak is None:
            self._weak = WeakIndex(self.catalogue, self.finder.names.rules)
        return self._weak

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for found in self.finder.find(doc_text(doc)):
            span = doc.char_span(found.start, found.end, label=found.kind, kb_id=found.target, alignment_mode="expand")
            if span is not None:
                span._.set(CHARS_EXTENSION, (found.start, found.end))
                spans.append(span)
        doc.spans[SPANS_KEY] = spans
        return doc


_DIFF_START = re.compile(r"^(?:diff --git |@@ |--- |Index: )")
_DIFFSTAT = re.compile(r"^\s*(?:\S+\s+\|\s+(?:\d+|Bin)|\d+ files? changed)")


def patch_additions(patch: str) -> str:
    """The text of a patch block with only what it adds left readable: the lines a diff
    adds (without their ``+``) and, before the first diff, a cover letter's shortlog.
    Everything else becomes spaces, so offsets into the block still hold. Gold threads
    count the behaviours a patch adds, not those in its context or removed lines."""
    kept: list[str] = []
    in_diff = False
    for line in patch.splitlines(keepends=True):
        in_diff = in_diff or bool(_DIFF_START.match(line))
        added = in_diff and line.startswith("+") and not line.startswith("+++")
        shortlog = not in_diff and not _DIFFSTAT.match(line)
        if added:
            kept.append(" " + line[1:])
        elif shortlog:
            kept.append(line)
        else:
            kept.append(re.sub(r"[^\n]", " ", line))
    return "".join(kept)


def mentions_in(doc: Doc, *, message_id: str, offset: int) -> list[Mention]:
    """The mentions a BehaviourLinker put on ``doc``, as plain records whose offsets point
    into the message body (``offset``: where ``doc.text`` starts in it)."""
    mentions = []
    text = doc_text(doc)
    for span in doc.spans[SPANS_KEY] if SPANS_KEY in doc.spans else ():
        start, end = span._.get(CHARS_EXTENSION) or (span.start_char, span.end_char)
        kind = cast(MentionKind, span.label_)
        mentions.append(Mention(message_id, kind, span.kb_id_, offset + start, offset + end, text[start:end]))
    return sorted(set(mentions), key=lambda m: (m.start, m.end, m.kind, m.target))


# -- weak mentions (evidence for the learned linker, never links by themselves)

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_JOINERS = frozenset({"_", "-", " ", ".", "__"})
"""What may stand between two words of one name written loosely: ``ONE_REG``, ``one-reg``,
``one reg``, ``kvm-arm.mode``."""
_IDENTIFIER_EDGE = frozenset("_")
WEAK_MAX_CHARS = 200_000
"""Longest text read for weak mentions (a larger one is read up to here)."""
WEAK_MAX_WORDS = 10
WEAK_MAX_SHARED = 2
"""A partial name (the tail of an id) that ends more ids than this names none of them."""
WeakForm = str
"""``id``, ``alias``, ``code`` (a function that stands for the entry) or ``part`` (a
distinctive tail of the id: ``ONE_REG`` of KVM_SET_ONE_REG)."""


@dataclass(frozen=True, slots=True)
class WeakFound:
    """A loose mention: a name of an entry written in any case, with any of ``_ - . space``
    (or none) between its words."""

    start: int
    end: int
    target: str
    form: WeakForm
    alone: bool
    """Not joined to a longer identifier (no ``_`` or word character at either end)."""
    longest: bool
    """No longer weak mention covers it (``PMU_V3`` in ``KVM_ARM_VCPU_PMU_V3_CTRL`` is not)."""
    as_written: bool
    """Written exactly as the catalogue spells the name."""


_FORM_RANK = {"id": 0, "alias": 1, "code": 2, "part": 3}


class WeakIndex:
    """Every name of every linkable entry as a loose key: its words in lower case, word
    variants folded (``register`` = ``reg``), separators dropped. Pure once built."""

    def __init__(self, catalogue: Catalogue, rules: LinkRules) -> None:
        self._variant = {w.lower(): group[0].lower() for group in rules.word_variants for w in group}
        entries = [b for b in catalogue if b.kind not in rules.exclude_kinds]
        keys: dict[str, dict[str, tuple[WeakForm, str]]] = {}

        def add(name: str, target: str, form: WeakForm) -> None:
            words = self._words(name)
            key = "".join(words)
            if len(key) < 3 or (form != "id" and name.lower() in rules.generic_aliases):
                return
            have = keys.setdefault(key, {})
            if target not in have or _FORM_RANK[form] < _FORM_RANK[have[target][0]]:
                have[target] = (form, name)

        for b in entries:
            add(b.id, b.id, "id")
            for alias in b.aliases:
                add(alias, b.id, "alias")
            for code in b.code_names:
                add(code, b.id, "code")
        tails: dict[str, set[str]] = {}
        for b in entries:
            words = _TOKEN.findall(b.id)
            for cut in range(1, len(words) - 1):
                tail = words[cut:]
                if len(tail) >= 2 and len("".join(tail)) >= 6 and "." not in b.id:
                    tails.setdefault("".join(self._words("_".join(tail))), set()).add(b.id)
        for key, ids in tails.items():
            if len(ids) <= WEAK_MAX_SHARED and key not in keys:
                keys[key] = {i: ("part", i) for i in sorted(ids)}
        self._keys = {k: tuple((t, f, n) for t, (f, n) in sorted(v.items())) for k, v in keys.items()}
        self._prefixes = {k[:i] for k in self._keys for i in range(1, len(k) + 1)}
        suppress = rules.syntax.get("suppress")
        self._suppress = re.compile(suppress.regex) if suppress is not None else None

    def _words(self, name: str) -> list[str]:
        return [self._variant.get(w.lower(), w.lower()) for w in _TOKEN.findall(name)]

    def find(self, text: str) -> list[WeakFound]:
        """Every loose mention in ``text`` (read up to ``WEAK_MAX_CHARS``), by position."""
        text = text[:WEAK_MAX_CHARS]
        lowered = text.lower()
        if len(lowered) != len(text):  # a character whose lower case is longer: offsets must hold
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        variant = self._variant
        words = [(m.start(), m.end(), variant.get(w, w)) for m in _TOKEN.finditer(lowered) for w in (m.group(),)]
        prefixes, keys = self._prefixes, self._keys
        found: list[WeakFound] = []
        for i, (start, _, first) in enumerate(words):
            if first not in prefixes:
                continue
            key = ""
            for j in range(i, min(i + WEAK_MAX_WORDS, len(words))):
                if j > i and text[words[j - 1][1] : words[j][0]] not in _JOINERS:
                    break
                key += words[j][2]
                if key not in prefixes:
                    break
                for target, form, name in keys.get(key, ()):
                    end = words[j][1]
                    alone = (start == 0 or text[start - 1] not in _IDENTIFIER_EDGE) and (end >= len(text) or text[end] not in _IDENTIFIER_EDGE)
                    found.append(WeakFound(start, end, target, form, alone, True, text[start:end] == name))
        if found and self._suppress is not None:
            # where the rules link nothing: URLs, paths, file names, subject tags
            # (read no further than the last mention's end: a span starting there covers none)
            last = max(f.end for f in found)
            spans = list(itertools.takewhile(lambda span: span[0] < last, (m.span() for m in self._suppress.finditer(text))))
            starts = [a for a, _ in spans]
            found = [f for f in found if not _in_spans(f, spans, starts)]
        return _mark_covered(found)


def _in_spans(found: WeakFound, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """Whether ``found`` overlaps one of ``spans`` (sorted, not overlapping each other)."""
    at = bisect.bisect_left(starts, found.end) - 1
    return at >= 0 and spans[at][1] > found.start


def _mark_covered(found: list[WeakFound]) -> list[WeakFound]:
    """``longest`` False for a mention inside a longer one (one sweep over the spans)."""
    ordered = sorted(found, key=lambda f: (f.start, -f.end))
    marked: list[WeakFound] = []
    reach, reach_start = -1, -1
    for f in ordered:
        covered = reach > f.end or (reach == f.end and reach_start < f.start)
        marked.append(f if not covered else WeakFound(f.start, f.end, f.target, f.form, f.alone, False, f.as_written))
        if f.end > reach:
            reach, reach_start = f.end, f.start
    return marked


__all__ = [
    "CHARS_EXTENSION",
    "SPANS_KEY",
    "BehaviourLinker",
    "Found",
    "MentionFinder",
    "NameIndex",
    "WeakFound",
    "WeakIndex",
    "case_sensitive",
    "fold",
    "mentions_in",
    "patch_additions",
    "trie_pattern",
]
