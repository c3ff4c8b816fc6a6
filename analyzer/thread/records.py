"""Plain records of thread structure: threads, patch subjects, series versions, people."""

from __future__ import annotations

from dataclasses import dataclass

UNDATED = "\uffff"
"""Sort key for a missing date: after every ISO 8601 date."""


@dataclass(frozen=True, slots=True)
class ThreadingHeaders:
    """The few headers threading needs, so that a whole archive threads without its bodies."""

    message_id: str
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    date: str | None
    """UTC, ISO 8601 (as ``Message.date``); orders siblings."""


@dataclass(frozen=True, slots=True)
class ThreadMember:
    """One node of a thread tree. A placeholder stands for a message that other messages
    reference but that is not in the corpus, so that a thread with holes stays one tree."""

    message_id: str
    parent_id: str | None
    """Parent node in the tree (may be a placeholder); None for the root."""
    depth: int
    placeholder: bool = False
    linked_by_subject: bool = False
    """True when the parent was found only by a ``Re:`` subject (the reply had no
    In-Reply-To or References), a weaker link than one from headers."""


@dataclass(frozen=True, slots=True)
class Thread:
    thread_id: str
    """Message-ID of the root node (a placeholder id when the root is missing)."""
    root_subject: str
    members: tuple[ThreadMember, ...]
    """Every node in pre-order (parent before child), siblings by date."""
    first_date: str | None = None
    last_date: str | None = None

    @property
    def message_ids(self) -> tuple[str, ...]:
        """Messages present in the corpus, in tree order."""
        return tuple(m.message_id for m in self.members if not m.placeholder)


@dataclass(frozen=True, slots=True)
class PatchSubject:
    """What a kernel subject line says: ``Re: [RFC PATCH v3 2/7] KVM: arm64: foo``."""

    base: str
    """Subject without reply markers and the bracketed prefix, whitespace normalised."""
    tags: tuple[str, ...] = ()
    """Upper-case words of the prefix other than the version and counter: PATCH, RFC, RESEND…"""
    version: int = 1
    number: int | None = None
    total: int | None = None
    is_reply: bool = False
    targets: tuple[str, ...] = ()
    """Prefix words naming a tree or project, as written: ``kvm-unit-tests``, ``net-next``."""

    @property
    def is_patch(self) -> bool:
        return "PATCH" in self.tags

    @property
    def is_cover(self) -> bool:
        return self.number == 0


@dataclass(frozen=True, slots=True)
class SeriesPatch:
    """One message of a posting: its cover letter or one of its patches."""

    message_id: str
    number: int | None
    """The counter of the subject (0 for a cover letter); None for an unnumbered patch."""
    total: int | None
    title: str
    """The subject's title (prefix and reply markers removed)."""
    thread_id: str
    superseded_by: str | None = None
    """The message of a later version of the series that re-sends this patch (same
    title), or for a cover letter the next version's root; None while it is current."""

    @property
    def is_cover(self) -> bool:
        return self.number == 0


@dataclass(frozen=True, slots=True)
class SeriesVersion:
    """One posted version of a patch series, linked to the others of the same series."""

    series_id: str
    version: int
    root_message_id: str
    """The cover letter, or the first patch when there is no cover letter."""
    thread_id: str
    subject: str
    author_email: str
    date: str | None
    superseded_by: str | None = None
    """root_message_id of the next version, when one was posted."""
    patches: tuple[SeriesPatch, ...] = ()
    """Every message of the posting, cover letter first, then by counter; a posting
    assembled across threads (patches sent without References) lists them all."""


@dataclass(frozen=True, slots=True)
class Person:
    """One identity across addresses and name spellings."""

    person_id: str
    name: str
    emails: tuple[str, ...]
    roles: tuple[str, ...] = ()
    """e.g. ``maintainer:KERNEL VIRTUAL MACHINE FOR ARM64 (KVM/arm64)``, ``reviewer:...``."""

    @property
    def is_maintainer(self) -> bool:
        return has_maintainer_role(self.roles)


def has_maintainer_role(roles: tuple[str, ...]) -> bool:
    """Whether MAINTAINERS roles (``maintainer:<section>``, ``reviewer:<section>``) make one a maintainer."""
    return any(role.startswith("maintainer:") for role in roles)
