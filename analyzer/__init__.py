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

# The names of analyzer.api (a test keeps the two lists equal). Only these trigger the
# import of analyzer.api: ``from analyzer import segment`` must not.
__all__ = [
    "ArgumentGraph", "Debate", "PeopleFrames", "Store", "ThreadOverview", "Timeline", "TimelineEvent",
    "WorkflowReport", "add_sources", "argument_graph", "behaviour_frame", "behaviour_index", "camps",
    "claims_frame", "contested_claims", "corpus_timeline", "decisions_frame", "events_frame", "explain",
    "interaction_matrix", "list_thread_ids", "load_debate", "open_store", "people_frames", "person_names",
    "position_matrix", "sample_store", "stance_chart", "stance_over_time", "thread_timeline", "threads",
    "timeline_chart",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("analyzer.api"), name)
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
