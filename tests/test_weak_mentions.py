"""Loose names of catalogue entries (the learned linker's candidates): case and separator
variants, names inside longer names, spans naming two entries, the selftests' wrappers the
catalogue build reads as an ioctl's code names, the head's new mentions with their
evidence, and hostile text."""

from __future__ import annotations

import time

import numpy as np
import pytest

from analyzer.analysis.catalogue import Behaviour, Catalogue, load_link_rules
from analyzer.analysis.records import Mention
from analyzer.kernel import build_catalogue, read_kernel_source
from analyzer.kernel.selftests import function_bodies, ioctl_wrappers, names_alike
from analyzer.learn.apply import _mentions
from analyzer.learn.examples import Candidate
from analyzer.learn.heads import LinearHead
from analyzer.learn.model import Combination, LearnedModels
from analyzer.learn.predict import BehaviourScore
from analyzer.learn.views import WeakMention
from analyzer.nlp.behaviours import WEAK_MAX_CHARS, WeakIndex
from tests.conftest import SAMPLES

CATALOGUE = Catalogue(
    (
        Behaviour("KVM_SET_ONE_REG", "ioctl", aliases=("KVM_GET_ONE_REG", "ONE_REG"), code_names=("vcpu_set_reg",)),
        Behaviour("KVM_ARM_VCPU_PMU_V3", "vcpu_feature", aliases=("PMU_V3",)),
        Behaviour("KVM_ARM_VCPU_PMU_V3_CTRL", "device_attr"),
        Behaviour("FEAT_PMUv3", "arch_feature", aliases=("PMUv3", "PMU_V3")),
        Behaviour("KVM_CAP_ARM_NISV_TO_USER", "capability"),
        Behaviour("KVM_CAP_ARM_SEA_TO_USER", "capability"),
        Behaviour("KVM_CAP_ARM_OTHER_TO_USER", "capability"),
        Behaviour("guest_policy", "policy_rule", aliases=("one reg policy",)),
    )
)


@pytest.fixture(scope="module")
def index() -> WeakIndex:
    return WeakIndex(CATALOGUE, load_link_rules())


def found(index: WeakIndex, text: str) -> set[tuple[str, str, str, bool, bool]]:
    return {(text[f.start : f.end], f.target, f.form, f.alone, f.longest) for f in index.find(text)}


@pytest.mark.parametrize(
    "text",
    ["kvm_set_one_reg", "KVM-SET-ONE-REG", "Kvm_Set_One_Reg", "kvm set one reg", "kvm set one register"],
)
def test_an_id_is_found_in_any_case_with_any_separator(index: WeakIndex, text: str) -> None:
    assert (text, "KVM_SET_ONE_REG", "id", True, True) in found(index, f"we call {text}( here")


def test_aliases_code_names_and_distinctive_tails_are_their_own_forms(index: WeakIndex) -> None:
    assert ("one-reg", "KVM_SET_ONE_REG", "alias", True, True) in found(index, "the one-reg API")
    assert ("kvm_get_one_reg", "KVM_SET_ONE_REG", "alias", True, True) in found(index, "kvm_get_one_reg(cs, id)")
    assert ("vcpu_set_reg", "KVM_SET_ONE_REG", "code", True, True) in found(index, "vcpu_set_reg(vcpu, id, 1);")
    assert ("nisv_to_user", "KVM_CAP_ARM_NISV_TO_USER", "part", True, True) in found(index, "the nisv_to_user cap")
    # a tail that ends more than two ids ("TO_USER") names none of them
    assert not {t for t in found(index, "exit to_user now") if t[2] == "part"}
    # policy rules are never linked
    assert "guest_policy" not in {t[1] for t in found(index, "the one reg policy")}


def test_a_name_inside_a_longer_name_is_flagged(index: WeakIndex) -> None:
    hits = found(index, "set KVM_ARM_VCPU_PMU_V3_CTRL now")
    assert ("KVM_ARM_VCPU_PMU_V3_CTRL", "KVM_ARM_VCPU_PMU_V3_CTRL", "id", True, True) in hits
    inner = {h for h in hits if h[1] == "KVM_ARM_VCPU_PMU_V3" and h[0] == "KVM_ARM_VCPU_PMU_V3"}
    assert inner == {("KVM_ARM_VCPU_PMU_V3", "KVM_ARM_VCPU_PMU_V3", "id", False, False)}
    # joined to an identifier by "_" at its end: not alone
    assert ("one_reg", "KVM_SET_ONE_REG", "alias", False, True) in found(index, "one_reg_count = 3")


def test_a_span_naming_two_entries_yields_both(index: WeakIndex) -> None:
    hits = found(index, "enable pmu_v3 for the guest")
    assert {h[1] for h in hits if h[0] == "pmu_v3"} == {"KVM_ARM_VCPU_PMU_V3", "FEAT_PMUv3"}


def test_paths_and_urls_name_nothing(index: WeakIndex) -> None:
    assert not found(index, "see tools/kvm/one_reg.c and https://example.org/kvm_set_one_reg")


def test_hostile_text_is_read_in_bounded_time(index: WeakIndex) -> None:
    names = "kvm_set_one_reg_" * 200_000  # 3.2 MB of one name run together
    started = time.monotonic()
    hits = index.find(names)
    assert time.monotonic() - started < 20
    assert hits and max(f.end for f in hits) <= WEAK_MAX_CHARS
    noise = "".join(chr(c) for c in range(32, 0x2FF)) * 2_000
    assert index.find(noise + "\x00" * 1000 + "_" * 100_000) == []


# ---------------------------------------------------------------- the catalogue build


def test_selftest_wrappers_become_the_code_names_of_the_ioctl_they_issue() -> None:
    files = read_kernel_source(SAMPLES / "kernel-tree")
    curated = Catalogue((Behaviour("KVM_GET_EXAMPLE_STATE", "other", aliases=("KVM_SET_EXAMPLE_STATE",)),))
    built = {b.id: b for b in build_catalogue(files, curated).entries}
    # a wrapper's wrapper counts; the owner of the ioctl's name gets it (here, by alias)
    assert built["KVM_GET_EXAMPLE_STATE"].code_names == ("vcpu_example_state_set",)
    assert built["KVM_EXAMPLE_RESET_RINGS"].code_names == ("vm_reset_example_rings",)
    assert built["KVM_RUN"].code_names == ("vcpu_run",)
    every = {n for b in built.values() for n in b.code_names}
    # two ioctls, a name unlike the ioctl, a body with no end: no wrapper
    assert not every & {"vcpu_run_and_reset", "get_ucall_example", "broken_wrapper"}
    assert all(not b.code_names for b in built.values() if b.kind not in ("ioctl", "other"))


def test_wrapper_reading_is_pure_and_tolerates_broken_c() -> None:
    assert function_bodies("int f(void)\n{\n") == {}
    assert function_bodies("}}}{{{\n\n") == {}
    text = "static inline int vm_enable_cap(struct kvm_vm *vm)\n{\n\treturn vm_ioctl(vm, KVM_ENABLE_CAP, NULL);\n}\n"
    files = {"tools/testing/selftests/kvm/include/kvm_util.h": text, "elsewhere/kvm_util.h": text.replace("vm_enable", "vm_xenable")}
    assert ioctl_wrappers(files, {"KVM_ENABLE_CAP"}) == {"vm_enable_cap": "KVM_ENABLE_CAP"}
    assert names_alike("vm_check_cap", "KVM_CHECK_EXTENSION")
    assert not names_alike("get_ucall", "KVM_RUN")


# ---------------------------------------------------------------- the head's mentions


def _models(threshold: float, mode: str = "union") -> LearnedModels:
    head = LinearHead("behaviour", ("no", "yes"), ("rule",), np.ones(1), 0, np.zeros((1, 1)), np.zeros(1))
    return LearnedModels(
        heads={"behaviour": head}, thresholds={"behaviour": threshold}, prototypes={},
        combination=Combination(behaviours=mode),  # type: ignore[arg-type]
    )


def test_a_loosely_named_entry_the_head_keeps_is_a_mention_that_explains_itself() -> None:
    weak = WeakMention("KVM_SET_ONE_REG", "own", 10, 17, "one-reg", "alias", True, True, False)
    loose = Candidate("m1", "KVM_SET_ONE_REG", 10, 17, "one-reg", False, weak, ("weak:own/alias/alone",))
    ruled = Candidate("m1", "FEAT_PMUv3", 30, 36, "PMUv3", True, None, ())
    low = Candidate("m1", "KVM_ARM_VCPU_PMU_V3", 40, 46, "pmu_v3", False, weak, ("weak:own/alias",))
    scores = {
        ("m1", "KVM_SET_ONE_REG"): BehaviourScore(loose, 0.8),
        ("m1", "FEAT_PMUv3"): BehaviourScore(ruled, 0.2),
        ("m1", "KVM_ARM_VCPU_PMU_V3"): BehaviourScore(low, 0.3),
        ("m2", "KVM_SET_ONE_REG"): BehaviourScore(loose, 0.9),
    }
    rule = Mention("m1", "behaviour", "FEAT_PMUv3", 30, 36, "PMUv3")
    commit = Mention("m1", "commit", "abcdef1234567", 50, 63, "abcdef1234567")
    kept = _mentions((rule, commit), scores, "m1", _models(0.5))
    by_target = {m.target: m for m in kept}
    assert set(by_target) == {"FEAT_PMUv3", "abcdef1234567", "KVM_SET_ONE_REG"}
    new = by_target["KVM_SET_ONE_REG"]
    assert (new.start, new.end, new.text, new.confidence) == (10, 17, "one-reg", 0.8)
    assert new.signals == ("model:behaviour 0.80", "weak:own/alias/alone")
    # under union the rules' link stays with the rules' confidence, the head's score beside it
    assert by_target["FEAT_PMUv3"].signals[:2] == ("rule:linker", "model:behaviour 0.20")
    assert by_target["FEAT_PMUv3"].confidence == 1.0
    # under model the head may drop a rules' link too
    assert "FEAT_PMUv3" not in {m.target for m in _mentions((rule,), scores, "m1", _models(0.5, "model"))}
    # the rules alone: nothing added, nothing dropped
    assert _mentions((rule,), scores, "m1", _models(0.5, "rules")) == (rule,)


def test_a_thread_read_end_to_end_gives_loose_names_their_own_mentions() -> None:
    """view_thread finds the loose names (own text, the quote a reply answers) and the
    learned reading turns those its head keeps into mentions with span, score and signals."""
    from analyzer.analysis.catalogue import load_catalogue
    from analyzer.analysis.label import thread_inputs, unique_messages
    from analyzer.learn.apply import learned_analysis
    from analyzer.learn.encoder import NoVectors
    from analyzer.learn.views import view_thread
    from analyzer.nlp.annotate import Annotator
    from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
    from tests.factories import msg, reply

    annotator = Annotator(build_pipeline(PipelineSettings()))
    root = msg("root@x", subject="[PATCH] KVM: arm64: restore the counters", body="We restore them with the one-reg API now.\n")
    answer = reply(root, "a@x", body="> We restore them with the one-reg API now.\n\nFine by me.\n")
    [thread] = thread_inputs(unique_messages([root, answer]))
    view = view_thread(thread, annotator)
    weak = {v.message.message_id: {(w.target, w.place, w.text) for w in v.weak} for v in view.messages}
    assert ("KVM_SET_ONE_REG", "own", "one-reg") in weak["root@x"]
    assert ("KVM_SET_ONE_REG", "quote", "one-reg") in weak["a@x"]
    # a head that trusts a loose name standing alone in the own text, and nothing else
    head = LinearHead("behaviour", ("no", "yes"), ("weak.own.alias.alone",), np.ones(1), 0, np.array([[8.0]]), np.array([-4.0]))
    models = LearnedModels(
        heads={"behaviour": head}, thresholds={"behaviour": 0.5}, prototypes={},
        combination=Combination(positions="rules", relations="rules", decisions="rules", behaviours="union"),
    )
    kinds = {b.id: b.kind for b in load_catalogue(None)}
    analysis = {m.message_id: m for m in learned_analysis(view, models, NoVectors(), kinds).messages}
    [linked] = [m for m in analysis["root@x"].mentions if m.target == "KVM_SET_ONE_REG"]
    assert root.body[linked.start : linked.end] == "one-reg" == linked.text
    assert linked.confidence == pytest.approx(0.982, abs=0.001)
    assert linked.signals[0].startswith("model:behaviour 0.98") and "weak:own/alias/alone" in linked.signals
    assert "rule:linker" not in linked.signals  # the rules do not link "one-reg": the head added it
    assert not [m for m in analysis["a@x"].mentions if m.target == "KVM_SET_ONE_REG"]


def test_loose_name_signals_read_as_words() -> None:
    from analyzer.evidence import signal_text

    assert signal_text("weak:own/alias/alone") == "named loosely: alias in own text, alone"
    assert signal_text("weak:quote/id") == "named loosely: id in answered quote"
