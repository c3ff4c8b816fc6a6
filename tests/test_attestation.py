"""Trailers in replies attested like b4: credited only when the person named sent them,
restated patch trailers are no new decision, every tag is its own record."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.analysis.label import thread_inputs
from analyzer.analysis.records import UNATTESTED, MessageAnalysis
from analyzer.analysis.thread import analyse_thread
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from analyzer.records import Message
from analyzer.segment import segment_body
from analyzer.segment.attest import Sender, attest
from analyzer.store.analysis import load_analyses, save_thread_analysis
from analyzer.store.db import Store
from tests.factories import msg, reply

PATCH_BODY = (
    "Let userspace pick the IIDR revision.\n\n"
    "Reviewed-by: Oli Grant <oli@example.org>\n"
    "Signed-off-by: Dana Kern <dana@vmm.example.org>\n"
    "---\n a.c | 1 +\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1,2 @@\n x\n+y\n"
)
QUOTE = "On Mon, Dana Kern wrote:\n> Let userspace pick the IIDR revision.\n\n"


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(build_pipeline(PipelineSettings(behaviours=False)))


def analysed(annotator: Annotator, *messages: Message) -> dict[str, MessageAnalysis]:
    [thread] = thread_inputs(list(messages))
    return {m.message_id: m for m in analyse_thread(thread, annotator).messages}


def patch() -> Message:
    return msg("p@x", subject="[PATCH] KVM: arm64: IIDR revision", author="Dana Kern <dana@vmm.example.org>", body=PATCH_BODY)


def test_the_senders_own_tags_are_one_decision_each(annotator: Annotator) -> None:
    root = patch()
    tags = reply(root, "t@x", author="Mara Quill <mara@kernel.example>",
                 body=QUOTE + "Reviewed-by: Mara Quill <mara@kernel.example>\nTested-by: Mara Quill <mara@kernel.example>\n")
    found = analysed(annotator, root, tags)["t@x"]
    assert [(d.kind, d.actor, d.signals) for d in found.decisions] == [
        ("endorsed", "Mara Quill", ("structure:trailer:Reviewed-by",)),
        ("endorsed", "Mara Quill", ("structure:trailer:Tested-by",)),
    ]
    assert found.unattested == ()


def test_a_tag_naming_someone_else_is_kept_unattested_and_is_nobodys_decision(annotator: Annotator) -> None:
    root = patch()
    relayed = reply(root, "r@x", author="Mara Quill <mara@kernel.example>",
                    body=QUOTE + "Our CI ran it on three boards.\n\nTested-by: Ci Bot <ci@lab.example>\n")
    found = analysed(annotator, root, relayed)["r@x"]
    assert not any(d.kind == "endorsed" for d in found.decisions)
    (kept,) = found.unattested
    assert (kept.kind, kept.actor, kept.evidence) == ("endorsed", "Ci Bot", "Tested-by: Ci Bot <ci@lab.example>")
    assert UNATTESTED in kept.signals and not kept.attested


def test_restating_the_patchs_own_trailers_is_no_new_decision(annotator: Annotator) -> None:
    root = patch()
    applied = reply(root, "a@x", author="Oli Grant <oli@example.org>",
                    body=QUOTE + "Thanks, the tags as they stand:\n\nReviewed-by: Oli Grant <oli@example.org>\n")
    found = analysed(annotator, root, applied)["a@x"]
    assert not any(d.signals and d.signals[0].startswith("structure:trailer") for d in found.decisions)
    assert found.unattested == ()


def test_a_different_address_under_the_same_name_is_still_the_sender() -> None:
    (trailer,) = segment_body("m", "Fine by me.\n\nAcked-by: Mara Quill <mara@corp.example>\n").trailers
    assert attest(trailer, Sender.of("Quill, Mara", ["mara@kernel.example"])) == "attested"
    assert attest(trailer, Sender.of("Mara Lind", ["mara@kernel.example"])) == "unattested"
    assert attest(trailer, Sender.of("Mara Lind", ["MARA@corp.example"])) == "attested"
    assert attest(trailer, Sender.of("Mara Lind", ["x@y"]), frozenset({("Acked-by", "mara@corp.example")})) == "restated"


def test_a_bare_nak_is_the_senders(annotator: Annotator) -> None:
    root = patch()
    nak = reply(root, "n@x", author="Mara Quill <mara@kernel.example>", body=QUOTE + "NAK.\n")
    assert [d.kind for d in analysed(annotator, root, nak)["n@x"].decisions] == ["rejected"]


def test_unattested_tags_round_trip_through_the_store_apart_from_decisions(annotator: Annotator, tmp_path: Path) -> None:
    root = patch()
    relayed = reply(root, "r@x", author="Mara Quill <mara@kernel.example>",
                    body=QUOTE + "Acked-by: Mara Quill <mara@kernel.example>\nTested-by: Ci Bot <ci@lab.example>\n")
    [thread] = thread_inputs([root, relayed])
    result = analyse_thread(thread, annotator)
    with Store.open(tmp_path / "a.db") as store:
        save_thread_analysis(store, result, "test")
        loaded = load_analyses(store)["r@x"]
    original = {m.message_id: m for m in result.messages}["r@x"]
    assert loaded.decisions == original.decisions and loaded.unattested == original.unattested
    assert [d.actor for d in loaded.unattested] == ["Ci Bot"] and [d.kind for d in loaded.decisions] == ["endorsed"]
