"""Every source format reads the same mail: compressed mbox, Maildir, .eml folders and
public-inbox v2 archives (incrementally), and an interrupted ingest resumes cleanly."""

from __future__ import annotations

import gzip
import lzma
import mailbox
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.errors import SourceError
from analyzer.ingest.parser_pool import POOL_THRESHOLD, ParserPool
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.ingest.prefetch import Prefetch
from analyzer.ingest.sources import ReadOptions, detect
from analyzer.mail.parse import ParsePolicy
from analyzer.records import Message, Provenance, RawMail
from analyzer.store.db import Store
from tests.conftest import CORPUS, IngestFn

KVM = CORPUS / "kvm.mbox"


def _corpus_ids(store: Store) -> set[str]:
    return {m.message_id for m in store.messages()}


@pytest.mark.parametrize("compress", [gzip.compress, lzma.compress], ids=["gz", "xz"])
def test_compressed_mbox_reads_like_plain(tmp_path: Path, run_ingest: IngestFn, store: Store, compress) -> None:  # type: ignore[no-untyped-def]
    packed = tmp_path / "kvm.mbox.packed"
    packed.write_bytes(compress(KVM.read_bytes()))
    counts = run_ingest(packed).counts
    plain = Store.open(tmp_path / "plain.db")
    expected = ingest(plain, [(str(KVM), "auto")], IngestOptions(jobs=1)).counts
    assert counts.as_dict() == expected.as_dict()
    assert _corpus_ids(store) == _corpus_ids(plain)


def test_mboxo_keeps_escaped_from_lines(run_ingest: IngestFn, store: Store) -> None:
    run_ingest(CORPUS / "kvmarm.mbox", mbox_variant="mboxo")
    assert any(">From " in m.body for m in store.messages())


def _mbox_messages(path: Path) -> list[bytes]:
    return [bytes(m) for m in mailbox.mbox(str(path))]


def test_maildir_and_eml_folder(tmp_path: Path, run_ingest: IngestFn, store: Store) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    emls = tmp_path / "emls"
    emls.mkdir()
    raw = _mbox_messages(KVM)
    for index, data in enumerate(raw):
        box.add(mailbox.MaildirMessage(data))
        (emls / f"{index:03}.eml").write_bytes(data)
    assert detect(str(tmp_path / "Maildir")) == "maildir"
    assert detect(str(emls)) == "eml"
    from_maildir = run_ingest(tmp_path / "Maildir").counts
    assert from_maildir.read == len(raw) and from_maildir.stored == len(raw)
    from_emls = run_ingest(emls).counts
    assert from_emls.read == len(raw) and from_emls.duplicates == len(raw) and from_emls.stored == 0


def test_unknown_directory_says_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing")
    with pytest.raises(SourceError, match="Maildir"):
        detect(str(tmp_path))


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(repo)}
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True, env=env)
    return done.stdout.decode()


def make_public_inbox(path: Path, messages: list[bytes]) -> Path:
    """A v2 inbox (git/0.git) written the way public-inbox does: one commit per message,
    the raw message in blob ``m``."""
    epoch = path / "git" / "0.git"
    epoch.mkdir(parents=True)
    _git(epoch, "init", "--bare", "-q")
    add_to_public_inbox(epoch, messages)
    return path


def add_to_public_inbox(epoch: Path, messages: list[bytes]) -> None:
    parent = None
    try:
        parent = _git(epoch, "rev-parse", "-q", "--verify", "HEAD").strip()
    except subprocess.CalledProcessError:
        parent = None
    for data in messages:
        blob = _git(epoch, "hash-object", "-w", "--stdin", stdin=data).strip()
        tree = _git(epoch, "mktree", stdin=f"100644 blob {blob}\tm\n".encode()).strip()
        args = ["commit-tree", tree, "-m", "message"] + (["-p", parent] if parent else [])
        parent = _git(epoch, *args).strip()
        _git(epoch, "update-ref", "refs/heads/master", parent)
    _git(epoch, "symbolic-ref", "HEAD", "refs/heads/master")


def delete_from_public_inbox(epoch: Path) -> None:
    """A deletion commit as public-inbox writes one: blob ``m`` removed, ``d`` added."""
    parent = _git(epoch, "rev-parse", "HEAD").strip()
    blob = _git(epoch, "hash-object", "-w", "--stdin", stdin=b"removed by request\n").strip()
    tree = _git(epoch, "mktree", stdin=f"100644 blob {blob}\td\n".encode()).strip()
    commit = _git(epoch, "commit-tree", tree, "-m", "delete", "-p", parent).strip()
    _git(epoch, "update-ref", "refs/heads/master", commit)


def test_public_inbox_deletion_commits_carry_no_message(tmp_path: Path, run_ingest: IngestFn, store: Store) -> None:
    raw = _mbox_messages(KVM)
    inbox = make_public_inbox(tmp_path / "inbox", raw[:5])
    epoch = inbox / "git" / "0.git"
    delete_from_public_inbox(epoch)
    add_to_public_inbox(epoch, raw[5:8])
    counts = run_ingest(inbox).counts
    assert (counts.read, counts.stored) == (8, 8), "9 commits, one of them a deletion"
    assert counts.balanced()


def test_without_git_a_public_inbox_says_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.ingest.publicinbox import plan_epochs

    inbox = make_public_inbox(tmp_path / "inbox", _mbox_messages(KVM)[:1])
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(SourceError, match="git is not installed"):
        plan_epochs(inbox, {})


def test_public_inbox_is_read_incrementally(tmp_path: Path, run_ingest: IngestFn, store: Store) -> None:
    raw = _mbox_messages(KVM)
    inbox = make_public_inbox(tmp_path / "inbox", raw[:10])
    assert detect(str(inbox)) == "public-inbox"
    first = run_ingest(inbox).counts
    assert (first.read, first.stored) == (10, 10)
    again = run_ingest(inbox).counts
    assert again.read == 0, "a re-run must read only new commits"
    add_to_public_inbox(inbox / "git" / "0.git", raw[10:])
    more = run_ingest(inbox).counts
    assert (more.read, more.stored) == (len(raw) - 10, len(raw) - 10)
    assert store.count("messages") == len(raw)
    # the bare epoch path itself is a source too; its cursor is the same
    assert run_ingest(inbox / "git" / "0.git").counts.read == 0


class _Killed(Exception):
    pass


class _KillAfter:
    def __init__(self, batches: int) -> None:
        self.left = batches

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise _Killed()

    def finish(self) -> None:
        pass


def test_killed_ingest_resumes_without_loss_or_duplicates(tmp_path: Path, store: Store) -> None:
    raw = _mbox_messages(KVM) + _mbox_messages(CORPUS / "kvmarm.mbox")
    inbox = make_public_inbox(tmp_path / "inbox", raw)
    options = IngestOptions(read=ReadOptions(), jobs=1, batch_size=7)
    with pytest.raises(_Killed):
        ingest(store, [(str(inbox), "auto")], options, progress=_KillAfter(2))
    partial = store.count("messages")
    assert 0 < partial < len(raw)
    interrupted = store.runs()[-1]["counts"]
    assert interrupted["status"] == "interrupted"
    assert interrupted["read"] == interrupted["stored"] + interrupted["duplicates"] == partial
    resumed = ingest(store, [(str(inbox), "auto")], options).counts
    assert resumed.balanced()
    unique = len({m.message_id for m in store.messages()})
    assert store.count("messages") == unique == 42
    assert resumed.read < len(raw), "the resumed run must start after the last stored batch"


class _BatchSizes:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        self.sizes.append(count)

    def finish(self) -> None:
        pass


def test_batches_are_capped_in_bytes_as_well_as_in_messages(store: Store) -> None:
    """A run of huge messages must not gather a thousand of them in memory at once."""
    recorder = _BatchSizes()
    options = IngestOptions(read=ReadOptions(), jobs=1, batch_size=1000, batch_bytes=2500)
    counts = ingest(store, [(str(KVM), "auto")], options, progress=recorder).counts
    sizes = {len(m) for m in _mbox_messages(KVM)}
    assert min(sizes) > 1250, "each corpus message is over half the byte cap"
    assert recorder.sizes and set(recorder.sizes) == {1}
    assert sum(recorder.sizes) == counts.read


def test_a_damaged_archive_rejects_the_lost_message_instead_of_skipping_it(
    tmp_path: Path, run_ingest: IngestFn, store: Store
) -> None:
    raw = _mbox_messages(KVM)[:4]
    inbox = make_public_inbox(tmp_path / "inbox", raw)
    epoch = inbox / "git" / "0.git"
    lost = _git(epoch, "hash-object", "--stdin", stdin=raw[2]).strip()
    (epoch / "objects" / lost[:2] / lost[2:]).unlink()
    counts = run_ingest(inbox).counts
    assert counts.as_dict() == {"read": 4, "stored": 3, "duplicates": 0, "rejected": {"unreadable": 1}}
    (rejection,) = store.rejections()
    assert "git fsck" in rejection["detail"] and rejection["locator"].startswith("commit:")


def test_reader_thread_hands_errors_to_the_consumer_and_closes_its_source() -> None:
    closed: list[str] = []

    def source() -> Iterator[int]:
        try:
            yield 1
            yield 2
            raise OSError("disk went away")
        finally:
            closed.append("closed")

    got: list[int] = []
    with pytest.raises(OSError, match="disk went away"):
        with Prefetch(source(), depth=1) as ahead:
            for item in ahead:
                got.append(item)
    assert got == [1, 2], "what was read before the error still arrives, in order"
    assert closed == ["closed"]

    def endless() -> Iterator[int]:
        try:
            while True:
                yield 0
        finally:
            closed.append("endless closed")

    with Prefetch(endless(), depth=2) as ahead:
        assert next(iter(ahead)) == 0
    assert closed[-1] == "endless closed", "stopping early must close the source in its thread"


def test_parsing_goes_on_in_process_when_the_workers_die() -> None:
    raws = [RawMail(data, Provenance("test", str(i))) for i, data in enumerate(_mbox_messages(KVM) * 4)]
    assert len(raws) >= POOL_THRESHOLD
    with ParserPool(ParsePolicy(), jobs=2) as pool:
        first = pool.submit(raws)()
        for process in list(pool._pool._processes.values()):  # type: ignore[union-attr]
            os.kill(process.pid, signal.SIGKILL)
        again = pool.submit(raws)()
        assert pool.jobs == 1, "after the workers died, parsing falls back to this process"
    assert [m.message_id for m in again if isinstance(m, Message)] == [m.message_id for m in first if isinstance(m, Message)]
    assert len(again) == len(raws)
