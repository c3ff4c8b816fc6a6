"""What the analysis of one thread needs: its messages, segmented, with their authors."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.segment.records import Segmentation


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


@dataclass(frozen=True, slots=True)
class ThreadInput:
    thread_id: str
    messages: tuple[MessageInput, ...]
    """In tree order (parents before children)."""
    roles_known: bool = False
    """True when a MAINTAINERS file gave roles, so maintainer-only cues can be strict."""

    def by_id(self) -> dict[str, MessageInput]:
        return {m.message_id: m for m in self.messages}
