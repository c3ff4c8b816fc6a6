"""What the dashboard runs on: which database, which archive hosts Add data may fetch from,
and how large an upload may be. Read once per script run from argv and the environment.

    streamlit run app.py                      the bundled sample corpus (built on first run)
    streamlit run app.py -- --db PATH         an existing store
    ANALYZER_DB=PATH streamlit run app.py     the same, for services and tests
    ANALYZER_ALLOWED_HOSTS=lore.kernel.org,http://127.0.0.1:8080
    ANALYZER_MAX_UPLOAD_MB=50       never more than Streamlit's server.maxUploadSize
    ANALYZER_CACHE_MB=256           what the dashboard's caches may hold, in total
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import ConfigError
from analyzer.ingest.fetch_policy import DEFAULT_HOSTS, ArchiveHost, parse_hosts

ROOT = Path(__file__).resolve().parents[2]
"""The checkout (the dashboard finds the bundled corpus beside the package)."""
SAMPLE_CORPUS = (ROOT / "corpus" / "kvm.mbox", ROOT / "corpus" / "kvmarm.mbox")
SAMPLE_DB = ROOT / "build" / "sample" / "sample.db"
DEFAULT_UPLOAD_MB = 50
DEFAULT_CACHE_MB = 256


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    db_path: Path
    sample: bool
    """True when no database was named: the bundled sample corpus is shown, built on first use."""
    allowed_hosts: tuple[ArchiveHost, ...]
    max_upload_bytes: int
    cache_bytes: int = DEFAULT_CACHE_MB * 1024 * 1024
    """The most the dashboard's loaders keep cached (ANALYZER_CACHE_MB)."""


def load_config(argv: Sequence[str], environ: Mapping[str, str]) -> DashboardConfig:
    """``--db`` wins over ANALYZER_DB; with neither, the sample store. Arguments that are
    not the dashboard's (pytest's, Streamlit's) are ignored."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", type=Path)
    known, _ = parser.parse_known_args(list(argv))
    named = known.db or (Path(environ["ANALYZER_DB"]) if environ.get("ANALYZER_DB") else None)
    return DashboardConfig(
        db_path=(named or SAMPLE_DB).expanduser(),
        sample=named is None,
        allowed_hosts=parse_hosts(environ.get("ANALYZER_ALLOWED_HOSTS") or DEFAULT_HOSTS),
        max_upload_bytes=_megabytes(environ.get("ANALYZER_MAX_UPLOAD_MB"), DEFAULT_UPLOAD_MB),
        cache_bytes=_megabytes(environ.get("ANALYZER_CACHE_MB"), DEFAULT_CACHE_MB, name="ANALYZER_CACHE_MB"),
    )


def _megabytes(value: str | None, default: int, *, name: str = "ANALYZER_MAX_UPLOAD_MB") -> int:
    if not value:
        return default * 1024 * 1024
    try:
        megabytes = float(value)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a number of megabytes") from None
    if megabytes <= 0:
        raise ConfigError(f"{name} must be positive")
    return int(megabytes * 1024 * 1024)


__all__ = ["ArchiveHost", "DashboardConfig", "load_config", "parse_hosts"]
