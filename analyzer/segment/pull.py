"""Pull requests: what ``git request-pull`` writes around a maintainer's tag message.

The boilerplate (``The following changes since commit …``, the repository URL, ``for you
to fetch changes up to …``), and below the tag message the shortlog and diffstat, are
neither prose nor a patch: they become ``pull`` lines. The tag message between the two
rules of dashes is the maintainer's own text; a diff appended with ``request-pull -p``
stays a patch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from analyzer.segment import patch as p
from analyzer.segment.lines import Line, next_text

_HEADER = re.compile(r"^The following changes since commit [0-9a-f]{7,40}:?\s*$")
_RULE = re.compile(r"^-{20,}\s*$")
_SHORTLOG_HEAD = re.compile(r"^\S.{0,80} \(\d+\):\s*$")

Kind = TypeVar("Kind", bound=str)


def mark_pull_requests(lines: Sequence[Line], kinds: list[Kind], pull: Kind) -> list[Kind]:
    """``kinds`` with the request-pull lines of every pull request (at any quote depth)
    turned into ``pull``; blank lines stay as they are."""
    result = list(kinds)
    for index, line in enumerate(lines):
        if line.text[:4] == "The " and _HEADER.match(line.text):
            _mark_one(lines, result, index, pull)
    return result


def _mark_one(lines: Sequence[Line], kinds: list[Kind], start: int, pull: Kind) -> None:
    depth = lines[start].depth
    at = _mark_until(lines, kinds, start, pull, depth, stop=lambda i: bool(_RULE.match(lines[i].text)))
    if at >= len(lines):
        return
    kinds[at] = pull
    following = _next_content(lines, at + 1, depth)
    if following is not None and not _SHORTLOG_HEAD.match(lines[following].text):
        at = _skip_to_rule(lines, at + 1, depth)  # the tag message is the maintainer's own text
        if at >= len(lines):
            return
        kinds[at] = pull
    _mark_until(lines, kinds, at + 1, pull, depth, stop=lambda i: p.starts_diff(lines[i].text, next_text(lines, i)))


def _mark_until(lines: Sequence[Line], kinds: list[Kind], start: int, pull: Kind, depth: int, *, stop: object) -> int:
    index = start
    while index < len(lines) and lines[index].depth == depth:
        if callable(stop) and stop(index):
            return index
        if kinds[index] in ("own", "patch", "trailer"):
            kinds[index] = pull
        elif kinds[index] in ("signature", "footer"):
            return len(lines)
        index += 1
    return len(lines) if index >= len(lines) or lines[index].depth != depth else index


def _next_content(lines: Sequence[Line], start: int, depth: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].depth != depth:
            return None
        if not lines[index].blank:
            return index
    return None


def _skip_to_rule(lines: Sequence[Line], start: int, depth: int) -> int:
    for index in range(start, len(lines)):
        if lines[index].depth != depth:
            return len(lines)
        if _RULE.match(lines[index].text):
            return index
    return len(lines)
