"""public-inbox v2 archives: one bare git repository per epoch, one commit per message,
the raw message in blob ``m`` (a commit that removed a message has ``d`` instead).

Read with git itself (``git log`` for the commit list, ``git cat-file --batch`` for the
blobs): it is on every machine this tool targets and is much faster than any pure-Python
git reader. Incremental: the caller passes the last commit read per epoch and only newer
commits are read.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.records import Provenance, RawMail, Rejection

_EPOCH_NAME = re.compile(r"^(\d+)\.git$")


@dataclass(frozen=True, slots=True)
class Epoch:
    path: Path
    key: str
    """Cursor key: ``public-inbox:<resolved path>``."""


def is_bare_git(path: Path) -> bool:
    return path.is_dir() and (path / "HEAD").is_file() and (path / "objects").is_dir()


def find_epochs(path: Path) -> list[Epoch]:
    """Epochs of an inbox: the path itself if it is a bare git epoch, else ``git/N.git``
    (the v2 layout) or ``N.git`` directories below it, in epoch order."""
    if is_bare_git(path):
        candidates = [path]
    else:
        found: list[tuple[int, Path]] = []
        for parent in (path / "git", path):
            if parent.is_dir():
                for child in parent.iterdir():
                    match = _EPOCH_NAME.match(child.name)
                    if match and is_bare_git(child):
                        found.append((int(match.group(1)), child))
        candidates = [p for _, p in sorted(found)]
    return [Epoch(path=p, key=f"public-inbox:{p.resolve()}") for p in candidates]


def is_public_inbox(path: Path) -> bool:
    return bool(find_epochs(path))


def list_new_commits(epoch: Epoch, since: str | None) -> list[tuple[str, int]]:
    """(commit, commit time) of commits after ``since``, oldest first."""
    if since and not _is_ancestor(epoch.path, since):
        since = None  # history was rewritten: read everything again, dedupe keeps it right
    revs = f"{since}..HEAD" if since else "HEAD"
    out = _git(epoch.path, "log", "--reverse", "--format=%H %ct", revs)
    commits: list[tuple[str, int]] = []
    for line in out.splitlines():
        sha, _, stamp = line.partition(" ")
        commits.append((sha, int(stamp or 0)))
    return commits


def read_epoch(
    epoch: Epoch,
    commits: list[tuple[str, int]],
    *,
    max_size: int,
    list_hint: str | None,
) -> Iterator[RawMail | Rejection]:
    """The message of each commit, in order. Deletion commits (no ``m``) are skipped:
    they remove a message, they do not carry one."""
    proc = subprocess.Popen(
        ["git", "-C", str(epoch.path), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    source = str(epoch.path.resolve())
    feeder = threading.Thread(target=_feed, args=(proc.stdin, commits), daemon=True)
    feeder.start()
    try:
        for sha, stamp in commits:
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            provenance = Provenance(
                source=source,
                locator=f"commit:{sha}",
                list_hint=list_hint,
                envelope_date=dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(),
                checkpoint=(epoch.key, sha),
            )
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            if size > max_size:
                yield Rejection("too-large", f"{size} bytes > cap of {max_size}", provenance, size)
            else:
                yield RawMail(data, provenance)
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()
        feeder.join(timeout=5)


def _feed(stdin: object, commits: list[tuple[str, int]]) -> None:
    try:
        for sha, _ in commits:
            stdin.write(f"{sha}:m\n".encode())  # type: ignore[attr-defined]
        stdin.close()  # type: ignore[attr-defined]
    except (BrokenPipeError, ValueError, OSError):
        pass  # the reader stopped early


def _is_ancestor(repo: Path, commit: str) -> bool:
    result = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", commit, "HEAD"],
        capture_output=True,
    )
    return result.returncode == 0


def _git(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise SourceError("git is not installed; install git to read public-inbox archives") from exc
    except subprocess.CalledProcessError as exc:
        raise SourceError(f"git failed on {repo}: {exc.stderr.strip()}") from exc
    return result.stdout


def epochs_with_cursors(path: Path, cursors: Mapping[str, str]) -> list[tuple[Epoch, list[tuple[str, int]]]]:
    return [(epoch, list_new_commits(epoch, cursors.get(epoch.key))) for epoch in find_epochs(path)]
