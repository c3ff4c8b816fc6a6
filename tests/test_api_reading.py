"""A notebook's ``api.add_sources`` and the CLI's ``ingest`` + ``analyze`` store the same
analysis under the same fingerprint: the learned cascade by default, the cue rules when
asked for. Either then finds the other's threads up to date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli import app
from analyzer.errors import ConfigError
from analyzer.learn.model import DEFAULT_READING
from tests.conftest import CORPUS, Rows, analysis_records

SOURCES = (CORPUS / "kvm.mbox", CORPUS / "kvmarm.mbox")
runner = CliRunner()


def _cli(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json", "--no-progress"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.stdout)
    return found


def _by_cli(db: Path, *analyze: str) -> Rows:
    _cli("ingest", *(str(s) for s in SOURCES), "--db", str(db))
    report = _cli("analyze", "--db", str(db), "-j", "1", *analyze)
    assert report["analysed"] == report["threads"] == 4
    return analysis_records(db)


def _by_api(db: Path, **encoder: str | None) -> Rows:
    with api.open_store(db) as store:
        report = api.add_sources(store, *(str(s) for s in SOURCES), **encoder)  # type: ignore[arg-type]
    assert report.analysis.analysed == report.analysis.threads == 4
    return analysis_records(db)


def test_add_sources_stores_what_analyze_stores_by_default(tmp_path: Path) -> None:
    """The CLI's default reading (the learned cascade with its bundle's gate) is
    add_sources' default: the same records, the same fingerprint on every thread."""
    notebook = _by_api(tmp_path / "notebook.db")
    cli = _by_cli(tmp_path / "cli.db")
    assert notebook == cli
    assert len(cli["claims"]) > 10 and len(cli["relations"]) > 20 and cli["stage_failures"] == []
    # the CLI's default finds the notebook's threads up to date: they carry its fingerprint
    again = _cli("analyze", "--db", str(tmp_path / "notebook.db"), "-j", "1", "--encoder", DEFAULT_READING)
    assert (again["analysed"], again["unchanged"]) == (0, 4)


def test_add_sources_with_the_rules_stores_what_analyze_method_rules_stores(tmp_path: Path) -> None:
    rules = _by_api(tmp_path / "rules.db", encoder="rules")
    assert _by_api(tmp_path / "none.db", encoder=None) == rules
    assert _by_cli(tmp_path / "cli.db", "--method", "rules") == rules
    again = _cli("analyze", "--db", str(tmp_path / "none.db"), "-j", "1", "--method", "rules")
    assert (again["analysed"], again["unchanged"]) == (0, 4)
    # the learned reading's fingerprint is another: it reads every thread again
    assert _by_api(tmp_path / "rules.db") != rules


def test_an_unknown_encoder_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    with api.open_store(tmp_path / "s.db") as store:
        with pytest.raises(ConfigError, match="unknown encoder 'mini'"):
            api.add_sources(store, str(SOURCES[0]), encoder="mini")
        assert store.count("messages") == 0
