"""Shared fixtures. Real data lives in ../shared (beside the checkout); tests that need it
skip with a reason when it is absent, except under CI (CI=true), where absence fails."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import cast
from pathlib import Path

import pytest

from analyzer.ingest.pipeline import IngestOptions, IngestReport, ingest
from analyzer.ingest.sources import ReadOptions, SourceFormat
from analyzer.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SAMPLES = Path(__file__).resolve().parent / "samples"


def shared_dir() -> Path:
    return Path(os.environ.get("MLPA_SHARED", ROOT.parent / "shared"))


def require_shared(*parts: str) -> Path:
    path = shared_dir().joinpath(*parts)
    if not path.exists():
        message = f"real data not found at {path} (set MLPA_SHARED or put shared/ beside the checkout)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def annotated_folder(folder: Path, sources: Sequence[Path] | None = None) -> Path:
    """``folder`` (made here) holding links to annotated threads, each gold file beside its
    mbox, as ``analyzer train --data`` reads them: ``sources`` (``*.gold.jsonl`` files), or
    the first three gold threads."""
    folder.mkdir()
    for source in sources if sources is not None else sorted(require_shared("gold").glob("*.gold.jsonl"))[:3]:
        mbox = source.with_name(source.name.removesuffix(".gold.jsonl") + ".mbox")
        (folder / source.name).symlink_to(source)
        (folder / mbox.name).symlink_to(mbox)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "test.db")
    yield opened
    opened.close()


IngestFn = Callable[..., IngestReport]


@pytest.fixture
def run_ingest(store: Store) -> IngestFn:
    def run(*targets: str | Path, fmt: str = "auto", jobs: int = 1, **read: object) -> IngestReport:
        options = IngestOptions(read=ReadOptions(**read), jobs=jobs)  # type: ignore[arg-type]
        return ingest(store, [(str(t), cast("SourceFormat", fmt)) for t in targets], options)

    return run


# The mid-size real store of the dashboard tests, built once per session for every module.
from tests.dashboard_store import real_store  # noqa: E402, F401
