"""public-inbox v2 archives: one bare git repository per epoch, one commit per message,
the raw message in blob ``m`` (a commit that removed a message has ``d`` instead).

Read with git itself (``git log`` for the commit list, ``git cat-file --batch`` for the
blobs): it is on every machine this tool targets and is much faster than any pure-Python
git reader. Incremental: the caller passes the last commit read per epoch and only newer
commits are read.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import subprocess
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analyzer.errors import SourceError
from analyzer.records import Provenance, RawMail, Rejection, too_large_detail

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


def check_archive(path: Path) -> None:
    """SourceError when a git repository found as an epoch is not a public-inbox archive:
    its last commit holds neither a message (blob ``m``) nor a deletion (``d``). One clear
    error instead of a rejection for every commit of, say, a kernel tree."""
    for epoch in find_epochs(path):
        if _has_head(epoch) and not any(_git_ok(epoch.path, "cat-file", "-e", f"HEAD:{name}") for name in ("m", "d")):
            raise SourceError(
                f"{epoch.path}: a git repository, but not a public-inbox archive (its commits hold no message "
                "file 'm'); give an archive cloned from lore (git clone --mirror https://lore.kernel.org/LIST/0)"
            )


@dataclass(frozen=True, slots=True)
class EpochRead:
    """The commits of one epoch still to read: those after ``since`` (all when None)."""

    epoch: Epoch
    since: str | None
    count: int


def plan_epochs(path: Path, cursors: Mapping[str, str]) -> list[EpochRead]:
    """What an incremental read of the inbox at ``path`` will read, epoch by epoch."""
    plan: list[EpochRead] = []
    for epoch in find_epochs(path):
        since = cursors.get(epoch.key)
        if since and not _is_ancestor(epoch.path, since):
            since = None  # history was rewritten: read everything again, dedupe keeps it right
        count = int(_git(epoch.path, "rev-list", "--count", _revisions(since)).strip() or 0) if _has_head(epoch) else 0
        plan.append(EpochRead(epoch=epoch, since=since, count=count))
    return plan


def _has_head(epoch: Epoch) -> bool:
    """False for an epoch with no commit yet (a freshly created inbox)."""
    return _git_ok(epoch.path, "rev-parse", "-q", "--verify", "HEAD")


def _revisions(since: str | None) -> str:
    return f"{since}..HEAD" if since else "HEAD"


def list_new_commits(epoch: Epoch, since: str | None) -> list[tuple[str, int]]:
    """(commit, commit time) of the commits after ``since``, oldest first, as a list
    (for a slice of an archive; a whole one is better streamed with stream_epoch)."""
    with _popen(epoch.path, "log", "--reverse", "--format=%H %ct", _revisions(since)) as log:
        assert log.stdout is not None
        return list(_listed_commits(log.stdout))


def write_first_messages(archive: Path, count: int, mbox: Path, *, max_size: int = 25 * 1024 * 1024) -> None:
    """The first ``count`` messages of a one-epoch archive as an mbox (test and benchmark
    stores of a chosen size, built from a real archive)."""
    import mailbox

    (epoch,) = find_epochs(archive)
    box = mailbox.mbox(mbox)
    try:
        for raw in read_epoch(epoch, list_new_commits(epoch, None)[:count], max_size=max_size, list_hint=None):
            if isinstance(raw, RawMail):
                box.add(raw.data)
    finally:
        box.close()


def stream_epoch(reads: EpochRead, *, max_size: int, list_hint: str | None) -> Iterator[RawMail | Rejection]:
    """Every message still to read in one epoch, oldest first. ``git log`` lists the
    commits straight into ``git cat-file``, so memory does not grow with the archive."""
    if reads.count == 0:
        return
    commits = stream_commits(reads)
    try:
        yield from read_epoch(reads.epoch, commits, max_size=max_size, list_hint=list_hint)
    finally:
        commits.close()


def stream_commits(reads: EpochRead) -> Generator[tuple[str, int], None, None]:
    """(commit, commit time) of the commits still to read in one epoch, oldest first,
    streamed from ``git log``; closing the iterator stops git."""
    if reads.count == 0:
        return
    log = _popen(reads.epoch.path, "log", "--reverse", "--format=%H %ct", _revisions(reads.since))
    assert log.stdout is not None
    try:
        yield from _listed_commits(log.stdout)
    finally:
        log.kill()
        log.stdout.close()
        log.wait()


def read_epoch(
    epoch: Epoch, commits: Iterable[tuple[str, int]], *, max_size: int, list_hint: str | None
) -> Iterator[RawMail | Rejection]:
    """The message of each (commit, commit time), in order. A feeder thread passes the
    commits to ``git cat-file --batch`` through a bounded queue. Deletion commits (``d``
    instead of ``m``) are skipped: they remove a message, they do not carry one. Any
    other commit without a readable ``m`` is a damaged archive: a Rejection, never a
    silent skip."""
    # git's delta-base cache (96 MiB by default) is the one part of the read that grows
    # with the archive; a 16 MiB cap reads this archive just as fast.
    blobs = _popen(epoch.path, "-c", "core.deltaBaseCacheLimit=16m", "cat-file", "--batch", stdin=True)
    assert blobs.stdin is not None and blobs.stdout is not None
    # A big read buffer serves most messages without a system call (each one a hand-off
    # of the GIL to the threads writing the database and feeding the parsers).
    output = open(blobs.stdout.fileno(), "rb", buffering=1 << 20, closefd=False)
    order: queue.Queue[tuple[str, int] | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
    feeder = threading.Thread(target=_feed, args=(iter(commits), blobs.stdin, order), daemon=True)
    feeder.start()
    source = str(epoch.path.resolve())
    try:
        while (commit := order.get()) is not None:
            sha, stamp = commit
            line = output.readline()
            if not line:
                raise SourceError(f"{epoch.path}: git cat-file stopped at commit {sha}; check the archive with git fsck")
            header = line.split()
            provenance = Provenance(
                source=source,
                locator=f"commit:{sha}",
                list_hint=list_hint,
                envelope_date=dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(),
                checkpoint=(epoch.key, sha),
            )
            if len(header) == 3 and header[1] == b"blob":
                yield _blob(output, int(header[2]), provenance, max_size)
            elif not _is_deletion(epoch, sha):
                answer = line.decode("ascii", "replace").strip()
                yield Rejection("unreadable", f"no message in commit {sha} ({answer}); check the archive with git fsck", provenance)
    finally:
        _stop(blobs, order, feeder)
        output.close()


def _is_deletion(epoch: Epoch, sha: str) -> bool:
    return _git_ok(epoch.path, "cat-file", "-e", f"{sha}:d")


def _listed_commits(log_out: IO[bytes]) -> Iterator[tuple[str, int]]:
    for line in log_out:
        sha, _, stamp = line.decode("ascii").strip().partition(" ")
        if sha:
            yield sha, int(stamp or 0)


_QUEUE_DEPTH = 4096
"""Commits listed ahead of the one being read (~100 bytes each)."""


def _blob(stream: IO[bytes], size: int, provenance: Provenance, max_size: int) -> RawMail | Rejection:
    """Read one object of ``size`` bytes (and its trailing newline) from cat-file; an
    object over the cap is skipped in chunks, never held whole."""
    if size > max_size:
        left = size + 1
        while left > 0:
            left -= len(stream.read(min(left, 1 << 20)) or b"\0" * left)
        return Rejection("too-large", too_large_detail(size, max_size), provenance, size)
    data = stream.read(size)
    stream.read(1)
    return RawMail(data, provenance)


def _feed(commits: Iterator[tuple[str, int]], blobs_in: IO[bytes], order: queue.Queue[tuple[str, int] | None]) -> None:
    """Pass each commit to cat-file, in order, and tell the reader which one it was.
    Requests are flushed every few commits and always before waiting for the reader, so
    the reader is never left waiting for a request still sitting in this buffer."""
    try:
        for number, commit in enumerate(commits, start=1):
            try:
                order.put_nowait(commit)
            except queue.Full:
                blobs_in.flush()
                order.put(commit)
            blobs_in.write(f"{commit[0]}:m\n".encode())
            if number % _FLUSH_EVERY == 0:
                blobs_in.flush()
        blobs_in.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the reader stopped early
    finally:
        order.put(None)


_FLUSH_EVERY = 64


def _stop(blobs: subprocess.Popen[bytes], order: queue.Queue[tuple[str, int] | None], feeder: threading.Thread) -> None:
    blobs.kill()
    while feeder.is_alive():  # unblock a feeder waiting on a full queue
        try:
            order.get_nowait()
        except queue.Empty:
            pass
        feeder.join(timeout=0.05)
    for stream in (blobs.stdin, blobs.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass  # unflushed requests to a git that is gone (killed, or stopped by Ctrl-C)
    blobs.wait()


_NO_GIT = "git is not installed; install git to read public-inbox archives"


def _popen(repo: Path, *args: str, stdin: bool = False) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            ["git", "-C", str(repo), *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise SourceError(_NO_GIT) from exc


def _is_ancestor(repo: Path, commit: str) -> bool:
    return _git_ok(repo, "merge-base", "--is-ancestor", commit, "HEAD")


def _git_ok(repo: Path, *args: str) -> bool:
    """Whether a git command that answers by its exit status says yes."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True).returncode == 0
    except FileNotFoundError as exc:
        raise SourceError(_NO_GIT) from exc


def _git(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise SourceError(_NO_GIT) from exc
    except subprocess.CalledProcessError as exc:
        raise SourceError(f"git failed on {repo}: {exc.stderr.strip()}") from exc
    return result.stdout
