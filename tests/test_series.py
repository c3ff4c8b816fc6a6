"""Patch subjects and series versions."""

from __future__ import annotations

import pytest

from analyzer.thread.records import PatchSubject, SeriesVersion
from analyzer.thread.series import (
    PostedPatch,
    change_id_in,
    link_series,
    might_be_posting,
)
from analyzer.thread.subject import parse_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[PATCH v3 2/7] KVM: arm64: Fix it", PatchSubject("KVM: arm64: Fix it", ("PATCH",), 3, 2, 7)),
        ("[PATCHv3] KVM: arm64: Fix it", PatchSubject("KVM: arm64: Fix it", ("PATCH",), 3)),
        ("[RFC PATCH] KVM: x86: A quirk", PatchSubject("KVM: x86: A quirk", ("PATCH", "RFC"))),
        ("[PATCH RESEND] KVM: x86: A quirk", PatchSubject("KVM: x86: A quirk", ("PATCH", "RESEND"))),
        ("[PATCH 0/4] KVM: arm64: Series", PatchSubject("KVM: arm64: Series", ("PATCH",), 1, 0, 4)),
        ("Re: [PATCH v2 1/2] KVM: s", PatchSubject("KVM: s", ("PATCH",), 2, 1, 2, is_reply=True)),
        ("RE: [PATCH] KVM: s", PatchSubject("KVM: s", ("PATCH",), is_reply=True)),
        ("Aw: [PATCH] KVM: s", PatchSubject("KVM: s", ("PATCH",), is_reply=True)),
        ("AW: [PATCH] KVM: s", PatchSubject("KVM: s", ("PATCH",), is_reply=True)),
        ("Fwd: [PATCH] KVM: s", PatchSubject("KVM: s", ("PATCH",), is_reply=True)),
        ("Re: Re: [PATCH v2]  KVM:   s", PatchSubject("KVM: s", ("PATCH",), 2, is_reply=True)),
        (
            "[kvm-unit-tests PATCH v2 3/4] arm64: timer",
            PatchSubject("arm64: timer", ("PATCH",), 2, 3, 4, targets=("kvm-unit-tests",)),
        ),
        ("[PATCH V5 (RESEND) 0/4] arm64: c", PatchSubject("arm64: c", ("PATCH", "RESEND"), 5, 0, 4)),
        ("[GIT PULL] KVM/arm64 fixes for 6.1", PatchSubject("KVM/arm64 fixes for 6.1", ("GIT", "PULL"))),
        ("Re: KVM: arm64: a plain discussion", PatchSubject("KVM: arm64: a plain discussion", is_reply=True)),
    ],
)
def test_parse_subject(subject: str, expected: PatchSubject) -> None:
    parsed = parse_subject(subject)
    assert parsed == expected
    assert parsed.is_cover == (expected.number == 0)


def test_only_patches_that_are_not_replies_are_postings() -> None:
    assert might_be_posting("[PATCH v2 0/3] KVM: x")
    assert not might_be_posting("Re: [PATCH v2 0/3] KVM: x")
    assert not might_be_posting("KVM: a question")


def test_change_id_is_read_from_a_b4_cover_letter_or_a_gerrit_trailer() -> None:
    assert change_id_in("Text.\n\n---\nbase-commit: 0123abcd\nchange-id: 20260301-iidr-1a2b3c\n") == "20260301-iidr-1a2b3c"
    assert change_id_in("Fix.\n\nChange-Id: I0123456789abcdef\nSigned-off-by: A <a@example.org>\n") == "I0123456789abcdef"
    assert change_id_in("+change-id: inside a diff does not count\n") is None


class Poster:
    """Builds the postings of one author, numbering message ids and dates in order."""

    def __init__(self, author: str = "jane@example.org") -> None:
        self.author = author
        self.count = 0

    def post(self, subject: str, thread: str | None = None, **extra: str) -> PostedPatch:
        self.count += 1
        message_id = f"{self.count}-{self.author}"
        return PostedPatch(
            message_id=message_id,
            subject=subject,
            author_id=extra.pop("author_id", self.author),
            author_email=self.author,
            date=f"2026-03-{self.count:02d}T10:00:00+00:00",
            thread_id=thread or message_id,
            change_id=extra.pop("change_id", None),
        )


def chains(versions: tuple[SeriesVersion, ...]) -> list[list[tuple[int, str]]]:
    by_series: dict[str, list[SeriesVersion]] = {}
    for v in versions:
        by_series.setdefault(v.series_id, []).append(v)
    return [[(v.version, v.subject) for v in group] for group in by_series.values()]


def test_versions_link_v1_to_v3_through_superseded_by() -> None:
    jane = Poster()
    v1 = jane.post("[PATCH 0/2] KVM: arm64: IIDR")
    v1_patch = jane.post("[PATCH 1/2] KVM: arm64: track", thread=v1.thread_id)
    v2 = jane.post("[PATCH v2 0/2] KVM: arm64: IIDR")
    v3 = jane.post("[PATCH v3 0/3] KVM: arm64: IIDR")
    versions = link_series([v3, v1_patch, v2, v1])
    assert [(v.version, v.root_message_id, v.superseded_by) for v in versions] == [
        (1, v1.message_id, v2.message_id),
        (2, v2.message_id, v3.message_id),
        (3, v3.message_id, None),
    ]
    assert {v.series_id for v in versions} == {v1.message_id}


def test_a_new_version_posted_in_reply_to_the_old_one_is_still_a_new_version() -> None:
    jane = Poster()
    v1 = jane.post("[PATCH 0/2] KVM: arm64: IIDR")
    v1_patch = jane.post("[PATCH 1/2] KVM: arm64: track", thread=v1.thread_id)
    v2 = jane.post("[PATCH v2 0/2] KVM: arm64: IIDR", thread=v1.thread_id)
    v2_patch = jane.post("[PATCH v2 1/2] KVM: arm64: track", thread=v1.thread_id)
    versions = link_series([v1, v1_patch, v2, v2_patch])
    assert [(v.version, v.root_message_id, v.thread_id) for v in versions] == [
        (1, v1.message_id, v1.thread_id),
        (2, v2.message_id, v1.thread_id),
    ]


def test_a_retitled_series_links_by_change_id_or_first_patch() -> None:
    jane = Poster()
    v1 = jane.post("[PATCH 0/2] KVM: arm64: IIDR", change_id="20260301-iidr-1a2b")
    v2 = jane.post("[PATCH v2 0/2] KVM: arm64: Make the IIDR revision selectable", change_id="20260301-iidr-1a2b")
    v2_first = jane.post("[PATCH v2 1/2] KVM: arm64: track per VM", thread=v2.thread_id)
    v3 = jane.post("[PATCH v3 0/2] KVM: arm64: vgic: IIDR revisions")
    v3_first = jane.post("[PATCH v3 1/2] KVM: arm64: track per VM", thread=v3.thread_id)
    assert chains(link_series([v1, v2, v2_first, v3, v3_first])) == [
        [(1, v1.subject), (2, v2.subject), (3, v3.subject)]
    ]


def test_same_title_from_other_authors_or_trees_or_a_pull_request_stays_apart() -> None:
    jane, max_ = Poster("jane@example.org"), Poster("max@example.org")
    jane_fix = jane.post("[PATCH] KVM: arm64: Fix the LPI leak")
    max_fix = max_.post("[PATCH] KVM: arm64: Fix the LPI leak")
    tool_fix = jane.post("[kvmtool PATCH] KVM: arm64: Fix the LPI leak")
    series = jane.post("[PATCH 0/2] KVM: arm64: ITS cache")
    first = jane.post("[PATCH 1/2] KVM: arm64: Add the cache", thread=series.thread_id)
    pull = jane.post("[PATCH 00/17] KVM/arm64 updates for 6.20")
    pulled = jane.post("[PATCH 01/17] KVM: arm64: Add the cache", thread=pull.thread_id)
    versions = link_series([jane_fix, max_fix, tool_fix, series, first, pull, pulled])
    assert len({v.series_id for v in versions}) == 5
    assert all(v.superseded_by is None for v in versions)


def test_the_same_author_under_a_new_address_links_through_the_person_id() -> None:
    old, new = Poster("jane@corp.example.com"), Poster("jane@kernel.example")
    v1 = old.post("[PATCH] KVM: x86: quirk", author_id="person-jane")
    new.count = 5
    v2 = new.post("[PATCH v2] KVM: x86: quirk", author_id="person-jane")
    (first, second) = link_series([v2, v1])
    assert first.superseded_by == v2.message_id and second.series_id == v1.message_id
    assert (first.author_email, second.author_email) == ("jane@corp.example.com", "jane@kernel.example")


def test_replies_and_plain_mail_are_not_postings() -> None:
    jane = Poster()
    assert link_series([jane.post("Re: [PATCH] KVM: x"), jane.post("KVM: x: question")]) == ()
