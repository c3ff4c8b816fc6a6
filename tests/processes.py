"""Process states read from /proc, for tests that check worker processes are gone."""

from __future__ import annotations

from pathlib import Path


def _stat_fields(stat: Path) -> list[str]:
    """The fields of a /proc/PID/stat after the command name (which may hold spaces)."""
    return stat.read_text().rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting to be reaped does not)."""
    try:
        return _stat_fields(Path(f"/proc/{pid}/stat"))[0] != "Z"
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, children's children included."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat_fields(entry / "stat")[1])
            except OSError:
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found
