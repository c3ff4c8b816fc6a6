"""Every command has help and is documented in the README; the public API is explicit."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import analyzer
from analyzer.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _commands() -> list[list[str]]:
    group = typer.main.get_command(app)
    found: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            found += [[name, sub] for sub in command.commands]
        else:
            found.append([name])
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_and_is_in_the_readme(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4
    assert f"$A {' '.join(command)}" in README, f"README.md does not show `analyzer {' '.join(command)}`"


def test_the_public_api_is_what_it_says() -> None:
    from analyzer import api

    assert api.__all__, "analyzer.api declares its public names"
    assert sorted(analyzer.__all__) == sorted(api.__all__)
    for name in api.__all__:
        assert getattr(analyzer, name) is getattr(api, name)
    with pytest.raises(AttributeError):
        analyzer.not_a_public_name  # noqa: B018
