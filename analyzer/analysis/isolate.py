"""Analyse a thread so that one message the analysis fails on cannot stop the others.

The analysis of a thread is a pure function of its messages; when it raises, each message
is tried alone to find the ones at fault, and the thread is analysed again without them.
The caller records the messages handed back as failed, with their error.
"""

from __future__ import annotations

import dataclasses

from analyzer.analysis.inputs import ThreadInput
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import ThreadReader

FailedMessage = tuple[str, Exception]
"""(message_id, the error the analysis raised on it)."""


def analyse_isolating_failures(thread: ThreadInput, read: ThreadReader) -> tuple[ThreadAnalysis, list[FailedMessage]]:
    """The thread's analysis by ``read`` (the rules or the learned reading) and the
    messages left out of it because they failed. When the failure cannot be pinned on
    single messages, every message is handed back as failed and the analysis is empty:
    nothing half-done is returned."""
    try:
        return read(thread), []
    except Exception as first:  # noqa: BLE001 - recorded per message by the caller
        failed = _failing_alone(thread, read)
        kept = _without(thread, {mid for mid, _ in failed})
        if failed and kept.messages:
            try:
                return read(kept), failed
            except Exception as again:  # noqa: BLE001
                first = again
        elif failed:
            return ThreadAnalysis(thread.thread_id), failed
        return ThreadAnalysis(thread.thread_id), [(m.message_id, first) for m in thread.messages]


def _failing_alone(thread: ThreadInput, read: ThreadReader) -> list[FailedMessage]:
    failed: list[FailedMessage] = []
    for message in thread.messages:
        alone = dataclasses.replace(thread, messages=(dataclasses.replace(message, parent_id=None),))
        try:
            read(alone)
        except Exception as exc:  # noqa: BLE001
            failed.append((message.message_id, exc))
    return failed


def _without(thread: ThreadInput, message_ids: set[str]) -> ThreadInput:
    """The thread without ``message_ids``; their replies lose the parent they answered."""
    kept = tuple(
        dataclasses.replace(m, parent_id=None) if m.parent_id in message_ids else m
        for m in thread.messages
        if m.message_id not in message_ids
    )
    return dataclasses.replace(thread, messages=kept)
