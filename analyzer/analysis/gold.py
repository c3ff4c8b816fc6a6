"""The gold annotation format of ``shared/gold/FORMAT.md``: one JSON line per message.

``analyzer label`` writes predictions in this format and ``analyzer eval`` reads gold and
predictions in it, so anyone can score the project's output with their own scorer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError
from analyzer.jsonl import json_lines


@dataclass(frozen=True, slots=True)
class GoldRelation:
    to: str
    label: str


@dataclass(frozen=True, slots=True)
class GoldLine:
    message_id: str
    author: str = ""
    positions: tuple[tuple[str, str], ...] = ()
    """(position id, stance) pairs."""
    behaviours: tuple[str, ...] = ()
    relation: GoldRelation | None = None
    decisions: tuple[str, ...] = ()
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "author": self.author,
            "positions": [{"position": p, "stance": s} for p, s in self.positions],
            "behaviours": list(self.behaviours),
            "relation": None if self.relation is None else {"to": self.relation.to, "label": self.relation.label},
            "decisions": list(self.decisions),
            "note": self.note,
        } | dict(self.extra)


_KEYS = frozenset({"message_id", "author", "positions", "behaviours", "relation", "decisions", "note"})


def parse_line(data: Mapping[str, Any], *, where: str = "") -> GoldLine:
    """One JSON object in the gold format; ConfigError says what is wrong and where."""
    try:
        relation = data.get("relation")
        return GoldLine(
            message_id=str(data["message_id"]).strip("<>"),
            author=str(data.get("author") or ""),
            positions=tuple((str(p["position"]), str(p["stance"])) for p in data.get("positions") or []),
            behaviours=tuple(str(b) for b in data.get("behaviours") or []),
            relation=None if not relation else GoldRelation(str(relation["to"]).strip("<>"), str(relation["label"])),
            decisions=tuple(str(d) for d in data.get("decisions") or []),
            note=str(data.get("note") or ""),
            extra={k: v for k, v in data.items() if k not in _KEYS},
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: not a gold line ({type(exc).__name__}: {exc}); see gold/FORMAT.md") from exc


def read_lines(path: Path) -> list[GoldLine]:
    return [parse_line(data, where=where) for where, data in json_lines(path, what="gold file")]


def dump_lines(lines: Iterable[GoldLine]) -> Iterator[str]:
    for line in lines:
        yield json.dumps(line.as_json(), ensure_ascii=False)
