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
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from analyzer.analysis.gold import GoldLine, read_lines
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.errors import ConfigError, SourceError
from analyzer.learn.corpus import AnnotatedThread
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, Provenance, RawMail

ANNOTATED = Path(__file__).resolve().parents[2] / "corpus" / "annotated"
"""The project's archive-annotated threads (training data; never the yardstick)."""
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
    commits = [_commit(line, f) for f in files for line in lines[f]]
    raw = dict(zip(commits, _blobs(archive, commits)))
    policy = ParsePolicy(max_size=25 * 1024 * 1024)
    threads = []
    for f in files:
        messages = []
        for line in lines[f]:
            commit = _commit(line, f)
            data = raw[commit]
            parsed = None if data is None else parse_raw(RawMail(data, Provenance(str(archive), f"commit:{commit}")), policy)
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
    """Message-ID -> the archive commit holding it, for the ``wanted`` ids (a scan of the
    archive's headers; the first commit of an id wins, as ingest keeps the first copy)."""
    want = set(wanted)
    found: dict[str, str] = {}
    log = _git(archive, "log", "--reverse", "--format=%H", "--all")
    commits = log.split()
    parser = BytesHeaderParser(policy=compat32)
    for commit, data in zip(commits, _blobs(archive, commits)):
        if data is None:
            continue
        header = parser.parsebytes(data).get("Message-ID", "")
        message_id = str(header).strip().strip("<>").strip()
        if message_id in want and message_id not in found:
            found[message_id] = commit
    missing = want - found.keys()
    if missing:
        raise ConfigError(f"{archive}: no message with id {sorted(missing)[0]} (and {len(missing) - 1} more)")
    return found


def _commit(line: GoldLine, where: Path) -> str:
    commit = line.extra.get("archive_commit")
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ConfigError(f"{where}: <{line.message_id}> has no archive_commit (40 hex digits)")
    return commit


def _blobs(archive: Path, commits: Sequence[str]) -> Iterator[bytes | None]:
    """The message file (``m``) of each commit, in order, through one ``git cat-file``;
    None for a commit without one (a public-inbox deletion)."""
    request = "".join(f"{c}:m\n" for c in commits).encode()
    done = subprocess.run(
        ["git", "-C", str(archive), "cat-file", "--batch"], input=request, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise SourceError(f"{archive}: git cat-file failed: {done.stderr.decode(errors='replace').strip()}")
    out = done.stdout
    at = 0
    for commit in commits:
        end = out.index(b"\n", at)
        head = out[at:end].split()
        if len(head) != 3 or head[1] != b"blob":
            at = end + 1
            yield None
            continue
        size = int(head[2])
        yield out[end + 1 : end + 1 + size]
        at = end + 1 + size + 1


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SourceError(f"{repo}: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout

