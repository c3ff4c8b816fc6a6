"""The learned analysis: folds that keep series together on the real threads, the
cross-validation procedure on a few real threads (no thread scored by a model that saw it),
deterministic training, and the shipped models on hostile mail."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from analyzer.analysis.catalogue import load_catalogue
from analyzer.analysis.label import thread_inputs, unique_messages
from analyzer.learn.corpus import read_corpus
from analyzer.learn.encoder import MAX_CHARS, CachedVectors
from analyzer.learn.folds import grouped_folds, thread_groups
from analyzer.learn.model import load_models
from analyzer.learn.reader import LearnedReader
from analyzer.learn.workflow import Method, Prepared, prepare, run_cross_validation, train_bundle
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.conftest import annotated_folder, require_shared
from tests.factories import msg, reply

# One gold thread and one silver thread of the same topic (the vGIC): a fold must hold both.
SIBLINGS = ("kvm-arm64-vgic-iidr-rev1-2026-05", "arm64-vgic-fixes-5.7-2020")


def test_folds_keep_series_and_topics_together_on_the_real_threads() -> None:
    corpus = read_corpus([require_shared("gold"), require_shared("silver")])
    groups = thread_groups(corpus)
    folds = grouped_folds(corpus, 5)
    assert sorted(i for f in folds for i in f) == list(range(len(corpus)))
    fold_of = {i: n for n, f in enumerate(folds) for i in f}
    for a in range(len(corpus)):
        for b in range(len(corpus)):
            if groups[a] == groups[b]:
                assert fold_of[a] == fold_of[b], (corpus[a].name, corpus[b].name)
    names = [c.name for c in corpus]
    assert groups[names.index(SIBLINGS[0])] == groups[names.index(SIBLINGS[1])]
    # Balanced by messages: no fold carries more than twice its share.
    sizes = [sum(len(corpus[i].gold) for i in f) for f in folds]
    assert max(sizes) <= 2 * sum(sizes) / len(sizes)


@pytest.fixture(scope="module")
def few_threads(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """The four gold threads and the silver sibling of one of them, linked (not copied)."""
    gold, silver = require_shared("gold"), require_shared("silver")
    folder = annotated_folder(tmp_path_factory.mktemp("annotated") / "threads",
                              [*sorted(gold.glob("*.gold.jsonl")), silver / f"{SIBLINGS[1]}.gold.jsonl"])
    return prepare([folder], catalogue=require_shared("behaviours.yaml"))


def test_cross_validation_scores_every_thread_with_a_model_that_never_saw_it(few_threads: Prepared) -> None:
    result = run_cross_validation(few_threads, Method(embeddings=False), folds=2)
    names = sorted(c.name for c in few_threads.corpus)
    assert sorted(t.name for t in result.threads) == names
    assert len(result.trained_on) == 2
    for thread in result.threads:
        trained = result.trained_on[thread.fold]
        assert thread.name not in trained
        held = {t.name for t in result.threads if t.fold == thread.fold}
        assert not held & set(trained)
        assert set(trained) | held == set(names)
    fold = {t.name: t.fold for t in result.threads}
    assert fold[SIBLINGS[0]] == fold[SIBLINGS[1]]
    # Pooled figures are micro figures: counts are the sums over the threads.
    for method in ("learned", "rules", "baseline"):
        pooled = result.pooled[method]
        for task in ("positions", "behaviours", "decisions"):
            total = getattr(pooled, task)
            parts = [getattr(t.scores[method], task) for t in result.threads]
            assert total.gold == sum(p.gold for p in parts)
            assert total.predicted == sum(p.predicted for p in parts)
            assert total.true_positives == sum(p.true_positives for p in parts)
        assert pooled.relations.scored == sum(t.scores[method].relations.scored for t in result.threads)
    assert sum(t.messages for t in result.threads) == sum(len(c.gold) for c in few_threads.corpus)
    # The gold lines are the yardstick: every gold message is scored.
    assert result.pooled["learned"].relations.scored > 0
    assert result.pooled["baseline"].positions.predicted == 0


def test_too_few_groups_for_the_folds_is_a_clear_error(few_threads: Prepared) -> None:
    from analyzer.errors import ConfigError

    with pytest.raises(ConfigError, match="--folds"):
        run_cross_validation(few_threads, Method(embeddings=False), folds=9)


def test_training_is_deterministic(few_threads: Prepared, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    train_bundle(few_threads, Method(embeddings=False), output=first)
    train_bundle(few_threads, Method(embeddings=False), output=second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        if name.name == "manifest.json":
            continue  # holds the training time
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    models = load_models(first)
    assert models.manifest["threads"] == sorted(c.name for c in few_threads.corpus)
    assert len(models.manifest["data_hash"]) >= 16


class Recording:
    """The real sentence vectors, remembering what they were asked to encode."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.inner = CachedVectors()
        self.dimension = self.inner.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


def test_shipped_models_read_hostile_mail_and_every_message_is_analysed() -> None:
    catalogue = load_catalogue(None)
    annotator = Annotator(build_pipeline(PipelineSettings()))
    recording = Recording()
    reader = LearnedReader(annotator, load_models(), {b.id: b.kind for b in catalogue}, vectors=recording)
    root = msg("root@x", subject="[PATCH] KVM: arm64: keep the old IIDR selectable", body="We must keep KVM_CAP_ARM_NISV_TO_USER working.\n")
    patch = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,50000 +1,50000 @@\n" + "+int x;\n" * 50_000
    quote = "".join(f"> quoted line {i} of a very long message\n" for i in range(30_000))
    messages = [
        root,
        reply(root, "empty@x", body=""),
        reply(root, "quote@x", body=quote + "\nI disagree, this breaks migration.\n"),
        reply(root, "patch@x", body="Here is the fix.\n\n" + patch),
        reply(root, "german@x", body="Das ist nicht rückwärtskompatibel, bitte nicht so übernehmen.\n"),
        reply(root, "line@x", body="A" * 300_000 + "\n"),
        reply(root, "dump@x", body="My config:\n" + "".join(f"# CONFIG_SENSOR_{i} is not set\n" for i in range(3_000))),
    ]
    threads = thread_inputs(unique_messages(messages))
    analysed = {m.message_id for t in threads for m in reader(t).messages}
    assert analysed == {m.message_id for m in messages}
    # The quote and the patch are not encoded sentence by sentence: the work stays bounded.
    assert len(recording.texts) < 200
    assert not any("+int x;" in t for t in recording.texts)
    # A config dump the splitter leaves as one "sentence" is no candidate for a position.
    assert not any("CONFIG_SENSOR_2999" in t for t in recording.texts)


def test_a_megabyte_sentence_is_encoded_as_its_first_characters() -> None:
    from analyzer.learn.encoder import SentenceEncoder

    encoder = SentenceEncoder()
    text = "the guest must keep seeing the old register value " * 25_000
    long, short = encoder.encode([text, text[:MAX_CHARS]])
    assert np.allclose(long, short)
    assert np.linalg.norm(long) > 0


def test_batches_group_texts_of_similar_length_and_cover_every_text_once() -> None:
    from analyzer.learn.encoder import SLACK, SPREAD, length_buckets

    lengths = [5, 128, 7, 40, 41, 128, 6, 90, 12, 33] * 20
    buckets = length_buckets(lengths, batch_size=16)
    assert sorted(i for b in buckets for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 16 for b in buckets)
    for b in buckets:
        widths = [lengths[i] for i in b]
        assert max(widths) <= SPREAD * min(widths) + SLACK


def test_a_batch_of_mixed_lengths_gives_the_vectors_of_each_text_alone() -> None:
    from analyzer.learn.encoder import SentenceEncoder

    encoder = SentenceEncoder()
    texts = ["Yes.", "We should keep the old GICD_IIDR value for migrated guests " * 6, "NAK", "Applied, thanks.",
             "Applied to next, thanks!", "I don't think userspace should be able to change this register."]
    together = encoder.encode(texts)
    alone = np.concatenate([encoder.encode([t]) for t in texts])
    # bit for bit, in any batch: a reader remembers vectors from thread to thread
    assert np.array_equal(together, alone)
    assert np.array_equal(encoder.encode(texts[::-1])[::-1], together)
    encoder.batch_size = 2
    assert np.array_equal(encoder.encode(texts), together)
    assert not np.allclose(together[0], together[2])


class CountingStatic:
    """The static encoder, counting the texts it is asked for."""

    name = "static"

    def __init__(self) -> None:
        from analyzer.learn.encoder import StaticEncoder

        self.inner = StaticEncoder()
        self.dimension = self.inner.dimension
        self.asked: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.asked += texts
        return self.inner.encode(texts)


def test_a_memo_with_a_limit_keeps_the_texts_used_last_and_one_without_forgets_all() -> None:
    counting = CountingStatic()
    memo = CachedVectors(counting, keep=2)  # type: ignore[arg-type]
    first = memo.encode(["one text here", "two texts here", "three texts here"])
    memo.encode(["one text here"])  # used last: kept
    memo.forget()
    assert counting.asked == ["one text here", "two texts here", "three texts here"]
    again = memo.encode(["three texts here", "one text here", "two texts here"])
    assert counting.asked[3:] == ["two texts here"]  # the one used longest ago was forgotten
    assert np.array_equal(again, first[[2, 0, 1]])
    plain = CachedVectors(counting)  # type: ignore[arg-type]
    plain.encode(["one text here"])
    plain.forget()
    plain.encode(["one text here"])
    assert counting.asked[4:] == ["one text here", "one text here"]


def test_patches_of_a_series_are_not_read_for_positions_but_their_cover_letter_and_replies_are() -> None:
    catalogue = load_catalogue(None)
    annotator = Annotator(build_pipeline(PipelineSettings()))
    recording = Recording()
    reader = LearnedReader(annotator, load_models(), {b.id: b.kind for b in catalogue}, vectors=recording)
    cover = msg("cover@x", subject="[PATCH v2 0/2] KVM: arm64: keep the old behaviour selectable",
                body="This series argues that the cover letter sentence must be kept selectable.\n")
    part = reply(cover, "part@x", subject="[PATCH v2 1/2] KVM: arm64: add the quirk",
                 body="The commit message sentence explains what the patch changes in detail.\n")
    answer = reply(part, "answer@x", body="The reviewer sentence says this breaks existing userspace badly.\n")
    threads = thread_inputs(unique_messages([cover, part, answer]))
    analysed = {m.message_id for t in threads for m in reader(t).messages}
    assert analysed == {"cover@x", "part@x", "answer@x"}
    read = " ".join(recording.texts)
    assert "cover letter sentence" in read and "reviewer sentence" in read
    assert "commit message sentence" not in read


def test_a_reply_reads_the_turn_it_answers() -> None:
    """Dialogue features: a rebuttal (answering a reply to one's own message), the parent's
    questions, answered quotes that are questions, own text against quoted text."""
    from analyzer.learn.features import dialogue_features, relation_features
    from analyzer.learn.views import view_thread

    annotator = Annotator(build_pipeline(PipelineSettings()))
    root = msg("root@x", subject="[PATCH] KVM: arm64: make the register writable", author="Ann <ann@example.org>",
               body="This makes the register writable so a VMM can restore it.\n")
    question = reply(root, "q@x", author="Bob <bob@example.org>",
                     body="> This makes the register writable so a VMM can restore it.\n\nWhy is this needed? Who restores it?\n")
    rebuttal = reply(question, "r@x", author="Ann <ann@example.org>",
                     body="> Why is this needed? Who restores it?\n\nQEMU does, on migration between two hosts with different values.\n")
    [thread] = thread_inputs(unique_messages([root, question, rebuttal]))
    views = {v.message.message_id: v for v in view_thread(thread, annotator).messages}
    assert views["root@x"].parent_reading is None
    answer = dialogue_features(views["r@x"])
    assert answer["dlg.rebuttal"] == 1.0
    assert answer["dlg.parent_questions"] == 1.0
    assert answer["dlg.answers_question"] == 1.0
    assert answer["dlg.own_over_quoted"] > 0
    asked = dialogue_features(views["q@x"])
    assert "dlg.rebuttal" not in asked  # the root answers no one
    assert asked["dlg.parent_questions"] == 0.0
    assert asked["dlg.answers_question"] == 0.0
    assert set(answer) <= set(relation_features(views["r@x"]))


def test_a_decision_head_is_switched_off_where_the_rules_alone_do_as_well() -> None:
    from analyzer.learn.training import OFF, _best_decision

    kind = "accepted"
    # The rules find both applied patches; the head only adds a false hit above 0.5.
    rules_enough = [
        ({kind: 0.9}, {kind}, {kind}),
        ({kind: 0.2}, {kind}, {kind}),
        ({kind: 0.7}, set(), set()),
        ({kind: 0.1}, set(), set()),
    ]
    assert _best_decision(rules_enough, kind, with_rules=True) == OFF
    # The head finds one the rules miss: it stays on, its threshold above the false hit.
    head_helps = [
        ({kind: 0.9}, {kind}, set()),
        ({kind: 0.2}, {kind}, {kind}),
        ({kind: 0.4}, set(), set()),
        ({kind: 0.1}, set(), set()),
    ]
    threshold = _best_decision(head_helps, kind, with_rules=True)
    assert 0.4 < threshold <= 0.9
    # Without the rules beside it, the head is judged alone.
    assert _best_decision(rules_enough, kind, with_rules=False) <= 0.2


def test_positions_take_their_usual_stance_unless_the_stance_head_reads_it_better() -> None:
    from analyzer.analysis.gold import GoldLine
    from analyzer.learn.training import OFF, TrainingThread, stance_thresholds, usual_stances

    gold = {
        "a@x": GoldLine("a@x", positions=(("bug-for-bug", "against"), ("no-uapi-regression", "for"))),
        "b@x": GoldLine("b@x", positions=(("bug-for-bug", "against"),)),
        "c@x": GoldLine("c@x", positions=(("bug-for-bug", "for"), ("no-uapi-regression", "against"))),
    }
    usual = usual_stances([TrainingThread("t", 0, (), gold)])
    assert usual == {"bug-for-bug": "against", "no-uapi-regression": "for"}  # a tie goes to "for"
    positions = ("bug-for-bug", "no-uapi-regression", "quirks-opt-out")
    # Out-of-fold messages: per position (probability, stance head's P(against)), gold pairs.
    head_wrong = [
        ({"bug-for-bug": (0.9, 0.2)}, {("bug-for-bug", "against")}),
        ({"no-uapi-regression": (0.8, 0.7)}, {("no-uapi-regression", "for")}),
    ]
    assert stance_thresholds(head_wrong, usual, positions) == {
        "stance.bug-for-bug": 0.0, "stance.no-uapi-regression": OFF, "stance.quirks-opt-out": OFF,
    }
    head_right = [
        ({"bug-for-bug": (0.9, 0.1)}, {("bug-for-bug", "for")}),
        ({"no-uapi-regression": (0.8, 0.9)}, {("no-uapi-regression", "against")}),
    ]
    assert set(stance_thresholds(head_right, usual, positions).values()) == {0.5}


def test_the_tiered_relation_head_reads_attitude_then_where_it_sits_between_agree_and_disagree(tmp_path: Path) -> None:
    """Three binary heads fitted on named features: attitude on every reply, at least mixed
    and disagree on the replies that take one; their probabilities combine into the four
    labels, which sum to one, and a saved bundle reads them back as the relation head."""
    from analyzer.learn.heads import RELATION_TIERS, TieredRelationHead, load_heads, relation_head, save_heads
    from analyzer.learn.training import fit_relation_tiers

    by_label = {"agree": {"ack": 1.0}, "mixed": {"ack": 1.0, "but": 1.0}, "disagree": {"nak": 1.0}, "neutral": {"info": 1.0}}
    labels = [label for label in by_label for _ in range(6)]
    features = [by_label[label] for label in labels]
    fitted = fit_relation_tiers(features, np.zeros((len(labels), 0)), labels, c=10.0)
    assert set(fitted) == set(RELATION_TIERS)
    heads = {name: head for name, head in fitted.items() if head is not None}
    assert len(heads) == 3
    save_heads(list(heads.values()), tmp_path / "heads")
    head = relation_head(load_heads(tmp_path / "heads"))
    assert isinstance(head, TieredRelationHead)
    probs = head.predict_proba(list(by_label.values()))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs >= 0).all()
    assert [head.classes[i] for i in probs.argmax(axis=1)] == list(by_label)
    # Explanations name the feature that pushed the deciding tier towards the label.
    assert head.top_features({"nak": 1.0}, output=head.classes.index("disagree")) == ["nak"]
    assert head.top_features({"info": 1.0}, output=head.classes.index("neutral")) == ["info"]
    # A bundle with one multinomial head (trained before the tiers) still reads it.
    single = {"relation": heads[RELATION_TIERS[0]]}
    assert relation_head(single) is single["relation"]


def test_judged_decision_kinds_are_read_under_the_judgement_gate(tmp_path: Path) -> None:
    """The gate learns whether a message passes any judgement; each judged kind's head learns
    which one among those that do; a kind's probability is the product, and a saved bundle
    joins the heads again when it is read back."""
    from analyzer.learn.heads import JUDGEMENT, GatedHead, load_heads, reading_head, save_heads
    from analyzer.learn.training import fit_judgement_heads

    by_kinds = {
        frozenset({"changes-requested"}): {"please": 1.0},
        frozenset({"rejected"}): {"nak": 1.0},
        frozenset({"policy-ruling"}): {"rule": 1.0},
        frozenset(): {"thanks": 1.0},
    }
    decisions = [set(kinds) for kinds in by_kinds for _ in range(6)]
    features = [by_kinds[frozenset(kinds)] for kinds in decisions]
    fitted = fit_judgement_heads(features, np.zeros((len(features), 0)), decisions, c=10.0)
    heads = {name: head for name, head in fitted.items() if head is not None}
    assert set(heads) == {JUDGEMENT, "decision.changes-requested", "decision.rejected", "decision.policy-ruling"}
    save_heads(list(heads.values()), tmp_path / "heads")
    loaded = load_heads(tmp_path / "heads")
    rejected = reading_head(loaded, "decision.rejected")
    assert isinstance(rejected, GatedHead) and rejected.gate is loaded[JUDGEMENT]
    rows = list(by_kinds.values())
    p = rejected.predict_proba(rows)[:, 1]
    conditional = loaded["decision.rejected"].predict_proba(rows)[:, 1]
    gate = loaded[JUDGEMENT].predict_proba(rows)[:, 1]
    assert np.array_equal(p, conditional * gate)
    assert p.argmax() == 1  # the NAK
    assert p[3] < 0.5 and gate[3] < 0.5  # thanks pass no judgement
    trained = reading_head(heads, "decision.rejected")
    assert trained is not None and np.allclose(p, trained.predict_proba(rows)[:, 1], atol=1e-5)  # float32 on disk

