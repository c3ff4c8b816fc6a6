"""Threads annotated from the real public-inbox archive, kept as labels only: they read back
from the archive with the same messages and evidence sentences as the annotated mbox, hold
no mail text, fail clearly when they point at the wrong message, and cross-validation trains
on them without ever scoring them or training on a held-out thread's series or topic."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analyzer.analysis.gold import dump_lines, read_lines
from analyzer.errors import ConfigError
from analyzer.learn.archive_labels import labels_line, message_commits, read_labelled
from analyzer.analysis.catalogue import load_taxonomy
from analyzer.learn.corpus import AnnotatedThread, read_annotated, read_corpus
from analyzer.learn.encoder import NoVectors
from analyzer.learn.heads import LinearHead
from analyzer.learn.training import (
    TASKS, WHOLE, TrainingSettings, TrainingThread, _best_decision, _best_positions, _fit_all, inner_folds, train_models,
    training_threads,
)
from analyzer.learn.folds import attached_groups, balance_groups, layered_folds, thread_groups
from analyzer.learn.labels import key_sentences
from analyzer.learn.views import view_thread
from analyzer.learn.workflow import Method, prepare, run_cross_validation
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import annotated_folder, require_shared

ARCHIVE = "kvmarm-columbia-0"
QUOTING = "arm64-exit-reasons-2021"
"""A silver thread whose notes quote the sentences that carry its positions."""
SIBLING = "arm64-vgic-fixes-5.7-2020"
"""A silver thread of the same topic as the gold thread kvm-arm64-vgic-iidr-rev1-2026-05."""
UNRELATED = "kvm-unit-tests-configure-efi-2022"
HEAVY = "arm64-spe-stage2-fault-pinning-2022"
"""The biggest silver thread (36 messages): as an extra thread, balancing the inner folds
over every thread would move the gold threads between them."""


def _commits() -> dict[str, str]:
    with (require_shared("silver") / "provenance.tsv").open() as handle:
        return {row["message_id"]: row["source"].split()[-1] for row in csv.DictReader(handle, delimiter="\t")}


def _as_labels(folder: Path, names: list[str]) -> Path:
    """Silver threads written as archive labels (their mbox left behind) into ``folder``."""
    commits = _commits()
    folder.mkdir(parents=True)
    for name in names:
        lines = read_lines(require_shared("silver") / f"{name}.gold.jsonl")
        text = "".join(t + "\n" for t in dump_lines(labels_line(line, commits[line.message_id]) for line in lines))
        (folder / f"{name}.labels.jsonl").write_text(text)
    return folder


def test_a_thread_kept_as_labels_reads_back_from_the_archive_with_its_messages_and_evidence(tmp_path: Path) -> None:
    silver = require_shared("silver")
    folder = _as_labels(tmp_path / ARCHIVE, [QUOTING])
    (labelled,) = read_labelled(folder, silver.parent)
    original = read_annotated(silver / f"{QUOTING}.gold.jsonl", silver / f"{QUOTING}.mbox")
    assert [m.message_id for m in labelled.messages()] == [m.message_id for m in original.messages()]
    assert labelled.source == "archive" and labelled.name == QUOTING

    # No mail text in the project's file: no note quotes, and no run of eight words of any
    # message body appears in it.
    stored = (folder / f"{QUOTING}.labels.jsonl").read_text()
    assert "“" not in stored
    for message in original.messages():
        body = re.findall(r"[A-Za-z']+", message.body)
        for at in range(0, max(0, len(body) - 8), 4):
            assert " ".join(body[at : at + 8]) not in stored

    # The word marks find the very sentences the quoting notes found.
    annotator = Annotator(build_pipeline(PipelineSettings(catalogue=require_shared("behaviours.yaml"))))
    kept = labelled.gold_by_id()
    found = 0
    for before, after in zip(original.threads, labelled.threads, strict=True):
        views = (view_thread(before, annotator), view_thread(after, annotator))
        for old, new in zip(views[0].messages, views[1].messages, strict=True):
            keys = key_sentences(old.sentences, original.gold_by_id()[old.message.message_id])
            assert key_sentences(new.sentences, kept[new.message.message_id]) == keys
            found += sum(keys)
    assert found >= 3


def test_labels_that_do_not_match_the_archive_are_a_clear_error(tmp_path: Path) -> None:
    shared = require_shared("silver").parent
    folder = _as_labels(tmp_path / ARCHIVE, [QUOTING])
    path = folder / f"{QUOTING}.labels.jsonl"
    lines = [json.loads(t) for t in path.read_text().splitlines()]
    lines[0]["archive_commit"], lines[1]["archive_commit"] = lines[1]["archive_commit"], lines[0]["archive_commit"]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(ConfigError, match=re.escape(lines[0]["message_id"])):
        read_labelled(folder, shared)
    del lines[1]["archive_commit"]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(ConfigError, match="no archive_commit"):
        read_labelled(folder, shared)
    with pytest.raises(ConfigError, match="archive .* is missing"):
        read_labelled(folder.rename(tmp_path / "no-such-archive"), shared)


def test_the_importer_finds_each_message_of_a_thread_in_the_archive() -> None:
    archive = require_shared("archives") / f"{ARCHIVE}.git"
    ids = [line.message_id for line in read_lines(require_shared("silver") / f"{QUOTING}.gold.jsonl")]
    commits = _commits()
    assert message_commits(archive, ids) == {i: commits[i] for i in ids}
    with pytest.raises(ConfigError, match="no message with id"):
        message_commits(archive, [*ids, "no-such-message@example.org"])


def test_cross_validation_trains_on_labelled_threads_but_never_scores_them_or_a_held_out_topic(tmp_path: Path) -> None:
    gold = require_shared("gold")
    corpus = annotated_folder(tmp_path / "threads", sorted(gold.glob("*.gold.jsonl")))
    labelled = _as_labels(tmp_path / "annotated" / ARCHIVE, [SIBLING, UNRELATED])
    prepared = prepare([corpus], labelled=[labelled], catalogue=require_shared("behaviours.yaml"))
    assert sorted(t.name for t in prepared.extra) == [SIBLING, UNRELATED]
    result = run_cross_validation(prepared, Method(embeddings=False), folds=2)
    assert sorted(t.name for t in result.threads) == sorted(c.name for c in prepared.corpus)
    vgic = next(t for t in result.threads if "vgic" in t.name)
    for fold, trained in enumerate(result.trained_on):
        assert UNRELATED in trained
        assert (SIBLING in trained) == (vgic.fold != fold)
    # Without labelled threads the same folds train on the corpus alone.
    alone = run_cross_validation(replace(prepared, extra=[]), Method(embeddings=False), folds=2)
    assert all(SIBLING not in t and UNRELATED not in t for t in alone.trained_on)


def test_extra_threads_join_the_group_they_touch_and_never_merge_the_corpus_groups() -> None:
    gold, silver = require_shared("gold"), require_shared("silver")
    corpus = read_corpus([gold])
    extra = [read_annotated(silver / f"{n}.gold.jsonl", silver / f"{n}.mbox") for n in (SIBLING, UNRELATED)]
    groups, keys = attached_groups(corpus, extra)
    assert groups[: len(corpus)] == thread_groups(corpus)
    vgic = next(i for i, c in enumerate(corpus) if "vgic" in c.name)
    assert groups[len(corpus)] == groups[vgic] and keys[len(corpus)] & keys[vgic]
    assert groups[len(corpus) + 1] not in groups[: len(corpus) + 1]
    assert all(not keys[len(corpus) + 1] & keys[i] for i in range(len(corpus)))


def test_extra_threads_teach_only_the_tasks_they_are_trusted_for(tmp_path: Path) -> None:
    gold = require_shared("gold")
    corpus = annotated_folder(tmp_path / "threads", sorted(gold.glob("*.gold.jsonl")))
    labelled = _as_labels(tmp_path / "annotated" / ARCHIVE, [QUOTING, UNRELATED])
    prepared = prepare([corpus], labelled=[labelled], catalogue=require_shared("behaviours.yaml"))
    settings = TrainingSettings(positions=load_taxonomy(None).position_ids, kinds={b.id: b.kind for b in prepared.catalogue})

    def training(threads: list[AnnotatedThread], learns: frozenset[str]) -> list[TrainingThread]:
        return [TrainingThread(t.name, i, tuple(prepared.views[t.name]), t.gold_by_id(), learns) for i, t in enumerate(threads)]

    alone = _fit_all(training(prepared.corpus, TASKS), NoVectors(), {}, settings)
    some = _fit_all(training(prepared.corpus, TASKS) + training(prepared.extra, frozenset({"positions"})), NoVectors(), {}, settings)
    every = _fit_all(training(prepared.corpus, TASKS) + training(prepared.extra, TASKS), NoVectors(), {}, settings)
    def same(a: LinearHead, b: LinearHead) -> bool:
        return a.feature_names == b.feature_names and np.array_equal(a.coef, b.coef) and np.array_equal(a.intercept, b.intercept)

    for name, head in alone.items():
        if name.startswith(("relation", "decision", "judgement", "behaviour")):
            assert same(some[name], head), name
            assert not same(every[name], head), name
    assert [n for n in alone if n.startswith("position.") and not same(some[n], alone[n])]


def test_an_extra_thread_at_weight_two_is_fitted_as_if_it_were_given_twice(tmp_path: Path) -> None:
    """A task's weight is what each of the thread's rows weighs in the heads' fit: weight 2
    fits the heads as two copies of the thread do (the same optimum, to the solver's
    tolerance), a weight below 1 moves them towards the yardstick's own."""
    gold = require_shared("gold")
    corpus = annotated_folder(tmp_path / "threads", sorted(gold.glob("*.gold.jsonl")))
    labelled = _as_labels(tmp_path / "annotated" / ARCHIVE, [QUOTING, UNRELATED])
    prepared = prepare([corpus], labelled=[labelled], catalogue=require_shared("behaviours.yaml"))
    settings = TrainingSettings(positions=load_taxonomy(None).position_ids, kinds={b.id: b.kind for b in prepared.catalogue})
    groups = list(range(len(prepared.corpus) + len(prepared.extra)))

    def heads(weights: dict[str, float], copies: int = 1) -> dict[str, LinearHead]:
        threads = training_threads(prepared.corpus, prepared.extra, groups, prepared.views, weights)
        return _fit_all(threads + threads[len(prepared.corpus):] * (copies - 1), NoVectors(), {}, settings)

    doubled, twice = heads({"decisions": 2.0, "relations": 2.0}), heads({"decisions": 1.0, "relations": 1.0}, copies=2)
    once, light = heads({"decisions": 1.0, "relations": 1.0}), heads({"decisions": 0.3, "relations": 0.3})
    alone = _fit_all(training_threads(prepared.corpus, [], groups, prepared.views, {}), NoVectors(), {}, settings)
    for name in ("relation.attitude", "judgement", "decision.changes-requested"):
        assert doubled[name].feature_names == twice[name].feature_names
        assert np.allclose(doubled[name].coef, twice[name].coef, atol=2e-3), name
        assert not np.allclose(doubled[name].coef, once[name].coef, atol=2e-3), name
        # Lighter extra rows: the head lies between the yardstick's own and the full-weight one.
        assert np.abs(light[name].intercept - alone[name].intercept) < np.abs(once[name].intercept - alone[name].intercept) + 1e-9
    # A task weighted 0 is not taught; a task that does not exist is refused.
    unweighted = training_threads(prepared.corpus, prepared.extra, groups, prepared.views, {"positions": 1.0, "decisions": 0.0})
    assert [t.learns for t in unweighted[len(prepared.corpus):]] == [frozenset({"positions"})] * 2
    with pytest.raises(ValueError, match="no such task"):
        training_threads(prepared.corpus, prepared.extra, groups, prepared.views, {"stances": 1.0})


def test_the_thresholds_count_a_weighted_message_as_that_many_messages() -> None:
    kind = "changes-requested"
    items: list[tuple[dict[str, float], set[str], set[str]]] = [
        ({kind: 0.9}, {kind}, set()), ({kind: 0.6}, set(), set()), ({kind: 0.4}, {kind}, set()), ({kind: 0.3}, set(), set()),
    ]
    weights = [1.0, 3.0, 1.0, 0.5]
    copies = [item for item, w in zip(items, [2, 6, 2, 1]) for _ in range(w)]
    assert _best_decision(items, kind, with_rules=True, weights=weights) == _best_decision(copies, kind, with_rules=True)
    assert _best_decision(items, kind, with_rules=True, weights=weights) != _best_decision(items, kind, with_rules=True)
    positions = [({"bug-for-bug": (0.9, 0.0)}, {("bug-for-bug", "for")}), ({"bug-for-bug": (0.5, 0.0)}, set()),
                 ({"bug-for-bug": (0.3, 0.0)}, {("bug-for-bug", "for")})]
    stances = {"stance.bug-for-bug": 1.01}
    assert _best_positions(positions, stances, [1.0, 4.0, 1.0]) == _best_positions(
        [positions[0]] + [positions[1]] * 4 + [positions[2]], stances
    )
    assert _best_positions(positions, stances, [1.0, 4.0, 1.0]) != _best_positions(positions, stances)


def test_extra_threads_never_move_a_yardstick_thread_to_another_inner_fold() -> None:
    groups = [0, 0, 1, 2, 3, 4, 5, 1, 6, 7, 7]
    sizes = [3, 4, 10, 2, 8, 1, 5, 30, 40, 2, 2]
    core = [True] * 7 + [False] * 4
    folds = layered_folds(groups, sizes, core, 3)
    alone = balance_groups(groups[:7], sizes[:7], 3)
    assert [[i for i in f if core[i]] for f in folds] == alone  # the core's folds as without the others
    assert sorted(i for f in folds for i in f) == list(range(len(groups)))
    assert next(f for f in folds if 7 in f) == next(f for f in folds if 2 in f)  # joins its group's fold
    assert next(f for f in folds if 9 in f) == next(f for f in folds if 10 in f)  # a group never split
    assert layered_folds(groups[:7], sizes[:7], core[:7], 3) == alone
    # Without layering, the heavy extra thread (40 messages) would have moved the core around.
    assert [[i for i in f if core[i]] for f in balance_groups(groups, sizes, 3)] != alone


def test_a_task_the_extra_threads_do_not_teach_gets_the_thresholds_it_gets_without_them(tmp_path: Path) -> None:
    gold = require_shared("gold")
    corpus = annotated_folder(tmp_path / "threads", sorted(gold.glob("*.gold.jsonl")))
    # The heavy thread would move the gold threads to other inner folds were they balanced
    # together (checked: the decision thresholds then differ from those of the gold alone).
    labelled = _as_labels(tmp_path / "annotated" / ARCHIVE, [QUOTING, HEAVY])
    prepared = prepare([corpus], labelled=[labelled], catalogue=require_shared("behaviours.yaml"))
    settings = TrainingSettings(positions=load_taxonomy(None).position_ids, kinds={b.id: b.kind for b in prepared.catalogue},
                                inner_folds=2)
    n = len(prepared.corpus)
    groups = [*range(n), *range(100, 100 + len(prepared.extra))]
    everything = training_threads(prepared.corpus, prepared.extra, groups, prepared.views, {"positions": 1.0, "behaviours": 1.0})
    yardstick = everything[:n]
    sizes = [len(t.gold) for t in everything]
    alone_folds = balance_groups(groups[:n], sizes[:n], 2)
    assert [[i for i in f if i < n] for f in balance_groups(groups, sizes, 2)] != alone_folds
    # The yardstick's inner folds are its own whatever the extra threads teach.
    for weights in ({"positions": 1.0, "behaviours": 1.0}, WHOLE):
        taught = training_threads(prepared.corpus, prepared.extra, groups, prepared.views, weights)
        assert [[i for i in f if i < n] for f in inner_folds(taught, 2)] == alone_folds
    alone = train_models(yardstick, NoVectors(), {}, settings)
    both = train_models(everything, NoVectors(), {}, settings)
    decisions = {k: v for k, v in alone.thresholds.items() if k.startswith("decision.")}
    assert decisions and decisions == {k: v for k, v in both.thresholds.items() if k.startswith("decision.")}
