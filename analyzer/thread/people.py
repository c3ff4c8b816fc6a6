"""One identity per person across addresses and name spellings.

Identities are merged by union over two kinds of key: the address (lower case, ``+tag``
dropped) and the name (case, accents, parenthesised asides, initials and word order
folded, so "Zyngier, Marc" is "Marc Zyngier"). A name of one word links nothing: "Marc"
is too many people. An address that many different names post from (a list that rewrites
From: for DMARC, a shared bot address) links nothing either. The aliases file (mailmap) is
applied first and wins: a mapped identity is known only by its proper name and address.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from analyzer.thread.mailmap import Mailmap
from analyzer.thread.maintainers import MaintainerSection, addresses, roles_by_email
from analyzer.thread.records import Person

_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_VIA_LIST = re.compile(r"\s+via\s+\S+\s*$")  # "Ana Lima via kvm": a list rewrote From: (DMARC)
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
_SHARED_ADDRESS_NAMES = 3  # distinct names on one address before it counts as shared


@dataclass(frozen=True, slots=True)
class Sighting:
    """One (display name, address) pair as seen in From: headers, and how often."""

    name: str
    email: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class People:
    people: tuple[Person, ...]
    by_sighting: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(name, lower-cased email) as seen -> person_id."""

    def person_of(self, name: str, email: str) -> str | None:
        return self.by_sighting.get((name, email.lower()))


def name_key(name: str) -> str | None:
    """The name folded for comparison, or None when it is too weak to link people."""
    if "@" in name:
        return None
    cleaned = _ASIDE.sub(" ", _VIA_LIST.sub("", name))
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    words = sorted({w.casefold() for w in _WORD.findall(ascii_name) if len(w) > 1})
    return " ".join(words) if len(words) >= 2 else None


def address_key(email: str) -> str:
    local, at, domain = email.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}"


def resolve_people(
    sightings: Iterable[Sighting],
    *,
    mailmap: Mailmap | None = None,
    maintainers: Sequence[MaintainerSection] = (),
) -> People:
    """Cluster the authors seen. MAINTAINERS entries link names to addresses and give
    roles, but only people who posted are returned."""
    seen = [Sighting(s.name.strip(), s.email.strip().lower(), s.count) for s in sightings]
    canonical = {(s.name, s.email): _canonical(s.name, s.email, mailmap) for s in seen}
    hints = {(a.name, a.email): _canonical(a.name, a.email, mailmap) for a in addresses(maintainers)}
    shared = _shared_addresses([*canonical.values(), *hints.values()])
    union = _Union()
    for name, email in [*canonical.values(), *hints.values()]:
        union.join(_nodes(name, email, shared))
    clusters: dict[str, list[tuple[Sighting, tuple[str, str]]]] = {}
    for s in seen:
        identity = canonical[(s.name, s.email)]
        clusters.setdefault(union.find(_nodes(*identity, shared)[0]), []).append((s, identity))
    listed = roles_by_email(maintainers)
    roles: dict[str, list[str]] = {}
    for (_, listed_email), identity in hints.items():
        cluster = union.find(_nodes(*identity, shared)[0])
        roles.setdefault(cluster, []).extend(listed.get(listed_email, ()))
    people: list[Person] = []
    by_sighting: dict[tuple[str, str], str] = {}
    for root, members in clusters.items():
        person = _person(members, tuple(sorted(set(roles.get(root, ())))), shared)
        people.append(person)
        by_sighting.update({(s.name, s.email): person.person_id for s, _ in members})
    return People(tuple(sorted(people, key=lambda p: p.person_id)), by_sighting)


def _nodes(name: str, email: str, shared: set[str]) -> list[str]:
    """Union-find nodes of one identity, the one that stands for it first."""
    by_name = _name_node(name)
    if email in shared:
        return [by_name] if by_name else [f"shared:{email}"]
    return [_address_node(email), *([by_name] if by_name else [])]


def _canonical(name: str, email: str, mailmap: Mailmap | None) -> tuple[str, str]:
    mapped = mailmap.lookup(name, email) if mailmap else None
    return mapped or (name, email)


def _shared_addresses(identities: Iterable[tuple[str, str]]) -> set[str]:
    names: dict[str, set[str]] = {}
    for name, email in identities:
        key = name_key(name)
        if key:
            names.setdefault(email, set()).add(key)
    return {email for email, found in names.items() if len(found) >= _SHARED_ADDRESS_NAMES}


def _name_node(name: str) -> str | None:
    key = name_key(name)
    return f"name:{key}" if key else None


def _address_node(email: str) -> str:
    return f"address:{address_key(email)}"


def _person(members: list[tuple[Sighting, tuple[str, str]]], roles: tuple[str, ...], shared: set[str]) -> Person:
    """The id is the address used most, not counting shared ones (a person seen only on a
    shared address is told apart by name); the name is the most used spelling, written
    "Given Family"."""
    emails: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for sighting, (name, email) in members:
        emails[email] += sighting.count
        if name.strip() and "@" not in name:
            names[_given_family(_VIA_LIST.sub("", name))] += sighting.count
    ranked = sorted(emails, key=lambda e: (e in shared, -emails[e], e))
    name = min(names, key=lambda n: (-names[n], n)) if names else ranked[0]
    person_id = ranked[0] if ranked[0] not in shared else f"{ranked[0]}#{name_key(name) or name}"
    return Person(
        person_id=person_id,
        name=name,
        emails=tuple(sorted(set(ranked) | {s.email for s, _ in members})),
        roles=roles,
    )


def _given_family(name: str) -> str:
    """"Zyngier, Marc" -> "Marc Zyngier"; other spellings as written, spacing folded."""
    cleaned = " ".join(name.replace('"', "").split())
    family, comma, given = cleaned.partition(",")
    if comma and given.strip() and "," not in given:
        return f"{given.strip()} {family.strip()}"
    return cleaned


class _Union:
    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, node: str) -> None:
        self._parent.setdefault(node, node)

    def find(self, node: str) -> str:
        self.add(node)
        while self._parent[node] != node:
            self._parent[node] = self._parent[self._parent[node]]
            node = self._parent[node]
        return node

    def join(self, nodes: list[str]) -> None:
        for node in nodes[1:]:
            a, b = self.find(nodes[0]), self.find(node)
            if a != b:
                self._parent[max(a, b)] = min(a, b)
