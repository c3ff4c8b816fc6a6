"""Several public-inbox epochs read at once (an inbox of ``git/0.git``, ``git/1.git``, ...).

The driver only lists each epoch's new commits (``git log``, cheap) and cuts them into
slices; worker processes each read one slice's messages from git and parse them, and hand
back the rows the store writes for them (:mod:`analyzer.store.rows`). The driver is the one writer: it stores each slice in one transaction
together with its epoch's cursor (the slice's last commit), in the order it handed the
slices out. Slices of the epochs are handed out in turn (epoch 0 slice 0, epoch 1 slice 0,
epoch 0 slice 1, ...), so all epochs are read at once while each epoch's slices are stored
in commit order: an epoch's cursor only ever moves past stored mail, and a killed run
resumes every epoch where it stopped.

The same Message-ID in two epochs is stored once, as in a one-process run; which epoch's
copy is kept then depends on which slice was written first (the other is recorded as seen
again). Mail is never parsed twice to find that out: the store counts it a duplicate.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from analyzer.ingest import publicinbox
from analyzer.ingest.publicinbox import Epoch, EpochRead
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import RawMail
from analyzer.store.rows import PreparedMail, prepared


@dataclass(frozen=True, slots=True)
class EpochSlice:
    """Consecutive commits of one epoch, and how to read them: a worker's task."""

    epoch: Epoch
    commits: tuple[tuple[str, int], ...]
    policy: ParsePolicy
    list_hint: str | None

    @property
    def checkpoint(self) -> tuple[str, str]:
        """The epoch's cursor once this slice is stored: its last commit."""
        return self.epoch.key, self.commits[-1][0]


def read_slice(task: EpochSlice) -> PreparedMail:
    """One slice's messages read from git, parsed and made into the rows the store writes,
    in commit order (run by a worker, so that the writer only writes)."""
    items = publicinbox.read_epoch(task.epoch, task.commits, max_size=task.policy.max_size, list_hint=task.list_hint)
    return prepared([parse_raw(item, task.policy) if isinstance(item, RawMail) else item for item in items])


def epoch_slices(plan: Sequence[EpochRead], *, size: int, policy: ParsePolicy,
                 list_hint: str | None) -> Generator[EpochSlice, None, None]:
    """The commits still to read of every epoch, ``size`` at a time, the epochs in turn."""
    streams = [_slices_of(reads, size, policy, list_hint) for reads in plan if reads.count]
    try:
        for round_ in itertools.zip_longest(*streams):
            yield from (s for s in round_ if s is not None)
    finally:
        for stream in streams:
            stream.close()


def _slices_of(reads: EpochRead, size: int, policy: ParsePolicy,
               list_hint: str | None) -> Generator[EpochSlice, None, None]:
    commits = publicinbox.stream_commits(reads)
    try:
        while chunk := tuple(itertools.islice(commits, size)):
            yield EpochSlice(reads.epoch, chunk, policy, list_hint)
    finally:
        commits.close()


def epochs_to_read(plan: Sequence[EpochRead]) -> int:
    """How many epochs have new commits: reading in parallel pays from two."""
    return sum(1 for reads in plan if reads.count)
