"""The behaviour catalogue, the position taxonomy and the linker's rules: data loaded from
YAML files into frozen records.

Each loader takes a path (``None`` means the copy packaged in ``analyzer/data``) and
either returns a validated record or raises :class:`~analyzer.errors.ConfigError` naming
the file and what is wrong with it. Nothing here knows about spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from analyzer.errors import ConfigError

BehaviourKind = Literal[
    "quirk",
    "capability",
    "register",
    "register_field",
    "cpu_feature",
    "arch_feature",
    "vcpu_feature",
    "device_attr",
    "firmware_reg",
    "policy_rule",
    "other",
    "exit_reason",
    "ioctl",
    "flag",
    "constant",
]
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the generated catalogue (~2,800 entries) loads
six times faster than with the pure-Python one."""
PACKAGED_DATA = Path(__file__).resolve().parent.parent / "data"
"""Where the project's own catalogue, taxonomy and linker rules are installed."""
KINDS: tuple[str, ...] = BehaviourKind.__args__  # type: ignore[attr-defined]

@dataclass(frozen=True, slots=True)
class Behaviour:
    """One kernel behaviour people argue about: a quirk, capability, register, feature…"""

    id: str
    kind: BehaviourKind
    arch: str = "generic"
    aliases: tuple[str, ...] = ()
    summary: str = ""
    source: str = ""
    bit: int | None = None
    value: str | None = None
    since: str | None = None
    status: str | None = None
    part_of: str | None = None
    """The id of the entry this one belongs to (a register field's register)."""
    code_names: tuple[str, ...] = ()
    """Functions of the kernel source that stand for this entry in code (the KVM selftests'
    wrappers of an ioctl: ``vcpu_get_reg`` for KVM_GET_ONE_REG). Only weak evidence for the
    learned linker (``analyzer.nlp.behaviours.WeakIndex``); the rules never link them."""

    @property
    def names(self) -> tuple[str, ...]:
        """The id followed by every alias."""
        return (self.id, *self.aliases)

    def as_mapping(self) -> dict[str, Any]:
        """The entry as written in a catalogue file (empty optional fields left out)."""
        raw: dict[str, Any] = {"id": self.id, "kind": self.kind, "arch": self.arch}
        if self.aliases:
            raw["aliases"] = list(self.aliases)
        for key in ("summary", "source", "bit", "value", "since", "status", "part_of"):
            value = getattr(self, key)
            if value not in (None, ""):
                raw[key] = value
        if self.code_names:
            raw["code_names"] = list(self.code_names)
        return raw


@dataclass(frozen=True, slots=True)
class Catalogue:
    behaviours: tuple[Behaviour, ...]
    source: str = "<memory>"
    """Where the catalogue was read from (a path, or ``<packaged>``)."""
    _by_id: Mapping[str, Behaviour] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {b.id: b for b in self.behaviours})

    def __contains__(self, behaviour_id: object) -> bool:
        return behaviour_id in self._by_id

    def __iter__(self) -> Iterator[Behaviour]:
        return iter(self.behaviours)

    def __len__(self) -> int:
        return len(self.behaviours)

    def get(self, behaviour_id: str) -> Behaviour | None:
        return self._by_id.get(behaviour_id)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._by_id)


@dataclass(frozen=True, slots=True)
class Position:
    id: str
    label: str
    description: str
    for_example: str = ""
    against_example: str = ""

    @property
    def examples(self) -> dict[str, str]:
        """Example sentence per stance (``for``/``against``), where the taxonomy gives one."""
        pairs = (("for", self.for_example), ("against", self.against_example))
        return {stance: text for stance, text in pairs if text}


@dataclass(frozen=True, slots=True)
class DecisionKind:
    id: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: int
    stances: tuple[str, ...]
    positions: tuple[Position, ...]
    relations: tuple[str, ...]
    decisions: tuple[DecisionKind, ...]
    source: str = "<memory>"

    def position(self, position_id: str) -> Position | None:
        return next((p for p in self.positions if p.id == position_id), None)

    @property
    def position_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.positions)

    @property
    def decision_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.decisions)


@dataclass(frozen=True, slots=True)
class TextPattern:
    """A regular expression, and literals it cannot match without (a cheap test that
    skips the regex on most text)."""

    regex: str
    requires: tuple[str, ...] = ()

    def may_match(self, text: str) -> bool:
        return not self.requires or any(literal in text for literal in self.requires)


@dataclass(frozen=True, slots=True)
class IdPattern:
    """A regular expression that, where it matches, mentions one catalogue id."""

    behaviour_id: str
    pattern: TextPattern


@dataclass(frozen=True, slots=True)
class LinkRules:
    """How the behaviour linker reads text: which kinds it links, which aliases are too
    ordinary to link alone, spelling equivalences, and the reference/syntax patterns."""

    exclude_kinds: frozenset[str] = frozenset({"policy_rule"})
    generic_aliases: frozenset[str] = frozenset()
    """Lower-cased aliases never linked on their own (ordinary words in kernel prose)."""
    equivalent_prefixes: tuple[tuple[str, ...], ...] = ()
    word_variants: tuple[tuple[str, ...], ...] = ()
    """Groups of interchangeable words inside multi-word aliases (registers/regs…)."""
    kind_nouns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Nouns that may stand before or after a name of that kind ("the zap_all quirk"); the
    phrase matches in any case, as prose does."""
    el_suffix: str = r"_EL[0-3]{1,2}"
    id_patterns: tuple[IdPattern, ...] = ()
    syntax: Mapping[str, TextPattern] = field(default_factory=dict)
    """Named regexes for register fields, CPUID bits, compact name lists, suppressed spans."""
    references: Mapping[str, tuple[TextPattern, ...]] = field(default_factory=dict)
    """Regexes per reference kind (commit, link, doc, config); group ``target`` is the target."""


# ---------------------------------------------------------------- loading


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The behaviour catalogue at ``path`` (None: the packaged copy), validated."""
    raw, where = _read_yaml(path, "behaviours.yaml", "catalogue")
    return catalogue_from_data(raw, where)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The position taxonomy at ``path`` (None: the packaged copy), validated."""
    raw, where = _read_yaml(path, "taxonomy.yaml", "taxonomy")
    return taxonomy_from_data(raw, where)


def load_link_rules(path: Path | None = None) -> LinkRules:
    """The behaviour linker's rules at ``path`` (None: the packaged copy), validated."""
    raw, where = _read_yaml(path, "behaviour_patterns.yaml", "link rules")
    return link_rules_from_data(raw, where)


def catalogue_from_data(raw: object, where: str) -> Catalogue:
    if isinstance(raw, Mapping) and "behaviours" in raw:
        raw = raw["behaviours"]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: expected a non-empty list of behaviour entries")
    behaviours = [_behaviour(entry, where, number) for number, entry in enumerate(raw, 1)]
    seen: dict[str, int] = {}
    for number, behaviour in enumerate(behaviours, 1):
        if behaviour.id in seen:
            raise ConfigError(f"{where}: entry {number}: id {behaviour.id!r} repeats entry {seen[behaviour.id]}")
        seen[behaviour.id] = number
    for number, behaviour in enumerate(behaviours, 1):
        if behaviour.part_of is not None and behaviour.part_of not in seen:
            raise ConfigError(f"{where}: entry {number} ({behaviour.id}): part_of {behaviour.part_of!r} is no id of the catalogue")
    return Catalogue(tuple(behaviours), source=where)


def taxonomy_from_data(raw: object, where: str) -> Taxonomy:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping with stances, positions, relations, decisions")
    stances = _strings(raw.get("stances"), where, "stances", required=True)
    relations = _strings(raw.get("relations"), where, "relations", required=True)
    positions = tuple(_position(entry, where, n) for n, entry in enumerate(_entries(raw, "positions", where), 1))
    decisions = tuple(_decision(entry, where, n) for n, entry in enumerate(_entries(raw, "decisions", where), 1))
    for label, ids in (("position", [p.id for p in positions]), ("decision", [d.id for d in decisions])):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ConfigError(f"{where}: {label} ids repeated: {', '.join(repeated)}")
    version = raw.get("version", 1)
    if not isinstance(version, int):
        raise ConfigError(f"{where}: version must be an integer, not {version!r}")
    return Taxonomy(version, stances, positions, relations, decisions, source=where)


def link_rules_from_data(raw: object, where: str) -> LinkRules:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping of linker rules")
    unknown = sorted(set(_strings(raw.get("exclude_kinds"), where, "exclude_kinds")) - set(KINDS))
    if unknown:
        raise ConfigError(f"{where}: exclude_kinds has unknown kinds: {', '.join(unknown)}")
    rules = LinkRules(
        exclude_kinds=frozenset(_strings(raw.get("exclude_kinds"), where, "exclude_kinds")),
        generic_aliases=frozenset(a.lower() for a in _strings(raw.get("generic_aliases"), where, "generic_aliases")),
        equivalent_prefixes=tuple(
            _strings(group, where, "equivalent_prefixes") for group in raw.get("equivalent_prefixes") or ()
        ),
        word_variants=tuple(
            tuple(w.lower() for w in _strings(group, where, "word_variants")) for group in raw.get("word_variants") or ()
        ),
        kind_nouns={str(k): _strings(v, where, f"kind_nouns.{k}") for k, v in (raw.get("kind_nouns") or {}).items()},
        el_suffix=str(raw.get("el_suffix", r"_EL[0-3]{1,2}")),
        id_patterns=tuple(_id_pattern(entry, where) for entry in raw.get("id_patterns") or ()),
        syntax={str(k): _text_pattern(v, where, f"syntax.{k}") for k, v in (raw.get("syntax") or {}).items()},
        references={
            str(kind): tuple(_text_pattern(item, where, f"references.{kind}") for item in _list(items, where, kind))
            for kind, items in (raw.get("references") or {}).items()
        },
    )
    _check_regexes(rules, where)
    return rules


# ---------------------------------------------------------------- validation helpers


def _read_yaml(path: Path | None, packaged: str, what: str) -> tuple[object, str]:
    if path is None:
        text = (PACKAGED_DATA / packaged).read_text(encoding="utf-8")
        where = f"packaged {packaged}"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"{what} file not found: {where}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{what} file cannot be read: {where}: {exc}") from exc
    try:
        return yaml.load(text, Loader=_SafeLoader), where
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from exc


def _behaviour(entry: object, where: str, number: int) -> Behaviour:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: entry {number} is not a mapping")
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ConfigError(f"{where}: entry {number} has no id")
    here = f"{where}: entry {number} ({ident})"
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{here}: unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    aliases = _strings(entry.get("aliases"), here, "aliases")
    bit = entry.get("bit")
    if bit is not None and (not isinstance(bit, int) or isinstance(bit, bool)):
        raise ConfigError(f"{here}: bit must be an integer, not {bit!r}")
    optional = {key: _optional_text(entry.get(key), here, key) for key in ("value", "since", "status", "part_of")}
    return Behaviour(
        id=ident.strip(),
        kind=kind,
        arch=str(entry.get("arch") or "generic"),
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        summary=_optional_text(entry.get("summary"), here, "summary") or "",
        source=_optional_text(entry.get("source"), here, "source") or "",
        bit=bit,
        code_names=tuple(n.strip() for n in _strings(entry.get("code_names"), here, "code_names") if n.strip()),
        **optional,
    )


def _optional_text(value: object, here: str, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{here}: {key} must be text, not {type(value).__name__}")


def _strings(value: object, where: str, key: str, *, required: bool = False) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str) or (required and not value):
        raise ConfigError(f"{where}: {key} must be a{' non-empty' if required else ''} list of strings")
    items = tuple(str(item) for item in value if isinstance(item, (str, int, float)))
    if len(items) != len(value):
        raise ConfigError(f"{where}: {key} must hold only strings")
    return items


def _entries(raw: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    entries = raw.get(key)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: {key} must be a non-empty list")
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise ConfigError(f"{where}: {key} entry {number} must be a mapping with an id")
    return entries


def _position(entry: Mapping[str, Any], where: str, number: int) -> Position:
    here = f"{where}: position {number} ({entry['id']})"
    for key in ("label", "description"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigError(f"{here}: {key} is missing")
    return Position(
        id=entry["id"],
        label=entry["label"].strip(),
        description=" ".join(entry["description"].split()),
        for_example=str(entry.get("for_example") or ""),
        against_example=str(entry.get("against_example") or ""),
    )


def _decision(entry: Mapping[str, Any], where: str, number: int) -> DecisionKind:
    return DecisionKind(id=entry["id"], description=str(entry.get("description") or ""))


def _id_pattern(entry: object, where: str) -> IdPattern:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
        raise ConfigError(f"{where}: each id_patterns entry needs an id and a regex")
    return IdPattern(entry["id"], _text_pattern(entry, where, f"id_patterns.{entry['id']}"))


def _text_pattern(raw: object, where: str, key: str) -> TextPattern:
    """A regex written as a plain string, or as a mapping with ``regex`` and ``requires``."""
    if isinstance(raw, str):
        return TextPattern(raw)
    if isinstance(raw, Mapping) and isinstance(raw.get("regex"), str):
        return TextPattern(raw["regex"], _strings(raw.get("requires"), where, f"{key}.requires"))
    raise ConfigError(f"{where}: {key} must be a regex, or a mapping with regex and requires")


def _list(value: object, where: str, key: str) -> list[object]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: references.{key} must be a list of patterns")
    return value


def _check_regexes(rules: LinkRules, where: str) -> None:
    named = [(f"syntax.{k}", v.regex) for k, v in rules.syntax.items()]
    named += [(f"references.{k}", p.regex) for k, v in rules.references.items() for p in v]
    named += [(f"id_patterns.{p.behaviour_id}", p.pattern.regex) for p in rules.id_patterns]
    for name, regex in named:
        try:
            re.compile(regex)
        except re.error as exc:
            raise ConfigError(f"{where}: {name} is not a valid regular expression: {exc}") from exc


__all__ = [
    "KINDS",
    "Behaviour",
    "BehaviourKind",
    "Catalogue",
    "DecisionKind",
    "IdPattern",
    "LinkRules",
    "Position",
    "Taxonomy",
    "TextPattern",
    "catalogue_from_data",
    "link_rules_from_data",
    "load_catalogue",
    "load_link_rules",
    "load_taxonomy",
    "taxonomy_from_data",
]
