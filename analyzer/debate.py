"""The read model that graphs, timelines, reports, exports and the dashboard consume.

A ``Debate`` is one or more threads with everything known about them, as plain records.
``analyzer.store.debate.load_debate`` builds it from the store; tests build it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.analysis.records import MessageAnalysis
from analyzer.thread.records import Person, SeriesVersion, Thread


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """What a view needs to show one message and link to it."""

    message_id: str
    thread_id: str
    subject: str
    author_id: str
    """Person.person_id of the author."""
    author_name: str
    date: str | None
    parent_id: str | None
    body: str
    lists: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MergedCommit:
    """A commit of a kernel tree whose Link:/Message-ID trailer points into a thread."""

    sha: str
    subject: str
    message_id: str
    tag: str | None
    """First release tag that contains the commit (``git describe --contains``)."""
    date: str | None


@dataclass(frozen=True, slots=True)
class Debate:
    threads: tuple[Thread, ...]
    messages: Mapping[str, MessageInfo]
    people: Mapping[str, Person]
    analyses: Mapping[str, MessageAnalysis]
    series: tuple[SeriesVersion, ...] = ()
    commits: tuple[MergedCommit, ...] = field(default_factory=tuple)

    def thread(self, thread_id: str) -> Thread:
        for thread in self.threads:
            if thread.thread_id == thread_id:
                return thread
        raise KeyError(thread_id)

    def person_names(self) -> dict[str, str]:
        """person id -> display name."""
        return {pid: person.name for pid, person in self.people.items()}

    def actor_of(self, actor: str, info: MessageInfo) -> str:
        """The person id of a decision's actor: ``actor`` may be a person id, an address or
        a name; a decision nobody can be matched to is the message author's."""
        if actor in self.people:
            return actor
        wanted = actor.strip().lower()
        for person in self.people.values():
            if wanted and (wanted in (e.lower() for e in person.emails) or wanted == person.name.lower()):
                return person.person_id
        return info.author_id
