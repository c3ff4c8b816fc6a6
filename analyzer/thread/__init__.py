"""Thread structure: JWZ-style threads with placeholders, patch subjects and series
versions, people's identities (aliases, MAINTAINERS roles). Pure functions over plain
records; the store (analyzer.store.structure) does the reading and writing."""

from __future__ import annotations

from analyzer.thread.context import Segmenter, library_segmenter, segment_thread
from analyzer.thread.mailmap import Mailmap, parse_mailmap
from analyzer.thread.maintainers import (
    MaintainerSection,
    parse_maintainers,
    roles_by_email,
)
from analyzer.thread.people import People, Sighting, resolve_people
from analyzer.thread.records import (
    PatchSubject,
    Person,
    SeriesPatch,
    SeriesVersion,
    Thread,
    ThreadingHeaders,
    ThreadMember,
)
from analyzer.thread.series import PostedPatch, change_id_in, link_series
from analyzer.thread.subject import parse_subject
from analyzer.thread.tree import (
    Threading,
    ancestors_of,
    build_threads,
    thread_messages,
    thread_signature,
)

__all__ = [
    "Mailmap",
    "MaintainerSection",
    "PatchSubject",
    "People",
    "Person",
    "PostedPatch",
    "Segmenter",
    "SeriesPatch",
    "SeriesVersion",
    "Sighting",
    "Thread",
    "ThreadMember",
    "Threading",
    "ThreadingHeaders",
    "ancestors_of",
    "build_threads",
    "change_id_in",
    "library_segmenter",
    "link_series",
    "parse_mailmap",
    "parse_maintainers",
    "parse_subject",
    "resolve_people",
    "roles_by_email",
    "segment_thread",
    "thread_messages",
    "thread_signature",
]
