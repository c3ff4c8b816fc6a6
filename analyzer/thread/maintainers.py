"""Sections of a kernel MAINTAINERS file, and the roles they give people.

A section is a title line followed directly by ``X:<tab>value`` entry lines::

    KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)
    M:	Marc Zyngier <maz@kernel.org>
    R:	Joey Gouly <joey.gouly@arm.com>
    L:	kvmarm@lists.linux.dev
    F:	arch/arm64/kvm/

The file's preamble describes the same letters on tab-indented lines, which the entry
pattern (a letter at the start of the line) does not match, so it is skipped as prose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr

from analyzer.records import Address

_ENTRY = re.compile(r"^([A-Z]):\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class MaintainerSection:
    title: str
    maintainers: tuple[Address, ...] = ()
    reviewers: tuple[Address, ...] = ()
    lists: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    status: str | None = None


def parse_maintainers(text: str) -> tuple[MaintainerSection, ...]:
    sections: list[MaintainerSection] = []
    title: str | None = None
    entries: list[tuple[str, str]] = []
    previous = ""
    for line in [*text.splitlines(), ""]:
        match = _ENTRY.match(line)
        if match:
            if title is None and previous.strip():
                title = previous.strip()
            if title is not None:
                entries.append((match.group(1), match.group(2)))
        else:
            if title is not None and entries:
                sections.append(_section(title, entries))
            title, entries = None, []
        previous = line
    return tuple(sections)


def roles_by_email(sections: Iterable[MaintainerSection]) -> dict[str, tuple[str, ...]]:
    """``maintainer:<TITLE>`` and ``reviewer:<TITLE>`` roles, by lower-cased address."""
    roles: dict[str, list[str]] = {}
    for section in sections:
        for kind, people in (("maintainer", section.maintainers), ("reviewer", section.reviewers)):
            for person in people:
                roles.setdefault(person.email, []).append(f"{kind}:{section.title}")
    return {email: tuple(dict.fromkeys(found)) for email, found in roles.items()}


def addresses(sections: Sequence[MaintainerSection]) -> list[Address]:
    """Every person the file names (as written), for identity resolution."""
    return [person for section in sections for person in (*section.maintainers, *section.reviewers)]


def _section(title: str, entries: list[tuple[str, str]]) -> MaintainerSection:
    def people(letter: str) -> tuple[Address, ...]:
        found = [parseaddr(value) for key, value in entries if key == letter]
        return tuple(Address(name=name, email=email.lower()) for name, email in found if "@" in email)

    def values(letter: str) -> tuple[str, ...]:
        return tuple(value.split()[0] for key, value in entries if key == letter and value)

    status = next((value for key, value in entries if key == "S"), None)
    return MaintainerSection(
        title=title,
        maintainers=people("M"),
        reviewers=people("R"),
        lists=values("L"),
        files=values("F"),
        status=status,
    )
