"""A cache bounded in bytes for the dashboard's loaders.

Streamlit's own caches bound the number of entries, not their size: a few scopes of a
large archive can then hold gigabytes. This one is a least-recently-used cache
(``cachetools.LRUCache``) whose size is the estimated bytes of its values, capped by
``ANALYZER_CACHE_MB``; values larger than the cap are computed and returned, never kept.
Values are shared between sessions and must not be mutated by pages.
"""

from __future__ import annotations

import pickle
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd
from cachetools import LRUCache

from analyzer.debate import Debate
from analyzer.graph.build import ArgumentGraph

T = TypeVar("T")


def estimated_bytes(value: object) -> int:
    """Roughly what ``value`` holds in memory: exact for frames, the text held for a
    ``Debate``, a fixed cost per node and edge for an argument graph, else the pickled size."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    rows = getattr(value, "rows", None)
    if isinstance(rows, pd.DataFrame):  # a queries.Page
        return 256 + int(rows.memory_usage(index=True, deep=True).sum())
    if isinstance(value, Debate):
        return 4096 + sum(2 * len(m.body) + 512 for m in value.messages.values())
    if isinstance(value, ArgumentGraph):
        return 4096 + 1024 * int(value.graph.number_of_nodes() + value.graph.number_of_edges())
    try:
        return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return sys.getsizeof(value)


class ByteBoundedCache:
    """Thread-safe LRU cache whose total estimated size stays under ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: LRUCache[Hashable, Any] = LRUCache(maxsize=max_bytes, getsizeof=estimated_bytes)
        self._lock = threading.Lock()

    @property
    def current_bytes(self) -> int:
        with self._lock:
            return int(self._entries.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                found: T = self._entries[key]
                return found
        value = compute()
        with self._lock:
            try:
                self._entries[key] = value
            except ValueError:  # larger than the whole cache: serve it, do not keep it
                pass
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
