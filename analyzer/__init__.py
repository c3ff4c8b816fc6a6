"""mlpa: the mailing-list policy-discussion analyser, as a library.

    import analyzer
    store = analyzer.open_store("debate.db")
    debate = analyzer.load_debate(store)
    graph = analyzer.argument_graph(debate)

The public surface is :mod:`analyzer.api`, re-exported here lazily, so that the command
line (which does not need pandas or Altair) starts fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    api = importlib.import_module("analyzer.api")
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")


def __dir__() -> list[str]:
    api = importlib.import_module("analyzer.api")
    return sorted([*globals(), *api.__all__])
