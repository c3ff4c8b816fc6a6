"""The analysis of a thread, told as short stories with the message factory."""

from __future__ import annotations

import pytest

from analyzer.analysis.label import thread_inputs
from analyzer.analysis.records import ThreadAnalysis
from analyzer.analysis.thread import analyse_thread
from analyzer.nlp.annotate import Annotator
from analyzer.nlp.pipeline import PipelineSettings, build_pipeline
from tests.factories import msg, reply

PATCH = "[PATCH] KVM: arm64: let userspace select the old GICD_IIDR revision"


@pytest.fixture(scope="module")
def annotator() -> Annotator:
    return Annotator(build_pipeline(PipelineSettings(behaviours=False)))


def _analyse(annotator: Annotator, *messages) -> dict[str, object]:  # type: ignore[no-untyped-def]
    [thread] = thread_inputs(list(messages))
    result: ThreadAnalysis = analyse_thread(thread, annotator)
    return {m.message_id: m for m in result.messages}


def test_a_rebuttal_disagrees_and_takes_the_other_side(annotator: Annotator) -> None:
    root = msg("root@x", subject=PATCH, author="Dana Kern <dana@vmm.example.org>",
               body="Guests must keep working across host kernel upgrades, so userspace needs a way\n"
                    "to select the previous behaviour of the vGIC.\n")
    rebuttal = reply(root, "nak@x", author="Mara Quill <mara@kernel.example>",
                     body="On Mon, Dana Kern wrote:\n> Guests must keep working across host kernel upgrades, so userspace needs a way\n"
                          "> to select the previous behaviour of the vGIC.\n\n"
                          "No. That behaviour is not allowed by the architecture, and we fix it for good.\n"
                          "We will not add knobs to bring back behaviour we removed.\n")
    found = _analyse(annotator, root, rebuttal)
    root_positions = {(p.position, p.stance) for p in found["root@x"].positions}  # type: ignore[attr-defined]
    assert ("pin-previous-behaviour", "for") in root_positions
    answer = found["nak@x"]
    positions = {(p.position, p.stance) for p in answer.positions}  # type: ignore[attr-defined]
    assert ("architecture-compliance", "for") in positions
    assert ("pin-previous-behaviour", "against") in positions
    assert answer.relation.label == "disagree" and answer.relation.to_message_id == "root@x"  # type: ignore[attr-defined]
    block = next(r for r in answer.relations if r.quote_index is not None)  # type: ignore[attr-defined]
    assert block.label == "disagree"
    assert block.to_start is not None, "the answered quote is resolved to a span of the parent"


def test_claims_point_at_their_sentence_in_the_body(annotator: Annotator) -> None:
    body = "Thanks for the respin.\n\nShow me a guest that actually breaks, then we can talk about a knob.\n"
    found = _analyse(annotator, msg("solo@x", body=body))
    claim = next(c for c in found["solo@x"].claims if c.position == "evidence-required")  # type: ignore[attr-defined]
    assert body[claim.start : claim.end] == claim.text
    assert claim.text.startswith("Show me a guest")


def test_maintainer_applies_and_a_reviewer_acks(annotator: Annotator) -> None:
    root = msg("p@x", subject=PATCH, author="Dana Kern <dana@vmm.example.org>", body="Fix the thing.\n")
    ack = reply(root, "ack@x", author="Rui Tanaka <rui@example.com>", body="Looks right to me.\n\nAcked-by: Rui Tanaka <rui@example.com>\n")
    applied = reply(root, "applied@x", author="Mara Quill <mara@kernel.example>", body="Applied to kvmarm/next, thanks.\n")
    found = _analyse(annotator, root, ack, applied)
    assert [d.kind for d in found["ack@x"].decisions] == ["endorsed"]  # type: ignore[attr-defined]
    decision = found["applied@x"].decisions[0]  # type: ignore[attr-defined]
    assert (decision.kind, decision.actor) == ("accepted", "Mara Quill")
    assert "Applied" in decision.evidence
    assert found["p@x"].decisions == ()  # type: ignore[attr-defined]


def test_quoted_text_is_never_the_repliers_view(annotator: Annotator) -> None:
    root = msg("q@x", body="Bug-for-bug compatibility is not what anyone should want.\n")
    neutral = reply(root, "r@x", body="On Tue, Alice Example wrote:\n> Bug-for-bug compatibility is not what anyone should want.\n\nWhich kernel version are you testing on?\n")
    found = _analyse(annotator, root, neutral)
    assert found["r@x"].claims == ()  # type: ignore[attr-defined]
    assert found["r@x"].relation.label == "neutral"  # type: ignore[attr-defined]


def test_a_patch_under_its_cover_letter_is_neutral(annotator: Annotator) -> None:
    cover = msg("c@x", subject="[PATCH 0/2] KVM: x86: add a quirk", author="Dana Kern <dana@vmm.example.org>",
                body="This series adds a quirk so userspace can disable the quirk and get the new behaviour.\n")
    patch = reply(cover, "c1@x", subject="[PATCH 1/2] KVM: x86: add the quirk", author="Dana Kern <dana@vmm.example.org>",
                  body="No. Userspace can disable the quirk.\n")
    found = _analyse(annotator, cover, patch)
    assert found["c1@x"].relation.label == "neutral"  # type: ignore[attr-defined]


def _answer(annotator: Annotator, body: str, *, parent_author: str = "Dana Kern <dana@vmm.example.org>") -> object:
    root = msg("root@x", subject=PATCH, author=parent_author,
               body="Guests must keep working across host kernel upgrades.\n\nSo userspace needs a way to select the old revision.\n")
    answer = reply(root, "a@x", author="Rui Tanaka <rui@example.com>", body=body)
    return _analyse(annotator, root, answer)["a@x"].relation  # type: ignore[attr-defined]


QUOTE_1 = "On Mon, Dana Kern wrote:\n> Guests must keep working across host kernel upgrades.\n\n"
QUOTE_2 = "> So userspace needs a way to select the old revision.\n\n"


def test_a_block_that_opens_by_agreeing_is_not_undone_by_its_buts(annotator: Annotator) -> None:
    body = (QUOTE_1 + "Right. On x86 this is covered by CPUID, not by the kernel.\n"
            "But on arm64 nobody has looked at it yet. But that can come later, not now.\n")
    assert _answer(annotator, body).label == "agree"  # type: ignore[attr-defined]
    # Without the opening agreement, the same contrast and negation read as pushing back.
    pushback = QUOTE_1 + "On x86 this is covered by CPUID, not by the kernel.\nBut on arm64 nobody has looked at it yet. But that can come later, not now.\n"
    assert _answer(annotator, pushback).label == "disagree"  # type: ignore[attr-defined]


def test_an_agreeing_block_keeps_its_approving_tone(annotator: Annotator) -> None:
    root = msg("root@x", subject=PATCH, author="Dana Kern <dana@vmm.example.org>", body="Guests must keep working.\n")
    middle = reply(root, "m@x", author="Mara Quill <mara@kernel.example>",
                   body="On Mon, Dana Kern wrote:\n> Guests must keep working.\n\nOnly on the fast model, which is broken anyway.\n")
    # Rui answers the text Mara quoted from Dana (half weight toward Mara): the approving
    # tone of a block that opened by agreeing is what carries it over the threshold.
    answer = reply(middle, "a@x", author="Rui Tanaka <rui@example.com>",
                   body="On Tue, Mara Quill wrote:\n> > Guests must keep working.\n\nRight, thanks, that is a good and helpful point.\n")
    found = _analyse(annotator, root, middle, answer)
    assert found["a@x"].relation.label == "agree"  # type: ignore[attr-defined]


def test_siding_with_a_third_party_is_not_agreeing_with_the_author_answered(annotator: Annotator) -> None:
    body = QUOTE_1 + "I don't see how that follows. I concur with Marc that a knob is not needed here.\n"
    assert _answer(annotator, body).label == "disagree"  # type: ignore[attr-defined]
    # Naming the person answered is agreeing with them, possessive or not, and agreeing
    # with a third party in one sentence leaves another sentence's agreement alone.
    assert _answer(annotator, QUOTE_1 + "I concur with Dana that a knob is needed here.\n").label == "agree"  # type: ignore[attr-defined]
    assert _answer(annotator, QUOTE_1 + "I agree with Dana's point entirely.\n").label == "agree"  # type: ignore[attr-defined]
    assert _answer(annotator, QUOTE_1 + "Agreed. Also, I agree with Marc.\n").label == "agree"  # type: ignore[attr-defined]
    # Without a display name the address stands in: "Sean" is seanjc@.
    assert _answer(annotator, "seanjc@google.com wrote:\n> Guests must keep working across host kernel upgrades.\n\n"
                   "I agree with Sean here.\n", parent_author="seanjc@google.com").label == "agree"  # type: ignore[attr-defined]


def test_one_answer_that_concedes_and_holds_its_ground_makes_the_reply_mixed(annotator: Annotator) -> None:
    body = (QUOTE_1 + "Yes, they must. My concern is that the knob hides the bug from the guest.\n\n"
            + QUOTE_2 + "Sounds good to me, I support that.\n")
    relation = _answer(annotator, body)
    assert relation.label == "mixed"  # type: ignore[attr-defined]


def test_a_condition_is_no_agreement_yet(annotator: Annotator) -> None:
    body = QUOTE_1 + "If you can show a guest that depends on it then I agree we need the old behaviour. Otherwise no.\n"
    assert _answer(annotator, body).label != "agree"  # type: ignore[attr-defined]


def test_where_roles_are_known_a_maintainers_word_weighs_more(annotator: Annotator) -> None:
    from analyzer.thread.maintainers import parse_maintainers

    sections = parse_maintainers("KVM/arm64\nM:\tMara Quill <mara@kernel.example>\nS:\tMaintained\n")
    root = msg("p@x", subject=PATCH, author="Dana Kern <dana@vmm.example.org>", body="Fix the thing.\n")
    # The same mild wording (a suggestion, below the threshold alone) and the same ruling.
    words = "I'd prefer to see this split.\n\nOur policy is that userspace must be able to select it.\n"
    by_maintainer = reply(root, "m@x", author="Mara Quill <mara@kernel.example>", body=words)
    by_reviewer = reply(root, "r@x", author="Rui Tanaka <rui@example.com>", body=words)
    [thread] = thread_inputs([root, by_maintainer, by_reviewer], maintainers=sections)
    assert thread.roles_known
    found = {m.message_id: m for m in analyse_thread(thread, annotator).messages}
    maintainer = {d.kind: d for d in found["m@x"].decisions}
    reviewer = {d.kind: d for d in found["r@x"].decisions}
    assert {"changes-requested", "policy-ruling"} <= set(maintainer)
    assert "policy-ruling" not in reviewer, "only a maintainer rules, once roles are known"
    assert "changes-requested" not in reviewer, "a suggestion from a reviewer stays a suggestion"
    # Without roles anyone but the patch author may speak as a maintainer, at plain weight.
    [unknown] = thread_inputs([root, by_maintainer, by_reviewer])
    plain = {m.message_id: m for m in analyse_thread(unknown, annotator).messages}
    assert "policy-ruling" in {d.kind for d in plain["r@x"].decisions}
    weighed = maintainer["policy-ruling"].confidence
    assert weighed > next(d for d in plain["m@x"].decisions if d.kind == "policy-ruling").confidence


def test_a_follow_up_that_argues_on_extends_its_authors_own_message(annotator: Annotator) -> None:
    first = msg("m1@x", subject="Re: " + PATCH, author="Mara Quill <mara@kernel.example>",
                body="We fix it for good: the architecture does not allow that behaviour.\n")
    more = reply(first, "m2@x", subject="Re: " + PATCH, author="Mara Quill <mara@kernel.example>",
                 body="I will also add that we will not add knobs to bring back behaviour we removed, "
                      "it is not allowed by the architecture.\n")
    ping = reply(first, "m3@x", subject="Re: " + PATCH, author="Mara Quill <mara@kernel.example>", body="Ping?\n")
    correction = reply(first, "m4@x", subject="Re: " + PATCH, author="Mara Quill <mara@kernel.example>",
                       body="No, I don't think so after all: we will not add knobs to bring back behaviour we removed.\n")
    turn = reply(first, "m5@x", subject="Re: " + PATCH, author="Mara Quill <mara@kernel.example>",
                 body="Being right by the spec does not justify breaking a running guest.\n")
    found = _analyse(annotator, first, more, ping, correction, turn)
    assert found["m2@x"].relation.label == "agree"  # type: ignore[attr-defined]
    assert found["m3@x"].relation.label == "neutral", "a ping argues nothing"  # type: ignore[attr-defined]
    assert found["m4@x"].relation.label != "agree", "taking it back is no extension"  # type: ignore[attr-defined]
    assert found["m5@x"].relation.label != "agree", "arguing the other side is a change of mind"  # type: ignore[attr-defined]


def test_an_indented_answer_still_opens_with_its_first_word(annotator: Annotator) -> None:
    assert _answer(annotator, QUOTE_1 + "   Right, that is what we do on x86.\n").label == "agree"  # type: ignore[attr-defined]
    assert _answer(annotator, QUOTE_1 + "\n\n  No. That breaks every guest out there.\n").label == "disagree"  # type: ignore[attr-defined]
