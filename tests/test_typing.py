"""The package and its tests type-check under mypy --strict (settings in pyproject.toml):
a style rule of the project (small typed modules), kept by the test suite rather than by
hope. Tests are checked too: a test calling the package with the wrong types tests
something the package never does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_type_checks_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "--explicit-package-bases", "analyzer", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
