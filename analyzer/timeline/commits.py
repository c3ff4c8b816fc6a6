"""Commits of a kernel git tree that point into threads, read with git itself.

A commit points at a thread when one of its trailers names a message of it:
``Link: https://lore.kernel.org/r/<msgid>`` (or ``/all/``, ``/<list>/``, patch.msgid.link,
lkml.kernel.org) or ``Message-Id: <msgid>``. A mere mention of an id in prose does not count.
The tag is the first release tag that contains the commit (``git describe --contains``).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from analyzer.debate import Debate, MergedCommit
from analyzer.errors import AnalyzerError

_TRAILER = re.compile(r"^\s*(?:Link|Message-I[dD]|Closes)\s*:\s*(\S+)", re.M | re.I)
_FIELD, _RECORD = "\x1f", "\x1e"
FIXED_GREP_LIMIT = 300
"""Above this many ids, one pass over every Link:/Message-Id: commit beats many greps."""


def trailer_message_ids(body: str) -> list[str]:
    """The message-ids that the Link:/Message-Id: trailers of a commit message point at."""
    found = []
    for value in _TRAILER.findall(body):
        if value.startswith(("http://", "https://")):
            segments = [unquote(s) for s in urlsplit(value).path.split("/")]
            found += [s.strip("<>") for s in segments if "@" in s][:1]
        elif "@" in value:
            found.append(value.strip("<>"))
    return found


def find_merged_commits(tree: Path, message_ids: Iterable[str], *, rev: str = "HEAD") -> tuple[MergedCommit, ...]:
    """Commits reachable from ``rev`` in the git tree at ``tree`` whose trailers point at
    one of ``message_ids``, oldest first, each with its first release tag."""
    wanted = {m.strip("<>") for m in message_ids}
    _check_tree(tree)
    if not wanted:
        return ()
    commits: dict[tuple[str, str], MergedCommit] = {}
    for sha, subject, date, body in _log(tree, rev, _greps(wanted)):
        for message_id in trailer_message_ids(body):
            if message_id in wanted and (sha, message_id) not in commits:
                commits[(sha, message_id)] = MergedCommit(sha, subject, message_id, None, date)
    tags = {sha: release_tag(tree, sha) for sha, _ in commits}
    merged = [MergedCommit(c.sha, c.subject, c.message_id, tags[c.sha], c.date) for c in commits.values()]
    return tuple(sorted(merged, key=lambda c: (c.date or "", c.sha, c.message_id)))


def _greps(wanted: set[str]) -> list[str]:
    if len(wanted) > FIXED_GREP_LIMIT:
        return ["-E", "-i", "--grep=^(Link|Message-Id|Closes):"]
    # Lore URLs sometimes carry the id percent-encoded (``%40`` for ``@``).
    patterns = sorted({form for m in wanted for form in (m, quote(m, safe=""))})
    return ["-F", *(f"--grep={p}" for p in patterns)]


def _log(tree: Path, rev: str, greps: Sequence[str]) -> Iterator[tuple[str, str, str, str]]:
    fmt = f"--format=%H{_FIELD}%s{_FIELD}%cI{_FIELD}%B{_RECORD}"
    output = _git(tree, "log", fmt, *greps, rev, "--")
    for record in output.split(_RECORD):
        parts = record.strip("\n").split(_FIELD, 3)
        if len(parts) == 4:
            yield parts[0], parts[1], parts[2], parts[3]


def release_tag(tree: Path, sha: str) -> str | None:
    """The first ``v*`` tag that contains ``sha``: ``v6.19-rc1~3^2~1`` gives ``v6.19-rc1``."""
    try:
        described = _git(tree, "describe", "--contains", "--match", "v[0-9]*", sha).strip()
    except AnalyzerError:
        return None
    return re.split(r"[~^]", described, maxsplit=1)[0] or None


def _check_tree(tree: Path) -> None:
    if not tree.is_dir():
        raise AnalyzerError(f"kernel tree {tree} does not exist")
    _git(tree, "rev-parse", "--git-dir")


def _git(tree: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise AnalyzerError("git is not installed; it is needed to read --kernel-tree") from exc
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AnalyzerError(f"git {args[0]} failed in {tree}: {message[-1] if message else result.returncode}")
    return result.stdout.decode("utf-8", "replace")


def attach_commits(debate: Debate, tree: Path, *, rev: str = "HEAD") -> Debate:
    """The debate with the commits of ``tree`` that point at any of its messages."""
    found = find_merged_commits(tree, debate.messages.keys(), rev=rev)
    known = {(c.sha, c.message_id) for c in debate.commits}
    extra = tuple(c for c in found if (c.sha, c.message_id) not in known)
    return replace(debate, commits=(*debate.commits, *extra))
