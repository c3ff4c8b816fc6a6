"""The store of the bundled sample corpus, built on first use (dashboard, notebooks, CI)."""

from __future__ import annotations

import os
from pathlib import Path

from analyzer.analysis.thread import ThreadReader
from analyzer.dashboard.config import SAMPLE_CORPUS
from analyzer.errors import ConfigError
from analyzer.ingest.pipeline import IngestOptions
from analyzer.learn.model import DEFAULT_READING
from analyzer.progress import Progress
from analyzer.store.db import Store
from analyzer.workflow import WorkflowOptions, update_store

SAMPLE_READING = DEFAULT_READING
"""The sample's analysis is the product's default reading, as `analyzer analyze` and Add
data store it: data added to the sample store later does not make every thread of it be
read again, nor the next start of the dashboard read them back with another."""
SAMPLE_OPTIONS = WorkflowOptions(ingest=IngestOptions(jobs=1), encoder=SAMPLE_READING)
"""One parser process: the sample is 48 messages, and the dashboard must not fork worker
processes from inside the Streamlit server's threads."""


def build_sample_store(
    path: Path, *, progress: Progress | None = None, reading: tuple[ThreadReader, str] | None = None
) -> Path:
    """Ingest, thread and analyse ``corpus/*.mbox`` into ``path`` (``reading``: the default
    learned reading already built, as ``update_store`` takes it).

    The store is built under a temporary name and renamed into place, so a reader never
    opens a half-built sample and a killed build leaves nothing behind at ``path``."""
    missing = [str(p) for p in SAMPLE_CORPUS if not p.is_file()]
    if missing:
        raise ConfigError(f"the sample corpus is not here ({', '.join(missing)}); give a database with --db")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f"{path.name}.building-{os.getpid()}")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    with Store.open(building) as store:
        update_store(store, [(str(p), "mbox") for p in SAMPLE_CORPUS], SAMPLE_OPTIONS, progress=progress,
                     reading=reading)
    os.replace(building, path)
    return path


def ensure_sample_store(
    path: Path, *, refresh: bool = False, progress: Progress | None = None,
    reading: tuple[ThreadReader, str] | None = None,
) -> Path:
    """``path``, built first if it does not exist yet. With ``refresh``, an existing sample
    store is brought up to date with the corpus and the current analyser (incremental:
    only threads whose messages or pipeline changed are analysed again)."""
    if not path.exists():
        return build_sample_store(path, progress=progress, reading=reading)
    if refresh and all(p.is_file() for p in SAMPLE_CORPUS):
        with Store.open(path) as store:
            update_store(store, [(str(p), "mbox") for p in SAMPLE_CORPUS], SAMPLE_OPTIONS, progress=progress,
                         reading=reading)
    return path
