"""Real annotated threads (``shared/gold`` and ``shared/silver``): each thread's mbox read
into analysis inputs beside its gold lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.analysis.files import read_thread_file
from analyzer.analysis.gold import GoldLine, read_lines
from analyzer.analysis.inputs import MessageInput, ThreadInput
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.errors import ConfigError


@dataclass(frozen=True, slots=True)
class AnnotatedThread:
    """One annotated real thread: the analysis inputs its mbox gives, and its gold lines."""

    name: str
    source: str
    """The folder it came from (``gold`` or ``silver``)."""
    threads: tuple[ThreadInput, ...]
    gold: tuple[GoldLine, ...]

    def messages(self) -> list[MessageInput]:
        return [m for t in self.threads for m in t.messages]

    def gold_by_id(self) -> dict[str, GoldLine]:
        return {g.message_id: g for g in self.gold}


def annotated_files(folders: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(gold.jsonl, mbox) pairs of every annotated thread in ``folders``, sorted by name."""
    pairs = []
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(f"{folder}: no such folder of annotated threads")
        for gold in sorted(folder.glob("*.gold.jsonl")):
            mbox = gold.with_name(gold.name.removesuffix(".gold.jsonl") + ".mbox")
            if mbox.is_file():
                pairs.append((gold, mbox))
    return pairs


def read_annotated(gold: Path, mbox: Path) -> AnnotatedThread:
    found = read_thread_file(mbox)
    threads = thread_inputs(unique_messages(found.messages))
    return AnnotatedThread(
        name=gold.name.removesuffix(".gold.jsonl"),
        source=gold.parent.name,
        threads=tuple(threads),
        gold=tuple(read_lines(gold)),
    )


def read_corpus(folders: Sequence[Path]) -> list[AnnotatedThread]:
    return [read_annotated(gold, mbox) for gold, mbox in annotated_files(folders)]
