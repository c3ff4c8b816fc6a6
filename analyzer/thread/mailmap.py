"""Aliases in git's ``.mailmap`` format, which kernel people already keep and know.

    Proper Name <proper@email>
    <proper@email> <commit@email>
    Proper Name <proper@email> <commit@email>
    Proper Name <proper@email> Commit Name <commit@email>

Emails compare case-insensitively; an entry with a commit name matches only that name.
(dulwich has a reader for this format, but it would bring a whole git implementation in
for a 40-line grammar.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.errors import ConfigError

_ENTRY = re.compile(r"^\s*([^<#]*?)\s*<([^<>]*)>\s*(?:([^<#]*?)\s*<([^<>]*)>)?\s*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class MailmapEntry:
    proper_name: str | None
    proper_email: str | None
    commit_name: str | None
    commit_email: str


@dataclass(frozen=True, slots=True)
class Mailmap:
    entries: tuple[MailmapEntry, ...] = ()

    def lookup(self, name: str, email: str) -> tuple[str, str] | None:
        """The proper (name, email) for an identity, or None when no entry matches. An
        entry naming the commit name wins over one for the address alone."""
        folded_email, folded_name = email.casefold(), name.casefold()
        best: MailmapEntry | None = None
        for entry in self.entries:
            if entry.commit_email.casefold() != folded_email:
                continue
            if entry.commit_name is None:
                best = best or entry
            elif entry.commit_name.casefold() == folded_name:
                best = entry
                break
        if best is None:
            return None
        return best.proper_name or name, (best.proper_email or email).lower()


def parse_mailmap(text: str, *, origin: str = "aliases") -> Mailmap:
    """Read a mailmap; a line that is neither an entry, a comment nor blank is an error
    naming the line, since a silently ignored alias merges nobody."""
    entries: list[MailmapEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match is None:
            raise ConfigError(f"{origin}:{number}: not a mailmap line (Proper Name <proper@email> [Name] <old@email>)")
        entries.append(_entry(*match.groups()))
    return Mailmap(tuple(entries))


def _entry(name1: str, email1: str, name2: str | None, email2: str | None) -> MailmapEntry:
    if email2 is None:
        # "Proper Name <commit@email>": a name for this address, the address kept.
        return MailmapEntry(proper_name=name1 or None, proper_email=None, commit_name=None, commit_email=email1)
    return MailmapEntry(
        proper_name=name1 or None,
        proper_email=email1 or None,
        commit_name=name2 or None,
        commit_email=email2,
    )
