"""Mail structure by b4's and patchwork's rules, one small written sample per case:
subject forms, series assembled across threads, partial re-rolls, cover letters as roots."""

from __future__ import annotations

import pytest

from analyzer.thread.records import PatchSubject
from analyzer.thread.subject import parse_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # prefix lists separated by commas (patchwork splits on commas and spaces)
        ("[net,v2,1/2] net: fix the ring", PatchSubject("net: fix the ring", ("PATCH",), 2, 1, 2, targets=("net",))),
        ("[PATCH,RFC] KVM: x86: a quirk", PatchSubject("KVM: x86: a quirk", ("PATCH", "RFC"))),
        ("[PATCH,v3,2/4] KVM: s", PatchSubject("KVM: s", ("PATCH",), 3, 2, 4)),
        # an unbracketed counter
        ("PATCH1/8 arm64: tidy", PatchSubject("arm64: tidy", ("PATCH",), 1, 1, 8)),
        ("PATCH v2 3/8: arm64: tidy", PatchSubject("arm64: tidy", ("PATCH",), 2, 3, 8)),
        # Mercurial's "n of m"
        ("[PATCH 3 of 8] tools: tidy", PatchSubject("tools: tidy", ("PATCH",), 1, 3, 8)),
        ("[PATCH v2 0 of 2] tools: series", PatchSubject("tools: series", ("PATCH",), 2, 0, 2)),
        # the version anywhere in the prefix, or at the end of the title
        ("[PATCH 1/2 v3] KVM: s", PatchSubject("KVM: s", ("PATCH",), 3, 1, 2)),
        ("[RFC v4 PATCH 1/2] KVM: s", PatchSubject("KVM: s", ("PATCH", "RFC"), 4, 1, 2)),
        ("[PATCH] KVM: arm64: fix the leak (v2)", PatchSubject("KVM: arm64: fix the leak", ("PATCH",), 2)),
        ("[PATCH 2/3] KVM: s [V3]", PatchSubject("KVM: s", ("PATCH",), 3, 2, 3)),
        # a counter alone makes a patch; a pull request stays a pull request
        ("[1/3] arm64: tidy", PatchSubject("arm64: tidy", ("PATCH",), 1, 1, 3)),
        ("[GIT PULL] KVM/arm64 fixes", PatchSubject("KVM/arm64 fixes", ("GIT", "PULL"))),
        ("Re: [net,v2,1/2] net: fix", PatchSubject("net: fix", ("PATCH",), 2, 1, 2, is_reply=True, targets=("net",))),
    ],
)
def test_subject_forms(subject: str, expected: PatchSubject) -> None:
    assert parse_subject(subject) == expected


def test_a_title_that_merely_mentions_of_keeps_its_words() -> None:
    parsed = parse_subject("[PATCH] KVM: one of two fixes")
    assert parsed.base == "KVM: one of two fixes" and parsed.number is None
