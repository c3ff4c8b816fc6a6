"""The structure commands (structure, threads, show) through their Typer object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli.structure import commands, sentence_at
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
from tests.conftest import SAMPLES

STRUCTURE = SAMPLES / "structure"
runner = CliRunner()


def ingested(db: Path, *mboxes: Path) -> Path:
    with Store.open(db) as store:
        ingest(store, [(str(m), "mbox") for m in mboxes], IngestOptions(jobs=1))
    return db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return ingested(
        tmp_path / "structure.db",
        STRUCTURE / "missing-parent" / "kvm.mbox",
        *sorted((STRUCTURE / "duplicate-across-lists").glob("*.mbox")),
    )


def test_every_command_has_help() -> None:
    for name in ("structure", "threads", "show"):
        result = runner.invoke(commands, [name, "--help"])
        assert result.exit_code == 0 and "--db" in result.output


def test_structure_prints_what_it_built(db: Path, tmp_path: Path) -> None:
    maintainers = tmp_path / "MAINTAINERS"
    maintainers.write_text("KVM X86\nM:\tAna Lima <ana@example.org>\nS:\tMaintained\n", encoding="utf-8")
    result = runner.invoke(commands, ["structure", "--db", str(db), "--maintainers", str(maintainers), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["messages"], summary["threads"], summary["placeholders"]) == (8, 3, 2)
    assert summary["people_with_roles"] == 1


def test_structure_with_a_missing_aliases_file_says_what_to_do(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(commands, ["structure", "--db", str(db), "--aliases", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "check the path given" in result.output


def test_threads_lists_and_filters(db: Path) -> None:
    result = runner.invoke(commands, ["threads", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(r["messages"], r["participants"]) for r in rows] == [
        (3, ["Ana Lima", "Ben Ortiz"]),
        (2, ["Carla Nunes", "Dan Moss"]),
        (3, ["Kim Novak", "Lou Grant"]),
    ]
    assert rows[2]["lists"] == ["kvm.vger.kernel.org", "kvmarm.lists.linux.dev"]
    on_kvmarm = runner.invoke(commands, ["threads", "--db", str(db), "--list", "kvmarm.lists.linux.dev", "--json"])
    assert [json.loads(line)["thread_id"] for line in on_kvmarm.stdout.splitlines()] == [rows[2]["thread_id"]]
    recent = runner.invoke(commands, ["threads", "--db", str(db), "--since", "2026-04-03", "--json"])
    assert [json.loads(line)["thread_id"] for line in recent.stdout.splitlines()] == [r["thread_id"] for r in rows[1:]]
    table = runner.invoke(commands, ["threads", "--db", str(db), "--limit", "1"], env={"COLUMNS": "200"})
    assert "should the PAT quirk stay on by default?" in table.stdout and "Kim Novak" not in table.stdout
    assert "1 of 3 threads" in table.stderr


@pytest.mark.parametrize(
    ("options", "advice"),
    [
        (["--since", "last week"], "YYYY-MM-DD"),
        (["--list", "linux-mm.kvack.org"], "lists there: kvm.vger.kernel.org, kvmarm.lists.linux.dev"),
    ],
)
def test_threads_rejects_bad_filters_with_advice(db: Path, options: list[str], advice: str) -> None:
    result = runner.invoke(commands, ["threads", "--db", str(db), *options])
    assert result.exit_code == 2 and advice in " ".join(result.output.split())


def test_threads_rebuilds_by_itself_after_new_mail(db: Path) -> None:
    assert runner.invoke(commands, ["structure", "--db", str(db)]).exit_code == 0
    ingested(db, STRUCTURE / "cycle-in-references" / "lkml.mbox")
    result = runner.invoke(commands, ["threads", "--db", str(db), "--json"])
    assert "rebuilding" in result.stderr
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 4


def test_show_unknown_message_points_to_search(db: Path) -> None:
    result = runner.invoke(commands, ["show", "<nope@example.org>", "--db", str(db)])
    assert result.exit_code == 2
    assert "analyzer search" in " ".join(result.output.split())


def test_show_prints_headers_and_place_in_thread(db: Path) -> None:
    result = runner.invoke(commands, ["show", "<b3n-0003@example.com>", "--db", str(db)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "From: Ben Ortiz <ben@example.com>" in text
    assert "In-Reply-To: lost-0002@example.net (not in the database)" in text
    assert "Thread: c0ffee01-0001@example.org (3 messages), depth 2" in text


def test_show_traces_each_quote_to_its_source_sentence_or_says_unresolved(db: Path) -> None:
    result = runner.invoke(commands, ["show", "b3n-0003@example.com", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    quotes = [s for s in json.loads(result.stdout)["segments"] if s["kind"] == "quote"]
    by_depth = {q["depth"]: q["source"] for q in quotes}
    assert by_depth[2] == {
        "message_id": "c0ffee01-0001@example.org",
        "author": "Ana Lima",
        "sentence": "Do we have any evidence that someone depends on it?",
    }
    assert by_depth[1] is None  # quoted from the message this archive never saw
    plain = runner.invoke(commands, ["show", "c0ffee01-0004@example.org", "--db", str(db)])
    flat = " ".join(plain.stdout.split())
    assert '-> from b3n-0003@example.com by Ben Ortiz: "That image was fixed long ago;' in flat
    unresolved = runner.invoke(commands, ["show", "b3n-0003@example.com", "--db", str(db)])
    assert "-> unresolved" in unresolved.stdout


def test_sentence_at_finds_the_sentence_a_span_starts_in() -> None:
    body = "First point. The second one\nwraps a line? Third.\n\n> quoted\nNext paragraph."
    assert sentence_at(body, body.index("second"), body.index("line")) == "The second one wraps a line?"
    assert sentence_at(body, body.index("Third"), body.index("Third") + 5) == "Third."
    assert sentence_at(body, body.index("quoted"), body.index("quoted") + 6) == "quoted Next paragraph."
