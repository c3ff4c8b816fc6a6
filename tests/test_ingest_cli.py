"""`analyzer ingest` from the shell: counts printed and stored, and bad sources (missing,
unreadable, a directory of junk) end in one line that says what to do, and exit 2."""

from __future__ import annotations

import json
import mailbox
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.store.db import Store
from tests.conftest import CORPUS, SAMPLES
from tests.lore_server import LoreFixture, serve

runner = CliRunner()
KVM = CORPUS / "kvm.mbox"


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {stderr!r}"
    assert lines[0].startswith("error: ")
    return lines[0]


def test_json_counts_add_up_and_are_stored(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    sample = SAMPLES / "pathologies" / "not-a-message.mbox"
    result = runner.invoke(app, ["ingest", str(KVM), str(sample), "--db", str(db), "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert list(counts) == ["read", "stored", "duplicates", "rejected"]
    assert counts["rejected"] == {"not-a-message": 1}
    assert counts["read"] == counts["stored"] + counts["duplicates"] + sum(counts["rejected"].values())
    with Store.open(db) as store:
        assert store.runs()[-1]["counts"] == counts | {"status": "complete"}
        assert store.count("messages") == counts["stored"]


def test_table_shows_each_source_and_points_at_the_rejections(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    sample = SAMPLES / "pathologies" / "not-a-message.mbox"
    # wide enough that no cell wraps, wherever the checkout lives (long paths fold, not cut)
    result = runner.invoke(app, ["ingest", str(KVM), str(sample), "--db", str(db), "--no-progress"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert str(KVM) in result.stdout and "not-a-message: 1" in result.stdout
    assert "analyzer rejections" in result.stdout
    again = runner.invoke(app, ["ingest", str(KVM), "--db", str(db), "--no-progress"], env={"COLUMNS": "300"})
    assert again.exit_code == 0, again.output
    row = next(line for line in again.stdout.splitlines() if KVM.name in line)
    # read, stored, duplicates, rejected: every message of the mbox again, all duplicates
    assert [cell.strip() for cell in row.split("│")[2:6]] == ["23", "0", "23", "0"]


def test_nonexistent_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-archive.mbox"
    result = runner.invoke(app, ["ingest", str(missing), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    line = _one_error_line(result.stderr)
    assert str(missing) in line and "no such file" in line


def test_a_bad_source_stops_the_run_before_anything_is_read(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = runner.invoke(app, ["ingest", str(KVM), str(tmp_path / "typo.mbox"), "--db", str(db)])
    assert result.exit_code == 2
    _one_error_line(result.stderr)
    with Store.open(db) as store:
        assert store.count("messages") == 0, "the good source must not be half-ingested"


def test_directory_of_junk(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("shopping list\n")
    (junk / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (junk / "sub").mkdir()
    result = runner.invoke(app, ["ingest", str(junk), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    line = _one_error_line(result.stderr)
    assert "Maildir" in line and "give mbox files by name" in line


def test_wrong_format_for_what_is_on_disk(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(KVM), "--format", "maildir", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "--format maildir needs a Maildir" in _one_error_line(result.stderr)


def test_error_text_is_not_read_as_markup(tmp_path: Path) -> None:
    odd = tmp_path / "[bold]x[/bold] [PATCH v2].mbox"
    result = runner.invoke(app, ["ingest", str(odd), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "[bold]x[/bold] [PATCH v2].mbox" in _one_error_line(result.stderr)


@pytest.fixture
def unreadable_mbox(tmp_path: Path) -> Path:
    mbox = tmp_path / "private.mbox"
    shutil.copyfile(KVM, mbox)
    mbox.chmod(0o000)
    return mbox


def _as_an_ordinary_user(command: list[str]) -> list[str]:
    """Root reads files whatever their mode; without the two capabilities that let it
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) it is held to the permission bits."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test unreadable files as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]


def test_unreadable_file(unreadable_mbox: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from analyzer.cli import main; main()"]
    command += ["ingest", str(unreadable_mbox), "--db", str(tmp_path / "a.db")]
    done = subprocess.run(_as_an_ordinary_user(command), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done.stderr)
    assert str(unreadable_mbox) in line and "cannot be read" in line and "permission" in line.lower()


def test_a_lore_message_id_through_the_command(tmp_path: Path) -> None:
    """The HTTP client is built only for lore sources; here one is, against a loopback
    server standing in for lore."""
    thread = b"".join(
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + data.replace(b"\nFrom ", b"\n>From ") + b"\n"
        for data in _messages(KVM)[:3]
    )
    root = "20260505021233.88412-1-weilin.chen@example.com"
    with serve(LoreFixture(threads={root: thread})) as lore:
        command = ["ingest", root, "--lore-base", lore.base, "--cache-dir", str(tmp_path / "cache")]
        result = runner.invoke(app, [*command, "--db", str(tmp_path / "a.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"read": 3, "stored": 3, "duplicates": 0, "rejected": {}}


def _messages(path: Path) -> list[bytes]:
    return [bytes(m) for m in mailbox.mbox(str(path))]


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    command = [str(Path(sys.executable).with_name("analyzer")), "ingest", str(CORPUS / "kvm.mbox"), "--db", str(db)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("ingest ")]
    assert lines and lines[-1].endswith(" done"), run.stderr
    assert "\x1b[" not in run.stderr, "no terminal control codes in a log"
    quiet = subprocess.run([*command, "--no-progress"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and not [line for line in quiet.stderr.splitlines() if line.startswith("ingest ")]


def test_plain_progress_reports_each_tenth_and_every_interval() -> None:
    from analyzer.cli.common import PlainProgress, err

    now = [0.0]
    with err.capture() as captured:
        progress = PlainProgress("analyse", every=30.0, clock=lambda: now[0])
        progress.start("threads", 100)
        for _ in range(100):
            progress.advance(1)
        now[0] = 100.0
        progress.advance(0)
        progress.finish()
    lines = captured.get().splitlines()
    assert lines[0] == "analyse threads: 0/100 (0%), 0:00"
    assert [line for line in lines if "(50%)" in line] == ["analyse threads: 50/100 (50%), 0:00"]
    assert len(lines) == 1 + 10 + 1 + 1  # start, each tenth, the 30 s mark, finish
    assert lines[-1] == "analyse threads: 100/100 (100%), 1:40 done"
