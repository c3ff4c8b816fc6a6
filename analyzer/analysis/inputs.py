"""What the analysis of one thread needs: its messages, segmented, with their authors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.segment.records import Segmentation
from analyzer.thread.records import SeriesVersion


@dataclass(frozen=True, slots=True)
class PreviousVersion:
    """The posting of a patch series that a new posting replaces."""

    message_id: str
    """Root (cover letter or first patch) of the replaced posting."""
    version: int
    subject: str


@dataclass(frozen=True, slots=True)
class MessageInput:
    message_id: str
    author_id: str
    """Stable person id (the people index's id, or the address when no index is used)."""
    author_name: str
    date: str | None
    subject: str
    body: str
    parent_id: str | None
    """In-Reply-To parent present in the thread, None for the root or a missing parent."""
    segmentation: Segmentation
    author_roles: tuple[str, ...] = ()
    """Roles from a MAINTAINERS file, e.g. ``maintainer:KVM/arm64``; empty when unknown."""
    replaces: PreviousVersion | None = None
    """Set on the root of a series posting that supersedes an earlier version (found by
    series linking across threads, so it is an input, not something one thread can see)."""
    author_addresses: tuple[str, ...] = ()
    """The From address and every other address known for the author: a trailer in the
    message is the author's own when it names one of them (b4's attestation)."""


@dataclass(frozen=True, slots=True)
class ThreadInput:
    thread_id: str
    messages: tuple[MessageInput, ...]
    """In tree order (parents before children)."""
    roles_known: bool = False
    """True when a MAINTAINERS file gave roles, so maintainer-only cues can be strict."""

    def by_id(self) -> dict[str, MessageInput]:
        return {m.message_id: m for m in self.messages}


def previous_versions(series: Sequence[SeriesVersion]) -> dict[str, PreviousVersion]:
    """For the root of every posting that supersedes another with a higher version number,
    the posting it replaces. A RESEND of the same version, or a lower number posted later
    (a misdated mail), replaces nothing."""
    version_of = {v.root_message_id: v.version for v in series}
    return {
        v.superseded_by: PreviousVersion(v.root_message_id, v.version, v.subject)
        for v in series
        if v.superseded_by is not None and version_of.get(v.superseded_by, 0) > v.version
    }
