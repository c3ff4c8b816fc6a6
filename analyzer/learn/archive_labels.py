"""Annotated threads of a public-inbox archive, kept in the project as labels only.

The project may not hold third-party mail, so a thread annotated from an archive is stored
as its gold lines without the mail: each line names the archive commit that holds the
message (``archive_commit``), and the words a note quoted as evidence are kept as short
hashes (``evidence``: one list of word marks per quote) instead of text. Reading the
labels back takes the messages from the archive beside the project (``../shared/archives``)
and finds the evidence sentence by the same word overlap a quoting note gets
(``labels.key_sentences``).

Layout: ``corpus/annotated/<archive name>/<thread>.labels.jsonl``; the folder's name is the
archive's (``kvmarm-columbia-0`` for ``../shared/archives/kvmarm-columbia-0.git``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from analyzer.analysis.gold import GoldLine, read_lines
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.errors import ConfigError
from analyzer.ingest.publicinbox import find_epochs, plan_epochs, read_epoch, stream_epoch
from analyzer.learn.corpus import AnnotatedThread
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail

ANNOTATED = Path(__file__).resolve().parents[2] / "corpus" / "annotated"
"""The project's archive-annotated threads (training data; never the yardstick)."""
MAX_SIZE = ParsePolicy().max_size
"""Largest message read: the parser's default cap, as ingest reads."""
SOURCE = "archive"
"""``AnnotatedThread.source`` of these threads (the yardstick's are ``gold`` and ``silver``)."""

_QUOTED = re.compile(r"[“\"]([^”\"]{6,})[”\"]")
_WORD = re.compile(r"[a-z0-9_']+")


def word_mark(word: str) -> str:
    """A lower-cased word as 6 hex digits: enough to match a note's quote against the
    sentences of its message, not a copy of the text."""
    return hashlib.blake2b(word.lower().encode(), digest_size=3).hexdigest()


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def quotes(note: str) -> list[str]:
    """What ``note`` quotes (“…”, at least six characters)."""
    return list(_QUOTED.findall(note))


def quote_marks(note: str) -> list[list[str]]:
    """The word marks of each quote in ``note``."""
    return [[word_mark(w) for w in words(q)] for q in quotes(note)]


def without_quotes(note: str) -> str:
    return re.sub(r"\s+", " ", _QUOTED.sub("[…]", note)).strip()


def labels_line(line: GoldLine, commit: str) -> GoldLine:
    """The committed form of an annotator's line: the quotes of its note replaced by their
    word marks, and the archive commit that holds the message."""
    extra = dict(line.extra) | {"archive_commit": commit, "evidence": quote_marks(line.note)}
    return replace(line, note=without_quotes(line.note), extra=extra)


def evidence(line: GoldLine) -> list[set[str]]:
    """The mark sets of a labels line's quotes (empty for a line of the yardstick)."""
    marks = line.extra.get("evidence")
    if not isinstance(marks, list):
        return []
    return [set(map(str, quote)) for quote in marks if isinstance(quote, list)]


def archive_for(folder: Path, shared: Path) -> Path:
    """The archive a labels folder was annotated from: ``SHARED/archives/<folder name>.git``."""
    archive = shared / "archives" / f"{folder.name}.git"
    if not archive.is_dir():
        raise ConfigError(f"{folder}: its archive {archive} is missing (the labels hold no mail; they need it)")
    return archive


def read_labelled(folder: Path, shared: Path) -> list[AnnotatedThread]:
    """Every labelled thread of ``folder``, its messages read from the archive."""
    archive = archive_for(folder, shared)
    files = sorted(folder.glob("*.labels.jsonl"))
    lines = {f: read_lines(f) for f in files}
    raw = _archived(archive, [_commit(line, f) for f in files for line in lines[f]])
    policy = ParsePolicy()
    threads = []
    for f in files:
        messages = []
        for line in lines[f]:
            commit = _commit(line, f)
            parsed = parse_raw(raw[commit], policy) if commit in raw else None
            if not isinstance(parsed, Message) or parsed.message_id != line.message_id:
                raise ConfigError(f"{f}: commit {commit} of {archive} does not hold <{line.message_id}>")
            messages.append(parsed)
        threads.append(
            AnnotatedThread(
                name=f.name.removesuffix(".labels.jsonl"),
                source=SOURCE,
                threads=tuple(thread_inputs(unique_messages(messages))),
                gold=tuple(lines[f]),
            )
        )
    return threads


def default_labelled(shared: Path | None) -> list[Path]:
    """The project's labels folders whose archive is present under ``shared``."""
    if shared is None or not ANNOTATED.is_dir():
        return []
    return [f for f in sorted(ANNOTATED.iterdir()) if f.is_dir() and (shared / "archives" / f"{f.name}.git").is_dir()]


def message_commits(archive: Path, wanted: Sequence[str]) -> dict[str, str]:
    """Message-ID -> the archive commit holding it, for the ``wanted`` ids: the archive read
    as ingest reads it (every epoch, streamed), headers only; the first copy of an id wins,
    as ingest keeps the first."""
    want = set(wanted)
    found: dict[str, str] = {}
    parser = BytesHeaderParser(policy=compat32)
    for reads in plan_epochs(archive, {}):
        for item in stream_epoch(reads, max_size=MAX_SIZE, list_hint=None):
            if isinstance(item, RawMail):
                message_id = str(parser.parsebytes(item.data).get("Message-ID", "")).strip().strip("<>").strip()
                if message_id in want:
                    found.setdefault(message_id, item.provenance.locator.removeprefix("commit:"))
    missing = want - found.keys()
    if missing:
        raise ConfigError(f"{archive}: no message with id {sorted(missing)[0]} (and {len(missing) - 1} more)")
    return found


def _commit(line: GoldLine, where: Path) -> str:
    commit = line.extra.get("archive_commit")
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ConfigError(f"{where}: <{line.message_id}> has no archive_commit (40 hex digits)")
    return commit


def _archived(archive: Path, commits: Sequence[str]) -> dict[str, RawMail]:
    """commit -> its message, read through ingest's ``read_epoch`` epoch by epoch (a commit
    no epoch holds is left out)."""
    found: dict[str, RawMail] = {}
    for epoch in find_epochs(archive):
        left = [(c, 0) for c in dict.fromkeys(commits) if c not in found]
        if not left:
            break
        for item in read_epoch(epoch, left, max_size=MAX_SIZE, list_hint=None):
            if isinstance(item, RawMail):
                found[item.provenance.locator.removeprefix("commit:")] = item
    return found
