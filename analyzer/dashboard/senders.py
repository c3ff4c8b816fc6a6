"""Automated senders: robots that post to the lists (build bots, fuzzers, patch trackers).

They are not debaters: the dashboard leaves them out of camps, of who-answered-whom and of
participant counts, and lists them apart. Recognition is by name and address, from the
patterns in ``analyzer/data/automated_senders.yaml`` (data, so another list's robots are
one line away). Pure functions: no store, no Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True, slots=True)
class SenderPatterns:
    names: tuple[re.Pattern[str], ...]
    addresses: tuple[re.Pattern[str], ...]


@cache
def default_patterns() -> SenderPatterns:
    text = resources.files("analyzer.data").joinpath("automated_senders.yaml").read_text(encoding="utf-8")
    return parse_patterns(text)


def parse_patterns(text: str) -> SenderPatterns:
    """The ``names`` and ``addresses`` lists of the YAML file, as case-insensitive regexes."""
    data = yaml.safe_load(text) or {}
    return SenderPatterns(
        names=tuple(re.compile(p, re.IGNORECASE) for p in data.get("names", ())),
        addresses=tuple(re.compile(p, re.IGNORECASE) for p in data.get("addresses", ())),
    )


def is_automated(name: str, addresses: Iterable[str], patterns: SenderPatterns | None = None) -> bool:
    """True when the name or any address matches a robot pattern."""
    chosen = patterns or default_patterns()
    if any(p.search(name) for p in chosen.names):
        return True
    return any(p.search(address) for address in addresses for p in chosen.addresses)
