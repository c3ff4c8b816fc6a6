"""One fetch policy for the CLI and the dashboard: allowed hosts only, redirects checked
against the same list, odd URLs refused in one clear line (real loopback servers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.dashboard.safety import Refused, fetch_ref
from analyzer.errors import ConfigError
from analyzer.ingest.fetch_policy import FetchPolicy, FetchRefused, parse_hosts
from analyzer.store.db import Store
from tests.lore_server import LoreFixture, serve
from tests.test_dashboard_safety import ROOT_ID, THREAD, redirecting_to

runner = CliRunner()
LORE = FetchPolicy(parse_hosts("lore.kernel.org"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"https://lore.kernel.org\uff0fkvmarm/{ROOT_ID}/", "full-width slash"),
        (f"https://lore\uff0ekernel.org/kvmarm/{ROOT_ID}/", "full-width slash or dot"),
        (f"https://lore.kernel.org/kvmarm/{ROOT_ID}\x1b[2J/", "control character"),
        (f"https://lore.kernel.org:99999/kvmarm/{ROOT_ID}/", "not a valid URL"),
        (f"https://lore.kernel.org.evil.example/kvmarm/{ROOT_ID}/", "not a configured archive host"),
        (f"ftp://lore.kernel.org/kvmarm/{ROOT_ID}/", "not a configured archive host"),
        (f"https://a@lore.kernel.org/kvmarm/{ROOT_ID}/", "user name or password"),
        ("../../etc/passwd", "local paths"),
    ],
)
def test_odd_urls_are_refused_before_any_request(text: str, reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        LORE.thread(text)
    with pytest.raises(Refused, match=reason):  # the dashboard's refusal is the same policy
        fetch_ref(text, LORE.hosts)


def test_hosts_come_from_the_environment_plus_the_base_named_on_the_command_line() -> None:
    policy = FetchPolicy.from_environment({"ANALYZER_ALLOWED_HOSTS": "lore.kernel.org"}, also="http://127.0.0.1:8080")
    assert [h.base for h in policy.hosts] == ["https://lore.kernel.org", "http://127.0.0.1:8080"]
    assert policy.thread(ROOT_ID).url.startswith("https://lore.kernel.org/all/")
    with pytest.raises(ConfigError, match="--lore-base"):
        FetchPolicy.from_environment({}, also="https://lore.kernel.org/some/path")


def test_the_cli_refuses_a_host_off_the_list_in_one_line(tmp_path: Path) -> None:
    for url in (f"https://evil.example/kvmarm/{ROOT_ID}/", f"https://lore.kernel.org\uff0fkvmarm/{ROOT_ID}/"):
        result = runner.invoke(app, ["ingest", url, "--db", str(tmp_path / "a.db"), "--no-cache"])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert result.output.count("error:") == 1


def test_the_cli_does_not_follow_a_redirect_off_the_allowed_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "r.db"
    with serve(LoreFixture({ROOT_ID: THREAD})) as elsewhere, redirecting_to(elsewhere.base) as allowed:
        monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", "lore.kernel.org")
        result = runner.invoke(app, ["ingest", ROOT_ID, "--lore-base", allowed, "--db", str(db), "--no-cache", "--json"])
        assert elsewhere.hits[ROOT_ID] == 0
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"read": 1, "stored": 0, "duplicates": 0, "rejected": {"fetch-failed": 1}}
    with Store.open(db) as store:
        (rejection,) = store.rejections()
    assert "not a configured archive host" in rejection["detail"]


def test_the_cli_follows_a_redirect_within_the_allowed_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(LoreFixture({ROOT_ID: THREAD})) as target, redirecting_to(target.base) as front:
        monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", target.base)
        result = runner.invoke(
            app, ["ingest", ROOT_ID, "--lore-base", front, "--db", str(tmp_path / "ok.db"), "--no-cache", "--json"]
        )
        assert target.hits[ROOT_ID] == 1
    assert result.exit_code == 0 and json.loads(result.stdout)["stored"] == 2
