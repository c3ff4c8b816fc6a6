"""Golden samples of segmentation and quote resolution, one per situation, plus the
attribution forms seen on kernel lists.

Each case in tests/samples/segment is ``<case>.txt`` (or ``<case>.html``, converted the way
HTML-only mail is) with, when resolution is tested, ``<case>.parent.txt`` and
``<case>.grandparent.txt`` beside it; ``<case>.expected.json`` holds the expected blocks,
quotes (with the text of the source span they resolve to), own-text pairing, trailers
and attributions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from analyzer.mail.html import html_to_text
from analyzer.segment import Segmentation, resolve_quotes, segment_body, sentences
from analyzer.segment.attribution import parse_attribution
from tests.conftest import SAMPLES

CASES = SAMPLES / "segment"
ROLES = ("parent", "grandparent")


def case_names() -> list[str]:
    return sorted(path.name.removesuffix(".expected.json") for path in CASES.glob("*.expected.json"))


def load_case(name: str) -> tuple[str, dict[str, str]]:
    """The body and its ancestors' bodies keyed by role, nearest first."""
    html = CASES / f"{name}.html"
    body = html_to_text(html.read_text()) if html.exists() else (CASES / f"{name}.txt").read_text()
    ancestors = {}
    for role in ROLES:
        path = CASES / f"{name}.{role}.txt"
        if not path.exists():
            break
        ancestors[role] = path.read_text()
    return body, ancestors


def run_case(name: str) -> tuple[str, Segmentation, dict[str, str]]:
    body, ancestors = load_case(name)
    chain = [(f"{role}@example.org", text) for role, text in ancestors.items()]
    segmentation = resolve_quotes(segment_body(f"{name}@example.org", body), chain=chain, thread_bodies=dict(chain))
    return body, segmentation, ancestors


def render(body: str, segmentation: Segmentation, ancestors: dict[str, str]) -> dict[str, Any]:
    """Everything a golden file pins down, as plain JSON with the texts spelled out."""
    return {
        "blocks": [[b.kind, b.depth, body[b.start : b.end]] for b in segmentation.blocks],
        "quotes": [_render_quote(q, ancestors) for q in segmentation.quotes],
        "own": [{"answers": o.answers, "text": o.text} for o in segmentation.own],
        "trailers": [
            {"key": t.key, "value": t.value, "in_patch": t.in_patch, "name": t.name, "email": t.email}
            for t in segmentation.trailers
        ],
        "attributions": [
            {"name": a.name, "email": a.email, "date": a.date, "depth": a.depth, "text": body[a.start : a.end]}
            for a in segmentation.attributions
        ],
    }


def _render_quote(quote: Any, ancestors: dict[str, str]) -> dict[str, Any]:
    role = quote.source_message_id.split("@")[0] if quote.source_message_id else None
    source = ancestors[role][quote.source_start : quote.source_end] if role else None
    return {
        "depth": quote.depth,
        "patch": quote.patch,
        "attribution": quote.attribution.name if quote.attribution else None,
        "source": role,
        "source_text": source,
        "coverage": quote.coverage,
    }


@pytest.mark.parametrize("name", case_names())
def test_golden_sample(name: str) -> None:
    body, segmentation, ancestors = run_case(name)
    expected = json.loads((CASES / f"{name}.expected.json").read_text())
    assert render(body, segmentation, ancestors) == expected


def test_every_sample_has_an_expectation() -> None:
    bodies = {p.name.split(".")[0] for p in CASES.iterdir() if p.suffix in (".txt", ".html")}
    assert bodies == set(case_names())
    assert len(bodies) >= 11


def test_blocks_tile_every_sample() -> None:
    for name in case_names():
        body, segmentation, _ = run_case(name)
        assert "".join(body[b.start : b.end] for b in segmentation.blocks) == body
        assert all(b.start < b.end for b in segmentation.blocks)


def test_own_text_and_quotes_point_into_the_body() -> None:
    for name in case_names():
        body, segmentation, _ = run_case(name)
        for own in segmentation.own:
            assert body[own.start : own.end] == own.text
        starts = {b.start for b in segmentation.blocks if b.kind == "quote"}
        assert {q.start for q in segmentation.quotes} == starts


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "On Mon, 11 May 2026 17:56:15 +0100, Bob Reviewer <bob@example.org> wrote:",
            ("Bob Reviewer", "bob@example.org", "2026-05-11T17:56:15+01:00"),
        ),
        ("On 5/11/26 10:57, Bob Reviewer wrote:", ("Bob Reviewer", None, "2026-05-11T10:57:00")),
        (
            "On Tue, May 19, 2026 at 1:44 PM Bob Reviewer <bob@example.org> wrote:",
            ("Bob Reviewer", "bob@example.org", "2026-05-19T13:44:00"),
        ),
        ("On Wed, 2026-05-13 at 09:42 +0100, Bob Reviewer wrote:", ("Bob Reviewer", None, "2026-05-13T09:42:00+01:00")),
        (
            "On Thu, Dec 01, 2022 at 11:06:50AM +0000, Bob Reviewer wrote:",
            ("Bob Reviewer", None, "2022-12-01T11:06:50+00:00"),
        ),
        ("Bob Reviewer <bob@example.org> wrote:", ("Bob Reviewer", "bob@example.org", None)),
        ("Bob Reviewer wrote:", ("Bob Reviewer", None, None)),
        ("* Bob Reviewer (bob@example.org) wrote:", ("Bob Reviewer", "bob@example.org", None)),
        ("Quoting Bob Reviewer (2026-05-11 10:00:03)", ("Bob Reviewer", None, "2026-05-11T10:00:03")),
        (
            "* Bob Reviewer <bob@example.org> [2026-05-11 10:00:03 +0200]:",
            ("Bob Reviewer", "bob@example.org", "2026-05-11T10:00:03+02:00"),
        ),
        ("Am 11.05.26 um 10:57 schrieb Bob Reviewer:", ("Bob Reviewer", None, "2026-05-11T10:57:00")),
        ("Le 11/05/2026 à 10:57, Bob Reviewer a écrit\xa0:", ("Bob Reviewer", None, "2026-05-11T10:57:00")),
        (
            "Il mer 13 mag 2026, 15:57 Bob Reviewer <bob@example.org> ha scritto:",
            ("Bob Reviewer", "bob@example.org", "mer 13 mag 2026, 15:57"),
        ),
        (
            "On Thu, May 14, 2026 at 4:12 PM Bob Reviewer <[bob@example.org](<mailto:bob@example.org>)> wrote:",
            ("Bob Reviewer", "bob@example.org", "2026-05-14T16:12:00"),
        ),
        ("and this hack for writes:", None),
        ("The following changes since commit 0123456789ab:", None),
    ],
)
def test_attribution_forms(line: str, expected: tuple[str, str | None, str | None] | None) -> None:
    assert parse_attribution(line) == expected


def test_two_line_attribution_is_one_block() -> None:
    body = "On Mon, 11 May 2026 17:56:15 +0100,\nBob Reviewer <bob@example.org> wrote:\n> Quoted.\n\nReply.\n"
    segmentation = segment_body("m@example.org", body)
    assert [b.kind for b in segmentation.blocks] == ["attribution", "quote", "blank", "own"]
    (attribution,) = segmentation.attributions
    assert (attribution.name, attribution.email) == ("Bob Reviewer", "bob@example.org")
    assert segmentation.quotes[0].attribution == attribution


def test_a_wrote_line_without_a_quote_below_is_prose() -> None:
    body = "As Bob wrote:\nthe default stays.\n"
    segmentation = segment_body("m@example.org", body)
    assert [b.kind for b in segmentation.blocks] == ["own"]
    assert segmentation.attributions == ()


def test_schrieb_attribution_in_a_body() -> None:
    body = "Am 11.05.26 um 10:57 schrieb Bob Reviewer:\n> Das ist kaputt.\n\nNein.\n"
    segmentation = segment_body("m@example.org", body)
    assert segmentation.quotes[0].attribution is not None
    assert segmentation.quotes[0].attribution.name == "Bob Reviewer"
    assert segmentation.own[0].answers == 0


def test_quoted_diff_in_a_reply_is_a_patch_quote() -> None:
    body = "> @@ -1,2 +1,2 @@\n>  a\n> -b\n> +c\n\nWhy c?\n"
    segmentation = segment_body("m@example.org", body)
    assert [q.patch for q in segmentation.quotes] == [True]
    assert not segmentation.has_patch


def test_nak_alone_on_a_line_is_a_nacked_by_trailer() -> None:
    segmentation = segment_body("m@example.org", "> Patch.\n\nNACK\n\nBecause.\n")
    assert [(t.key, t.in_patch) for t in segmentation.trailers] == [("Nacked-by", False)]


def test_person_trailer_without_address_in_a_reply_is_prose() -> None:
    segmentation = segment_body("m@example.org", "> Patch.\n\nAcked-by: the whole team\n")
    assert segmentation.trailers == ()


def test_a_quote_with_lines_cut_out_resolves_to_the_runs_it_kept() -> None:
    parent = (
        "The first paragraph sets out the problem with rollback.\n\n"
        "The second paragraph is an aside nobody quotes.\n\n"
        "The third paragraph proposes the device attribute.\n"
    )
    body = (
        "> The first paragraph sets out the problem with rollback.\n"
        "> The third paragraph proposes the device attribute.\n\nAgreed.\n"
    )
    resolved = resolve_quotes(segment_body("m", body), chain=[("p", parent)], thread_bodies={"p": parent})
    (quote,) = resolved.quotes
    assert quote.source_message_id == "p" and quote.coverage == 1.0
    assert [parent[start:end] for start, end in quote.source_spans] == [
        "The first paragraph sets out the problem with rollback.",
        "The third paragraph proposes the device attribute.",
    ]
    assert (quote.source_start, quote.source_end) == (quote.source_spans[0][0], quote.source_spans[-1][1])


def test_text_only_quoted_by_the_parent_does_not_resolve_to_the_parent() -> None:
    """The parent quoting a missing message did not write that text."""
    parent = "> Text from a message that is not in the corpus at all.\n\nMy answer.\n"
    body = "> > Text from a message that is not in the corpus at all.\n> \n> My answer.\n\nOk.\n"
    resolved = resolve_quotes(segment_body("m", body), chain=[("p", parent)], thread_bodies={"p": parent})
    assert [(q.depth, q.source_message_id) for q in resolved.quotes] == [(2, None), (1, "p")]


def test_an_attribution_whose_quote_was_cut_still_counts_when_it_names_an_address() -> None:
    body = "> Alice Example <alice@example.org> writes:\n> > Bob wrote this.\n> Alice wrote this.\n"
    segmentation = segment_body("m", body)
    assert [(b.kind, b.depth) for b in segmentation.blocks][:2] == [("attribution", 1), ("quote", 2)]
    body = "> Alice Example <alice@example.org> writes:\n> Alice wrote this.\n"
    assert [b.kind for b in segment_body("m", body).blocks] == ["attribution", "quote"]


def test_sentences_split_on_full_stops_and_blank_lines() -> None:
    text = "Yes. That *exact* patch.\n\nThanks,\nAlice\n"
    assert [text[start:end] for start, end in sentences(text)] == ["Yes.", "That *exact* patch.", "Thanks,\nAlice"]
    assert sentences("  \n\n ") == []


def test_sentences_of_a_resolved_quote_point_into_its_source() -> None:
    _, segmentation, ancestors = run_case("nested_quotes")
    quote = segmentation.quotes[1]
    assert quote.source_start is not None and quote.source_end is not None
    span = ancestors["parent"][quote.source_start : quote.source_end]
    first, second = sentences(span)
    assert span[first[0] : first[1]] == "Do we actually know of a guest that depends on the old behaviour?"
    assert span[second[0] : second[1]].startswith("The\narchitecture has always allowed")


def test_a_quote_run_into_one_line_by_a_web_archive_is_unflattened() -> None:
    grandparent = "Userspace must be able to restore the old revision after an upgrade.\n"
    parent = (
        "On 5/11/26 10:57, Alice Example wrote:\n"
        "> Userspace must be able to restore the old revision after an upgrade.\n\n"
        "Only if a guest can tell the difference, which it cannot here,\n"
        "and no guest has ever been seen probing the group registers\n"
        "to find out which revision it runs on.\n"
    )
    flattened = (
        "On Mon, 2026-05-11 at 17:14 +0200, Bob Reviewer wrote: > On 5/11/26 10:57, Alice Example wrote: "
        "> > Userspace must be able to restore the old revision after an upgrade. > > > Only if a guest "
        "can tell the difference, which it cannot here, > and no guest has ever been seen probing the "
        "group registers > to find out which revision it runs on.\n"
        "It can, by probing the registers.\n"
    )
    chain = [("p", parent), ("g", grandparent)]
    resolved = resolve_quotes(segment_body("m", flattened), chain=chain, thread_bodies=dict(chain))
    assert [(b.kind, b.depth) for b in resolved.blocks] == [
        ("attribution", 0),
        ("attribution", 1),
        ("quote", 2),
        ("quote", 1),
        ("own", 0),
    ]
    assert [(q.source_message_id, q.coverage) for q in resolved.quotes] == [("g", 1.0), ("p", 1.0)]
    assert [o.text for o in resolved.own] == ["It can, by probing the registers.\n"]
    assert [a.name for a in resolved.attributions] == ["Bob Reviewer", "Alice Example"]


def test_a_review_tag_between_quoted_patch_parts_is_given_in_the_reply() -> None:
    body = (
        "> Signed-off-by: Alice Example <alice@example.org>\n\n"
        "Reviewed-by: Carol Maintainer <carol@example.org>\n\n"
        "> ---\n>  x.c | 2 +-\n\n"
        "And a fixup on top:\n\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n"
    )
    segmentation = segment_body("m", body)
    assert [(t.key, t.in_patch) for t in segmentation.trailers] == [("Reviewed-by", False)]
    assert segmentation.has_patch


def test_a_maintainer_note_between_trailers_keeps_them_one_block() -> None:
    body = (
        "Make revision 1 selectable.\n\n"
        "Signed-off-by: Alice Example <alice@example.org>\n"
        "[carol: reworded the commit message and\n"
        " dropped the unrelated cleanup]\n"
        "Signed-off-by: Carol Maintainer <carol@example.org>\n"
        "---\n x.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    )
    segmentation = segment_body("m", body)
    assert [b.kind for b in segmentation.blocks] == ["own", "blank", "trailer", "patch"]
    assert [(t.name, t.in_patch) for t in segmentation.trailers] == [("Alice Example", True), ("Carol Maintainer", True)]
