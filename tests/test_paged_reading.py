"""The store read a page of threads at a time (what `analyze` holds, so that its memory
does not grow with the store) gives exactly what reading every thread at once gives: the
threads in the same order, and for each page the same authors, people, earlier versions
and segment versions. On the first messages of the real kvmarm archive, with small pages
so that page edges fall everywhere, and with some threads undated (sorted last)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.analysis.inputs import previous_versions
from analyzer.store.db import Store
from analyzer.store.structure import (
    author_ids,
    authors_of,
    load_people,
    load_series,
    load_threads,
    people_by_id,
    segmentation_versions,
    segmentation_versions_of,
    series_touching,
    thread_pages,
)
from tests.test_parallel_analyze import real_store

MESSAGES = 1200


@pytest.fixture(scope="module")
def structured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store(tmp_path_factory.mktemp("paged"), MESSAGES)


@pytest.fixture
def store(structured: Path) -> Iterator[Store]:
    with Store.open(structured) as opened:
        yield opened


@pytest.mark.parametrize("size", [1, 7, 500])
def test_pages_hold_every_thread_in_order(store: Store, size: int) -> None:
    paged = [thread for page in thread_pages(store, size) for thread in page]
    assert len(paged) > 50 and paged == load_threads(store)
    assert all(len(page) <= size for page in thread_pages(store, size))


def test_undated_threads_come_last_across_pages(structured: Path, tmp_path: Path) -> None:
    shutil.copy(structured, tmp_path / "undated.db")
    with Store.open(tmp_path / "undated.db") as store:
        with store.transaction():
            store.connection.execute(
                "UPDATE threads SET first_date = NULL WHERE thread_id IN (SELECT thread_id FROM threads LIMIT 5)"
            )
        paged = [thread for page in thread_pages(store, 3) for thread in page]
        assert paged == load_threads(store) and [t.first_date for t in paged[-5:]] == [None] * 5


def test_each_page_reads_what_the_whole_store_gives(store: Store) -> None:
    authors, people = author_ids(store), {p.person_id: p for p in load_people(store)}
    previous, segmented = previous_versions(load_series(store)), segmentation_versions(store)
    assert previous and segmented  # the sample has superseded postings and segments
    seen_previous = 0
    for page in thread_pages(store, 40):
        ids = [m for thread in page for m in thread.message_ids]
        assert authors_of(store, ids) == {m: authors[m] for m in ids if m in authors}
        person_ids = sorted({authors[m] for m in ids if m in authors})
        assert people_by_id(store, person_ids) == {p: people[p] for p in person_ids}
        paged_previous = previous_versions(series_touching(store, ids))
        assert {m: paged_previous[m] for m in ids if m in paged_previous} == {m: previous[m] for m in ids if m in previous}
        seen_previous += sum(1 for m in ids if m in previous)
        assert segmentation_versions_of(store, ids) == {m: segmented[m] for m in ids if m in segmented}
    assert seen_previous == len(previous)
