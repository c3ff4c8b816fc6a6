"""Read ahead of the consumer in a background thread, with a bounded queue.

Reading a source is mostly waiting on I/O (a pipe from ``git cat-file``, a file, a
decompressor), all of which release the GIL, so a reader thread overlaps it with the
database writes of the ingest loop. The queue holds at most ``depth`` items, so
memory stays bounded however long the source is.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1


class _Done:
    """Marks the end of the stream (``error`` set when the reader failed)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """``with Prefetch(items, depth=2) as ahead: for item in ahead: ...`` (depth 0: no
    thread, ``items`` is iterated by the consumer itself).

    The items are produced in a daemon thread; an exception raised while producing
    is raised again in the consumer at the point it would have occurred. Leaving the
    ``with`` block early stops the reader and closes ``items`` in the reader thread
    (generators must be closed by the thread that runs them).
    """

    def __init__(self, items: Iterator[T], *, depth: int = 2) -> None:
        self._items = items
        self._depth = depth
        self._queue: queue.Queue[T | _Done] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="ingest-reader", daemon=True)

    def __enter__(self) -> Iterator[T]:
        if self._depth == 0:
            return self._items
        self._thread.start()
        return self._consume()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._depth == 0:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
            return
        while self._thread.is_alive():
            self._drain()
            self._thread.join(timeout=_POLL_SECONDS)

    def _consume(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def _produce(self) -> None:
        end = _Done()
        try:
            for item in self._items:
                if not self._put(item):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            end = _Done(exc)
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
        self._put(end)

    def _put(self, item: T | _Done) -> bool:
        """Queue ``item`` unless the consumer has gone; False once it has."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
