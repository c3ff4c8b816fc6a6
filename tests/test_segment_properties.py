"""Invariants of segmentation and quote resolution that hold for ANY text: the blocks tile
the body exactly once, in order; the records agree with the blocks; nothing raises."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.ingest import publicinbox
from analyzer.mail.parse import ParsePolicy, parse_raw
from analyzer.records import Message, RawMail
from analyzer.segment import Segmentation, resolve_quotes, segment_body
from analyzer.segment.resolve import source_text
from tests.conftest import require_shared

# Lines that switch the segmenter's states, mixed with noise, so that the generated
# bodies reach the diff, signature, footer, trailer, attribution and Outlook paths.
_TEMPLATES = [
    "",
    " ",
    "\t",
    ">",
    "> ",
    ">>",
    "> >",
    "> > > deep",
    "\r",
    "-- ",
    "--",
    "---",
    "-- 2",
    "[...]",
    "diff --git a/x.c b/x.c",
    "--- a/x.c",
    "+++ b/x.c",
    "@@ -1,3 +1,2 @@",
    "@@ -1 +1 @@",
    " context",
    "-removed",
    "+added",
    "\\ No newline at end of file",
    " x.c | 3 +-",
    " 1 file changed, 1 insertion(+)",
    "Jane Doe (2):",
    "  subject line",
    "On Mon, 11 May 2026 17:56:15 +0100, Jane Doe <jane@example.org> wrote:",
    "On Mon, 11 May 2026 17:56:15 +0100,",
    "Jane Doe <jane@example.org> wrote:",
    "> On 5/11/26 10:57, Jane Doe wrote:",
    "Quoting Jane Doe (2026-05-11 10:00:00)",
    "-----Original Message-----",
    "From: Jane Doe <jane@example.org>",
    "Sent: Monday, May 11, 2026 10:00 AM",
    "Subject: Re: x",
    "_______________________________________________",
    "kvmarm mailing list",
    "_______________________________________________\nkvmarm mailing list\nkvmarm@lists.cs.columbia.edu",
    "-----Original Message-----\nFrom: Jane Doe <jane@example.org>\nSent: Monday, May 11, 2026 10:00 AM\n",
    "IMPORTANT NOTICE: The contents of this email and any attachments are confidential",
    "Acked-by: Jane Doe <jane@example.org>",
    "> Signed-off-by: Jane Doe <jane@example.org>",
    "Fixes: 0123456789ab (\"x\")",
    "NAK",
    "[jane: tweaked]",
    "8<------",
    "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
]
_noise = st.text(alphabet=st.sampled_from(list("ab >-+@:[].\t\r|_\\*\u00e9\u2028")), max_size=12)
_line = st.one_of(st.sampled_from(_TEMPLATES), _noise, st.builds(lambda q, t: q + t, st.sampled_from([">", "> ", ">> "]), st.sampled_from(_TEMPLATES)))
_bodies = st.builds(
    lambda lines, crlf, tail: ("\r\n" if crlf else "\n").join(lines) + tail,
    st.lists(_line, max_size=40),
    st.booleans(),
    st.sampled_from(["", "\n", "\r\n", "\n\n"]),
)


def check_invariants(body: str, segmentation: Segmentation) -> None:
    blocks = segmentation.blocks
    assert "".join(body[b.start : b.end] for b in blocks) == body
    position = 0
    for block in blocks:
        assert block.start == position and block.end > block.start and block.depth >= 0
        position = block.end
    quote_blocks = [b for b in blocks if b.kind == "quote"]
    assert [(q.start, q.end, q.depth) for q in segmentation.quotes] == [(b.start, b.end, b.depth) for b in quote_blocks]
    assert all(q.depth >= 1 for q in segmentation.quotes)
    assert [q.index for q in segmentation.quotes] == list(range(len(segmentation.quotes)))
    own_blocks = [b for b in blocks if b.kind == "own"]
    assert [(o.start, o.end) for o in segmentation.own] == [(b.start, b.end) for b in own_blocks]
    for own in segmentation.own:
        assert own.text == body[own.start : own.end]
        assert own.answers is None or 0 <= own.answers < len(segmentation.quotes)
    for trailer in segmentation.trailers:
        assert 0 <= trailer.start <= trailer.end <= len(body)
    for attribution in segmentation.attributions:
        assert 0 <= attribution.start < attribution.end <= len(body)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies)
def test_mail_shaped_bodies_are_tiled_exactly_once(body: str) -> None:
    check_invariants(body, segment_body("m@example.org", body))


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_text_is_tiled_exactly_once(body: str) -> None:
    check_invariants(body, segment_body("m@example.org", body))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies, _bodies, _bodies)
def test_resolution_never_raises_and_spans_stay_in_their_source(body: str, parent: str, other: str) -> None:
    segmentation = segment_body("m@example.org", body)
    bodies = {"p@example.org": parent, "o@example.org": other, "m@example.org": body}
    resolved = resolve_quotes(segmentation, chain=[("p@example.org", parent)], thread_bodies=bodies)
    check_invariants(body, resolved)
    for quote in resolved.quotes:
        if quote.source_message_id is None:
            assert quote.source_start is None and quote.coverage == 0.0
            continue
        assert quote.source_message_id != "m@example.org"
        source = bodies[quote.source_message_id]
        assert quote.source_start is not None and quote.source_end is not None
        assert 0 <= quote.source_start < quote.source_end <= len(source)
        assert 0.5 <= quote.coverage <= 1.0
        runs = quote.source_spans
        assert runs and runs[0][0] == quote.source_start and runs[-1][1] == quote.source_end
        assert all(start < end for start, end in runs)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(runs))


@given(st.text(alphabet=st.sampled_from(list("ab.,\n\t\r ")), max_size=200), st.sampled_from(["> ", ">", "> \t"]))
def test_a_body_quoting_its_parent_verbatim_resolves_to_it(parent: str, marker: str) -> None:
    """Whatever prose the parent wrote, quoting all of it (in any marker style) resolves
    to the parent with the whole quote found."""
    if not any(char.isalpha() for char in parent):
        return  # nothing but punctuation: "..." alone is the quoter's cut mark
    body = "".join(f"{marker}{line}\n" for line in parent.split("\n")) + "\nReply.\n"
    resolved = resolve_quotes(segment_body("m", body), chain=[("p", parent)], thread_bodies={"p": parent})
    texts = [q for q in resolved.quotes if "".join(q.text.split())]
    assert texts and all(q.source_message_id == "p" and q.coverage == 1.0 for q in texts)


def test_real_archive_messages_are_tiled_and_their_quotes_resolve() -> None:
    """2,000 messages of the real kvmarm archive: no crash, exact tiling, and the quotes
    of replies whose parent is among them mostly resolve."""
    archive = require_shared("archives", "kvmarm-columbia-0.git")
    (epoch,) = publicinbox.find_epochs(archive)
    commits = publicinbox.list_new_commits(epoch, None)[:2000]
    messages = []
    for raw in publicinbox.read_epoch(epoch, commits, max_size=25 * 1024 * 1024, list_hint=None):
        if isinstance(raw, RawMail):
            parsed = parse_raw(raw, ParsePolicy())
            if isinstance(parsed, Message):
                messages.append(parsed)
    assert len(messages) > 1900
    bodies = {m.message_id: m.body for m in messages}
    quoted = resolved = 0
    for message in messages:
        segmentation = segment_body(message.message_id, message.body)
        check_invariants(message.body, segmentation)
        parent = bodies.get(message.in_reply_to or "")
        if parent is None:
            continue
        chain = [(message.in_reply_to or "", parent)]
        result = resolve_quotes(segmentation, chain=chain, thread_bodies=dict(chain))
        depth_one = [q for q in result.quotes if q.depth == 1 and len("".join(q.text.split())) >= 40]
        quoted += len(depth_one)
        resolved += sum(q.source_message_id == message.in_reply_to for q in depth_one)
    assert quoted > 1000
    assert resolved / quoted > 0.95


@given(st.text(alphabet=st.sampled_from(list("ab \t\r\n\\*-.>_\u00a0")), max_size=200))
def test_every_normalised_character_maps_back_to_itself_in_the_body(body: str) -> None:
    source = source_text(body)
    for position, char in enumerate(source.text):
        assert body[source.body_offset(position)] == char
