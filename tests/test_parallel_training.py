"""Training on every core: forked calls give what the calls give in one process; a design
matrix shared by several heads is the one each head would have built; the folds and the
bundle's fit on two processes write the same bundle and figures as on one."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest

from analyzer.learn.encoder import CachedVectors
from analyzer.learn.examples import position_sentences
from analyzer.learn.training import Design
from analyzer.learn.workflow import Prepared, Reading, cv_figures, encode_ahead, prepare, train_and_cross_validate
from analyzer.workers import ForkDied, in_forks
from tests.conftest import annotated_folder, require_shared


def test_forked_calls_see_the_drivers_memory_and_answer_in_call_order() -> None:
    held = np.arange(200_000, dtype=np.float64)  # in the driver's memory only: never pickled to the workers
    calls = [lambda k=k: (k, float(held[k::7].sum()), os.getpid()) for k in range(7)]
    forked = in_forks(calls, 2)
    alone = in_forks(calls, 1)
    assert [r[:2] for r in forked] == [r[:2] for r in alone]
    assert [r[0] for r in forked] == list(range(7))
    assert {r[2] for r in alone} == {os.getpid()}
    assert os.getpid() not in {r[2] for r in forked}  # they did run in other processes


def test_a_failing_forked_call_fails_the_run() -> None:
    def fails() -> int:
        raise ValueError("fold 2 broke")

    with pytest.raises(ValueError, match="fold 2 broke"):
        in_forks([lambda: 1, fails, lambda: 3], 2)
    assert in_forks([lambda: 1, lambda: 2], 2) == [1, 2]  # and the next run starts clean


def test_a_failing_call_stops_the_others_and_a_dying_worker_is_a_clear_error() -> None:
    def long() -> int:
        time.sleep(120)  # the bundle's fit, say: far longer than the test waits
        return 0

    def fails() -> int:
        raise ValueError("fold 1 broke")

    started = time.monotonic()
    with pytest.raises(ValueError, match="fold 1 broke"):
        in_forks([long, fails, long], 2)
    assert time.monotonic() - started < 60  # not left waiting for the long call
    with pytest.raises(ForkDied, match="-j 1"):
        in_forks([lambda: 1, lambda: os._exit(3)], 2)


def test_the_design_of_some_rows_is_the_design_built_from_those_rows() -> None:
    rng = random.Random(5)
    names = [f"f{i}" for i in range(40)]
    rows = [
        {n: (0.0 if rng.random() < 0.3 else rng.uniform(-3, 3)) for n in rng.sample(names, rng.randint(0, 9))}
        for _ in range(120)
    ]
    everything = Design.of(rows)
    for picked in ([], [3], sorted(rng.sample(range(120), 17)), list(range(0, 120, 2))):
        shared = everything.rows(picked)
        own = Design.of([rows[i] for i in picked])
        assert list(shared.names) == list(own.names)  # a name given as 0.0 is still a name
        assert shared.matrix.shape == own.matrix.shape
        assert (shared.matrix != own.matrix).nnz == 0
        assert shared.matrix.nnz == own.matrix.nnz  # stored zeros kept alike


@pytest.fixture(scope="module")
def three_gold_threads(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """Three real gold threads, linked (not copied)."""
    folder = annotated_folder(tmp_path_factory.mktemp("annotated") / "threads")
    return prepare([folder], catalogue=require_shared("behaviours.yaml"))


def test_encoding_ahead_on_two_processes_remembers_what_one_process_encodes(three_gold_threads: Prepared) -> None:
    reading = Reading.of(True, "static")
    encode_ahead(three_gold_threads, reading, relation_vectors=True, jobs=2)
    assert isinstance(reading.vectors, CachedVectors)
    texts = [s.text for views in three_gold_threads.views.values() for tv in views for v in tv.messages for s in position_sentences(v)]
    assert texts and reading.vectors.unknown(texts) == []
    fresh = Reading.of(True, "static").vectors
    assert np.array_equal(reading.vectors.encode(texts), fresh.encode(texts))


def test_folds_and_bundle_on_two_processes_give_what_one_process_gives(three_gold_threads: Prepared, tmp_path: Path) -> None:
    """The default reading (the cascade: MiniLM heads, the static gate), trained and
    cross-validated side by side on two forked processes and in this process alone."""
    one, two = tmp_path / "one", tmp_path / "two"
    models_one, cv_one = train_and_cross_validate(three_gold_threads, output=one, folds=2, jobs=1)
    models_two, cv_two = train_and_cross_validate(three_gold_threads, output=two, folds=2, jobs=2)
    assert cv_one.as_json() == cv_two.as_json()
    assert sorted(t.name for t in cv_two.threads) == sorted(c.name for c in three_gold_threads.corpus)
    for bundle in (one, two, Path(f"{one}-static"), Path(f"{two}-static")):
        assert (bundle / "heads.npz").is_file()
    for name in ("settings.json", "heads.npz", "heads.json", "prototypes.npz"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
        assert Path(f"{one}-static", name).read_bytes() == Path(f"{two}-static", name).read_bytes(), name
    manifest = json.loads((two / "manifest.json").read_text())
    assert manifest["cross_validation"] == json.loads(json.dumps(cv_figures(cv_two)))
    assert models_two.gate == models_one.gate and models_two.gate is not None
