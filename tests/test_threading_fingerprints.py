"""The real gold and silver threads in ../shared thread exactly as they did before the
structure rules of issue 12 (series across threads, cover letters as roots): the
fingerprint of every mbox's threading was recorded on main before those changes.

Re-record (only when a threading change is meant to alter real threads, and say why in
the commit): ``python -m tests.test_threading_fingerprints``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from analyzer.ingest.mbox import ExpansionCap, read_mbox_file
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail
from analyzer.thread.records import ThreadingHeaders
from analyzer.thread.tree import thread_messages
from tests.conftest import require_shared, shared_dir

RECORDED = Path(__file__).resolve().parent / "data" / "threading_fingerprints.json"


def _messages(path: Path) -> list[Message]:
    messages = []
    for raw in read_mbox_file(path, max_size=50_000_000, cap=ExpansionCap()):
        if isinstance(raw, RawMail):
            parsed = parse_raw(raw, ParsePolicy())
            if isinstance(parsed, Message):
                messages.append(parsed)
    return messages


def fingerprint(path: Path) -> dict[str, object]:
    """Threads, nodes and a digest of every node's parent, depth and placeholder flag."""
    threads = thread_messages(
        ThreadingHeaders(m.message_id, m.subject, m.in_reply_to, m.references, m.date) for m in _messages(path)
    )
    digest = hashlib.sha256()
    for thread in threads:
        digest.update(f"T{thread.thread_id}\x1e".encode())
        for m in thread.members:
            digest.update(f"{m.message_id}\x1f{m.parent_id or ''}\x1f{m.depth}\x1f{int(m.placeholder)}\x1e".encode())
    return {
        "threads": len(threads),
        "nodes": sum(len(t.members) for t in threads),
        "digest": digest.hexdigest(),
    }


def _mboxes() -> list[Path]:
    root = shared_dir()
    return sorted([*root.glob("gold/*.mbox"), *root.glob("silver/*.mbox")])


def _recorded() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", sorted(_recorded()))
def test_real_threads_thread_as_recorded(name: str) -> None:
    path = require_shared(*name.split("/"))
    assert fingerprint(path) == _recorded()[name]


def test_every_real_thread_is_recorded() -> None:
    require_shared("gold")
    found = {f"{p.parent.name}/{p.name}" for p in _mboxes()}
    assert found <= set(_recorded()), sorted(found - set(_recorded()))


if __name__ == "__main__":
    table = {f"{p.parent.name}/{p.name}": fingerprint(p) for p in _mboxes()}
    RECORDED.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded {len(table)} mboxes in {RECORDED}")
