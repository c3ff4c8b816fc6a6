"""Reading JSON Lines files (gold annotations, training examples) with errors that say where."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError


def json_lines(path: Path, *, what: str) -> Iterator[tuple[str, Any]]:
    """(``path:line`` for messages, parsed object) for every non-blank line of ``path``.

    ConfigError when the file is missing or a line is not JSON; ``what`` names the kind of
    file in the message ("gold file", "training file")."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such {what}")
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            yield f"{path}:{number}", json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: invalid JSON in {what} ({exc.msg})") from exc
