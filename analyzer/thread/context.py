"""Segmenting the messages of one thread, each with the context its quotes came from.

The segmentation stage (analyzer.segment) cuts a body into blocks and resolves each quoted
block to the ancestor it was quoted from; this module hands it that context: the chain of
ancestors present in the corpus, nearest first, and every body of the thread.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from analyzer import segment
from analyzer.segment.records import Segmentation
from analyzer.thread.records import Thread
from analyzer.thread.tree import ancestors_of


class Segmenter(Protocol):
    """The segmentation stage as the store calls it (analyzer.segment's two functions)."""

    @property
    def fingerprint(self) -> str:
        """Changes when the segmenter's rules do, so stored segments can be refreshed."""

    def segment(self, message_id: str, body: str) -> Segmentation: ...

    def resolve(
        self, segmentation: Segmentation, *, chain: Sequence[tuple[str, str]], thread_bodies: Mapping[str, str]
    ) -> Segmentation: ...


@dataclasses.dataclass(frozen=True, slots=True)
class LibrarySegmenter:
    """analyzer.segment's ``segment_body`` and ``resolve_quotes``; the fingerprint hashes
    that package's source, so stored segments go stale when its rules change."""

    segment_body: Callable[[str, str], Segmentation]
    resolve_quotes: Callable[..., Segmentation]
    fingerprint: str

    def segment(self, message_id: str, body: str) -> Segmentation:
        return self.segment_body(message_id, body)

    def resolve(
        self, segmentation: Segmentation, *, chain: Sequence[tuple[str, str]], thread_bodies: Mapping[str, str]
    ) -> Segmentation:
        return self.resolve_quotes(segmentation, chain=chain, thread_bodies=thread_bodies)


def library_segmenter() -> LibrarySegmenter:
    """The project's segmenter (analyzer.segment)."""
    digest = hashlib.sha256()
    for path in sorted(Path(segment.__file__ or "").parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return LibrarySegmenter(segment.segment_body, segment.resolve_quotes, digest.hexdigest()[:16])


def segment_thread(thread: Thread, bodies: Mapping[str, str], segmenter: Segmenter) -> list[Segmentation]:
    """Every present message of ``thread`` segmented, quotes resolved. A placeholder
    ancestor is left out of the chain: its text is unknown."""
    results, failed = segment_each(thread, bodies, segmenter)
    if failed:
        raise failed[0][1]
    return results


def segment_each(
    thread: Thread, bodies: Mapping[str, str], segmenter: Segmenter
) -> tuple[list[Segmentation], list[tuple[str, Exception]]]:
    """Like ``segment_thread``, but a message the segmenter fails on is handed back with
    its error instead of stopping the others: (segmentations, [(message_id, error)])."""
    lineage = ancestors_of(thread)
    results: list[Segmentation] = []
    failed: list[tuple[str, Exception]] = []
    for message_id in thread.message_ids:
        chain = [(a, bodies[a]) for a in lineage[message_id] if a in bodies]
        try:
            segmentation = segmenter.segment(message_id, bodies[message_id])
            results.append(segmenter.resolve(segmentation, chain=chain, thread_bodies=bodies))
        except Exception as exc:  # noqa: BLE001 - any fault in one message is recorded, not fatal
            failed.append((message_id, exc))
    return results, failed
