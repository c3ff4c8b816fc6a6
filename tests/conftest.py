"""Shared fixtures. Real data lives in ../shared (beside the checkout); tests that need it
skip with a reason when it is absent, except under CI (CI=true), where absence fails."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast
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


Rows = dict[str, list[tuple[Any, ...]]]
"""Table name -> its rows, in :func:`in_order`."""

ANALYSIS_TABLES = ("claims", "message_positions", "mentions", "relations", "decisions", "stage_failures")
"""The tables an analysis writes (with ``analysed_threads``, see :func:`analysis_records`)."""


def in_order(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows in one order whatever order they were stored in (by ``repr``: columns mix None
    and values), so two stores' tables compare equal exactly when they hold the same rows."""
    return sorted((tuple(r) for r in rows), key=repr)


def stored_rows(db: sqlite3.Connection, tables: Iterable[str], *, column: Callable[[str], bool] | None = None) -> Rows:
    """Every row of each of ``tables``, :func:`in_order`; with ``column``, only the columns
    it keeps (by name)."""
    found = {}
    for table in tables:
        names = ", ".join(f'"{r[1]}"' for r in db.execute(f'PRAGMA table_info("{table}")') if column is None or column(r[1]))
        found[table] = in_order(db.execute(f'SELECT {names} FROM "{table}"'))
    return found


def analysis_records(path: Path, *, row_ids: bool = True) -> Rows:
    """Every analysis record of the store at ``path`` (run timestamps left out), and the
    fingerprint each thread's analysis was stored with. ``row_ids=False`` leaves out the
    rows' ``id``: it says in which order the rows were stored, so it differs in a store
    whose threads were analysed again since."""
    db = sqlite3.connect(path)
    try:
        found = stored_rows(db, ANALYSIS_TABLES,
                            column=lambda name: not name.endswith("_at") and (row_ids or name != "id"))
        found["analysed_threads"] = in_order(db.execute("SELECT thread_id, fingerprint FROM analysed_threads"))
    finally:
        db.close()
    return found


def ingest_files(store: Store, *targets: Path) -> None:
    """Store ``targets`` (any format ingest recognises) in one parser process."""
    ingest(store, [(str(t), "auto") for t in targets], IngestOptions(read=ReadOptions(), jobs=1))


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
