"""Sources that are not what they seem and machines that fail: every refusal is one clear
line with exit status 2 (never a traceback), every odd Maildir entry is counted and
rejected rather than read, and text from mail reaches the terminal with its control
sequences shown, not executed."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.display import visible, visible_json
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
from tests.conftest import ROOT, SAMPLES, require_shared

runner = CliRunner()
_MAIL = (SAMPLES / "pathologies" / "crlf.mbox").read_bytes().split(b"\n", 1)[1]
_ENV = os.environ | {"PYTHONPATH": str(ROOT)}


def _one_line_refusal(result: object) -> str:
    output = getattr(result, "output")
    assert getattr(result, "exit_code") == 2, output
    assert "Traceback" not in output and output.count("error:") == 1
    return str(output)


def _maildir(root: Path) -> Path:
    box = root / "box"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1.host").write_bytes(_MAIL)
    (box / "cur" / ".hidden").write_bytes(_MAIL)
    (box / "tmp" / "2.host").write_bytes(_MAIL)
    (box / "cur" / "dir").mkdir()
    os.mkfifo(box / "new" / "fifo")
    (box / "cur" / "passwd").symlink_to("/etc/passwd")
    (box / "cur" / "inside").symlink_to(box / "new" / "1.host")
    return box


def test_maildir_entries_that_are_not_mail_files_are_rejected_not_read(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    with Store.open(tmp_path / "m.db") as store:
        counts = ingest(store, [(str(box), "auto")], IngestOptions(jobs=1)).counts
        # new/1.host and the symlink to it inside the box are read (one message seen twice);
        # the dotfile and tmp/ are not mail; the FIFO, folder and symlink out are refused.
        assert (counts.read, counts.stored, counts.duplicates) == (5, 1, 1)
        assert counts.rejected == {"unsafe-file": 3} and counts.balanced()
        details = {r["locator"]: r["detail"] for r in store.rejections()}
        assert "FIFO" in details["maildir:fifo"] and "outside the source" in details["maildir:passwd"]
        assert "root:" not in " ".join(m.body for m in store.messages())


def test_eml_folder_does_not_follow_symlinks_out(tmp_path: Path) -> None:
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "one.eml").write_bytes(_MAIL)
    (folder / "out.eml").symlink_to("/etc/passwd")
    (folder / ".hidden.eml").write_bytes(_MAIL)
    with Store.open(tmp_path / "e.db") as store:
        counts = ingest(store, [(str(folder), "eml")], IngestOptions(jobs=1)).counts
    assert (counts.read, counts.stored, counts.rejected) == (2, 1, {"unsafe-file": 1})


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder whatever its permissions")
def test_unlistable_maildir_cur_is_one_clear_error(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    (box / "cur").chmod(0)
    try:
        result = runner.invoke(app, ["ingest", str(box), "--db", str(tmp_path / "m.db")])
    finally:
        (box / "cur").chmod(0o755)
    assert "cur: cannot be listed" in _one_line_refusal(result)


def test_a_git_repository_that_is_not_an_archive_is_one_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "tree.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "README").write_text("not mail\n")
    for args in (["add", "README"], ["-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(work), *args], check=True)
    subprocess.run(["git", "-C", str(work), "push", "-q", str(repo), "HEAD:refs/heads/master"], check=True)
    subprocess.run(["git", "-C", str(repo), "symbolic-ref", "HEAD", "refs/heads/master"], check=True)
    result = runner.invoke(app, ["ingest", str(repo), "--db", str(tmp_path / "g.db")])
    assert "not a public-inbox archive" in _one_line_refusal(result)


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "SAMPLE", "-j", "-5"],
        ["report", "--all", "-o", "FILE"],
        ["report", "--all", "-o", "FILE/below", "--format", "md"],
    ],
)
def test_bad_options_and_paths_are_refused_in_one_line(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "r.db"
    sample = SAMPLES / "pathologies" / "crlf.mbox"
    assert runner.invoke(app, ["ingest", str(sample), "--db", str(db)]).exit_code == 0
    (tmp_path / "FILE").write_text("already here")
    filled = [a.replace("SAMPLE", str(sample)).replace("FILE", str(tmp_path / "FILE")) for a in args]
    _one_line_refusal(runner.invoke(app, [*filled, "--db", str(db)]))


def _limited_to(size: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_full_disk_during_ingest_and_analyze_is_one_clear_error(tmp_path: Path) -> None:
    sources = [str(p) for p in sorted(require_shared("silver").glob("*.mbox"))[:12]]
    command = [sys.executable, "-c", "from analyzer.cli import main; main()"]
    full = subprocess.run(
        [*command, "ingest", *sources, "--db", str(tmp_path / "full.db"), "--no-progress"],
        env=_ENV, capture_output=True, text=True, preexec_fn=lambda: _limited_to(600_000),
    )
    assert full.returncode == 2 and "Traceback" not in full.stderr and "disk space" in full.stderr
    db = tmp_path / "room.db"
    assert subprocess.run([*command, "ingest", *sources, "--db", str(db), "--no-progress"], env=_ENV).returncode == 0
    size = db.stat().st_size
    analyse = subprocess.run(  # a hang is a failure here, not a CI run that never ends
        [*command, "analyze", "--db", str(db), "--no-progress"],
        env=_ENV, capture_output=True, text=True, preexec_fn=lambda: _limited_to(size + 100_000), timeout=600,
    )
    assert analyse.returncode == 2 and "Traceback" not in analyse.stderr and "disk space" in analyse.stderr


# -- terminal safety -------------------------------------------------------------------

_HOSTILE_NAME = "Mallory \x1b]0;pwned\x07"
_HOSTILE_SUBJECT = "policy \x1b[2J\x1b[H\u202egnp.exe"


def _hostile_mbox(path: Path) -> Path:
    path.write_bytes(
        (
            "From m@example.org Mon May 11 09:30:42 2026\n"
            f"From: =?utf-8?b?{__import__('base64').b64encode(_HOSTILE_NAME.encode()).decode()}?= <m@example.org>\n"
            "To: kvm@vger.kernel.org\n"
            f"Subject: =?utf-8?b?{__import__('base64').b64encode(_HOSTILE_SUBJECT.encode()).decode()}?=\n"
            "Date: Mon, 11 May 2026 11:30:42 +0200\n"
            "Message-ID: <hostile-1@example.org>\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "X-Synthetic: yes - written for the mlpa project\n\n"
            "Click \x1b]8;;http://evil.example/\x1b\\here\x1b]8;;\x1b\\ and \x9b31m red.\n\n"
        ).encode()
    )
    return path


def test_escape_sequences_from_mail_are_shown_not_sent_to_the_terminal(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    assert runner.invoke(app, ["ingest", str(_hostile_mbox(tmp_path / "h.mbox")), "--db", db]).exit_code == 0
    with Store.open(db) as store:
        stored = store.message("hostile-1@example.org")
        assert stored is not None and "\x1b" in stored.subject + stored.author_name  # kept as sent, shown safely
    for args in (["threads"], ["threads", "--json"], ["show", "hostile-1@example.org"], ["show", "hostile-1@example.org", "--json"],
                 ["search", "Click"], ["stats"], ["rejections"]):
        result = runner.invoke(app, [*args, "--db", db], env={"COLUMNS": "300"})
        assert result.exit_code == 0, (args, result.output)
        assert not any(c in result.output for c in ("\x1b", "\x07", "\x9b", "\u202e")), (args, result.output)
    shown = runner.invoke(app, ["show", "hostile-1@example.org", "--db", db], env={"COLUMNS": "300"}).output
    assert "\\x1b]8;;http://evil.example/" in shown and "\\x9b31m" in shown
    as_json = json.loads(runner.invoke(app, ["show", "hostile-1@example.org", "--json", "--db", db]).output)
    assert as_json["subject"] == stored.subject  # the JSON still says exactly what was sent
    report = runner.invoke(app, ["report", "--all", "--db", db, "-o", str(tmp_path / "r"), "--format", "md"])
    assert report.exit_code == 0, report.output
    pages = [p.read_text() for p in (tmp_path / "r").glob("*.md")]  # the corpus report and the thread's own
    assert len(pages) >= 2
    for page in pages:
        assert "\x1b" not in page  # a Markdown file is read in terminals too
    assert any("\\x1b" in page for page in pages)


def test_visible_keeps_text_and_layout_and_shows_controls() -> None:
    assert visible("plain text, ünïcode, 中文\n\ttabbed") == "plain text, ünïcode, 中文\n\ttabbed"
    assert visible("a\x1b[31mb\x00c\x7f") == "a\\x1b[31mb\\x00c\\x7f"
    assert visible("one\ntwo", multiline=False) == "one\\x0atwo"
    assert visible("\u202eevil") == "\\u202eevil"
    text = json.dumps({"s": "x\x9b\u2028y"}, ensure_ascii=False, indent=1)
    assert json.loads(visible_json(text)) == {"s": "x\x9b\u2028y"} and "\x9b" not in visible_json(text)
