"""Mail structure by b4's and patchwork's rules, one small written sample per case:
subject forms, series assembled across threads, partial re-rolls, cover letters as roots."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analyzer.cli.structure import commands as structure_commands
from analyzer.ingest.pipeline import IngestOptions, ingest
from analyzer.store.db import Store
from analyzer.store.schema import MIGRATIONS
from analyzer.store.structure import (
    load_series,
    needs_rebuild,
    posting_of,
    postings_in_thread,
    SERIES_PATCHES,
    rebuild_structure,
    structure_state,
)

from analyzer.dashboard.postings import posting_lines
from analyzer.graph.ids import lore_url, message_anchor
from analyzer.report.build import thread_report
from analyzer.report.html import environment, render_html
from analyzer.report.markdown import render_markdown
from analyzer.thread.records import PatchSubject, SeriesPatch, SeriesVersion, ThreadingHeaders
from analyzer.thread.series import PostedPatch, link_series, posted_patch
from analyzer.thread.subject import parse_subject
from analyzer.thread.tree import thread_messages
from tests.debate_factory import V1_ID, V2_ID, sample_debate


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # prefix lists separated by commas (patchwork splits on commas and spaces)
        ("[net,v2,1/2] net: fix the ring", PatchSubject("net: fix the ring", (), 2, 1, 2, targets=("net",))),
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
        # a counter alone is read, but the body says whether it is a patch
        ("[1/3] arm64: tidy", PatchSubject("arm64: tidy", (), 1, 1, 3)),
        ("[GIT PULL] KVM/arm64 fixes", PatchSubject("KVM/arm64 fixes", ("GIT", "PULL"))),
        ("Re: [net,v2,1/2] net: fix", PatchSubject("net: fix", (), 2, 1, 2, is_reply=True, targets=("net",))),
    ],
)
def test_subject_forms(subject: str, expected: PatchSubject) -> None:
    assert parse_subject(subject) == expected


def test_a_title_that_merely_mentions_of_keeps_its_words() -> None:
    parsed = parse_subject("[PATCH] KVM: one of two fixes")
    assert parsed.base == "KVM: one of two fixes" and parsed.number is None


# -- series assembled across threads -------------------------------------------------

DIFF = "Fix it.\n\nSigned-off-by: Jane Doe <jane@example.org>\n---\n a.c | 1 +\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1,2 @@\n x\n+y\n"


class Outbox:
    """The mail one author sends: each message is its own thread unless ``answers`` names
    the message it answers; dates advance by ``minutes`` per message."""

    def __init__(self, author: str = "jane@example.org", *, start: str = "2026-03-02T10:00:00+00:00") -> None:
        self.author = author
        self.sent: list[PostedPatch] = []
        self.when = dt.datetime.fromisoformat(start)

    def send(self, subject: str, *, body: str = DIFF, answers: PostedPatch | None = None, minutes: int = 1) -> PostedPatch:
        self.when += dt.timedelta(minutes=minutes)
        message_id = f"{len(self.sent) + 1}.{self.when:%H%M}-{self.author}"
        found = posted_patch(
            message_id, subject, author_id=self.author, author_email=self.author, date=self.when.isoformat(),
            thread_id=answers.thread_id if answers else message_id, body=body,
            parent_id=answers.message_id if answers else None,
        )
        assert found is not None, subject
        self.sent.append(found)
        return found


def postings(versions: tuple[SeriesVersion, ...]) -> list[list[str]]:
    return [[p.message_id for p in v.patches] for v in versions]


def test_patches_sent_without_references_are_one_posting_rooted_at_the_cover() -> None:
    jane = Outbox()
    patches = [jane.send(f"[PATCH {n}/3] KVM: part {n}") for n in (1, 2, 3)]
    cover = jane.send("[PATCH 0/3] KVM: the series", body="Three parts.\n", minutes=-10)
    (posting,) = link_series([*patches, cover])
    assert posting.root_message_id == cover.message_id
    assert postings((posting,)) == [[cover.message_id, *(p.message_id for p in patches)]]
    assert len({p.thread_id for p in posting.patches}) == 4


def test_same_shape_postings_apart_in_time_or_with_a_counter_twice_stay_apart() -> None:
    jane = Outbox()
    a1, a2 = jane.send("[PATCH 1/2] KVM: a one"), jane.send("[PATCH 2/2] KVM: a two")
    b1, b2 = jane.send("[PATCH 1/2] KVM: b one"), jane.send("[PATCH 2/2] KVM: b two")
    c1 = jane.send("[PATCH 1/2] KVM: c one", minutes=13 * 60)
    assert postings(link_series([a1, a2, b1, b2, c1])) == [
        [a1.message_id, a2.message_id], [b1.message_id, b2.message_id], [c1.message_id]
    ]


def test_comma_lists_and_n_of_m_assemble_like_brackets() -> None:
    jane = Outbox()
    net = [jane.send(f"[net,v2,{n}/2] net: part {n}") for n in (1, 2)]
    hg_cover = jane.send("[PATCH 0 of 2] tools: hg series", body="Cover.\n", minutes=60)
    hg = [jane.send(f"[PATCH {n} of 2] tools: hg {n}", answers=hg_cover) for n in (1, 2)]
    versions = link_series([*net, hg_cover, *hg])
    assert [v.version for v in versions] == [2, 1]
    assert postings(versions) == [[m.message_id for m in net], [hg_cover.message_id, *(m.message_id for m in hg)]]


def test_a_cover_letter_without_zero_of_n_is_the_root_its_patches_answer() -> None:
    jane = Outbox()
    cover = jane.send("[PATCH v2] KVM: arm64: the series", body="Why and what.\n")
    parts = [jane.send(f"[PATCH v2 {n}/2] KVM: arm64: part {n}", answers=cover) for n in (1, 2)]
    (posting,) = link_series([cover, *parts])
    assert posting.root_message_id == cover.message_id and posting.version == 2
    assert [(p.number, p.total) for p in posting.patches] == [(0, 2), (1, 2), (2, 2)]


def test_a_robot_report_with_a_counter_but_no_diff_is_no_patch_but_a_bare_cover_is() -> None:
    def posted(message_id: str, subject: str) -> object:
        return posted_patch(message_id, subject, author_id="a", author_email="a", date=None, thread_id=message_id,
                            body="warning: unused variable\n", parent_id=None)

    assert posted("r", "[kvmarm:next 29/32] arch/x.c:1:2: warning") is None
    assert posted("c", "[RFC 0/3] KVM: fixes") is not None


def test_a_patch_titled_reply_without_re_is_a_comment_and_a_diff_without_patch_is_a_posting() -> None:
    jane, max_ = Outbox(), Outbox("max@example.org")
    patch = jane.send("[PATCH] KVM: x86: fix the quirk")
    comment = max_.send("[PATCH] KVM: x86: fix the quirk", body="Looks wrong to me.\n", answers=patch)
    bare = max_.send("KVM: x86: another fix", minutes=90)
    versions = link_series([patch, comment, bare])
    assert [v.root_message_id for v in versions] == [patch.message_id, bare.message_id]
    assert posted_patch(
        "q", "KVM: x86: a question", author_id="a", author_email="a", date=None, thread_id="q", body="Why?\n", parent_id=None
    ) is None


def test_a_partial_reroll_links_and_supersedes_only_the_patches_it_resends() -> None:
    jane = Outbox()
    v2_cover = jane.send("[PATCH v2 0/3] KVM: arm64: IIDR", body="v2.\n")
    v2 = [jane.send(f"[PATCH v2 {n}/3] KVM: arm64: step {n}", answers=v2_cover) for n in (1, 2, 3)]
    v3_two = jane.send("[PATCH v3 2/3] KVM: arm64: step 2", answers=v2[1], minutes=24 * 60)
    first, second = link_series([v2_cover, *v2, v3_two])
    assert first.series_id == second.series_id == v2_cover.message_id
    assert (first.version, second.version, first.superseded_by) == (2, 3, v3_two.message_id)
    assert [p.superseded_by for p in first.patches] == [v3_two.message_id, None, v3_two.message_id, None]
    assert [p.message_id for p in second.patches] == [v3_two.message_id]


def test_a_version_at_the_end_of_the_title_links_and_supersedes() -> None:
    jane = Outbox()
    v1 = jane.send("[PATCH] KVM: arm64: fix the leak")
    v2 = jane.send("[PATCH] KVM: arm64: fix the leak (v2)", minutes=24 * 60)
    first, second = link_series([v2, v1])
    assert (first.version, second.version, first.superseded_by) == (1, 2, v2.message_id)


# -- stored and shown -----------------------------------------------------------------


def _mail(message_id: str, subject: str, minute: int, body: str, in_reply_to: str | None = None) -> str:
    reply = f"In-Reply-To: <{in_reply_to}>\nReferences: <{in_reply_to}>\n" if in_reply_to else ""
    return (
        f"From jane@example.org Mon Mar  2 10:{minute:02d}:00 2026\n"
        f"From: Jane Doe <jane@example.org>\nTo: kvm@example.org\nSubject: {subject}\n"
        f"Date: Mon, 2 Mar 2026 10:{minute:02d}:00 +0000\nMessage-ID: <{message_id}>\n{reply}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )


@pytest.fixture
def series_db(tmp_path: Path) -> Path:
    """A cover letter and two patches sent without References (three threads), and a
    reviewer's reply to patch 2."""
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        _mail("p1@x", "[PATCH 1/2] KVM: one", 1, DIFF)
        + _mail("p2@x", "[PATCH 2/2] KVM: two", 2, DIFF)
        + _mail("c0@x", "[PATCH 0/2] KVM: the pair", 0, "Two patches.\n")
        + _mail("r1@x", "Re: [PATCH 2/2] KVM: two", 30, "> x\nFine.\n", in_reply_to="p2@x"),
        encoding="utf-8",
    )
    db = tmp_path / "series.db"
    with Store.open(db) as store:
        ingest(store, [(str(mbox), "mbox")], IngestOptions(jobs=1))
        rebuild_structure(store, segment=False)
    return db


def test_which_patches_belong_to_which_posting_is_stored(series_db: Path) -> None:
    with Store.open(series_db) as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        (posting,) = load_series(store)
        assert [p.message_id for p in posting.patches] == ["c0@x", "p1@x", "p2@x"]
        assert posting_of(store, "<p2@x>") == posting
        assert posting_of(store, "r1@x") is None
        assert postings_in_thread(store, "p2@x") == [posting]


def test_show_lists_the_posting_of_a_patch(series_db: Path) -> None:
    result = CliRunner().invoke(structure_commands, ["show", "p1@x", "--db", str(series_db), "--json"])
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)["series"]
    assert series["root"] == "c0@x"
    assert [(p["number"], p["message_id"]) for p in series["patches"]] == [(0, "c0@x"), (1, "p1@x"), (2, "p2@x")]
    printed = CliRunner().invoke(structure_commands, ["show", "p1@x", "--db", str(series_db)])
    assert "Series: v1 posting c0@x (3 messages)" in printed.stdout


def test_a_store_from_before_the_migration_is_rebuilt_to_fill_it(tmp_path: Path) -> None:
    # a store at version 5, from before migration 6 (series_patches) asked for a rebuild
    db = tmp_path / "old.db"
    connection = sqlite3.connect(db)
    assert MIGRATIONS[5] == SERIES_PATCHES
    for script in MIGRATIONS[:5]:
        connection.executescript(script)
    connection.execute("INSERT INTO structure_state VALUES ('messages', '0:0')")
    connection.execute("PRAGMA user_version = 5")
    connection.commit()
    connection.close()
    with Store.open(db) as store:
        assert "messages" not in structure_state(store)
        assert needs_rebuild(store)


def test_reports_list_the_postings_of_the_thread_with_every_patch() -> None:
    debate = sample_debate()
    first = debate.thread(V1_ID).message_ids
    elsewhere = "7.lost-patch@example.org"
    patches = (
        SeriesPatch(first[0], 0, 2, "the series", V1_ID, None),
        SeriesPatch(elsewhere, 2, 2, "a patch sent without References", elsewhere, "8.resent@example.org"),
    )
    posting = SeriesVersion("s", 1, first[0], V1_ID, "[PATCH 0/2] the series", "a@x", None, "v2-root", patches)
    debate = dataclasses.replace(debate, series=(posting,))
    env = environment()
    report = thread_report(debate, V1_ID, env)
    assert [p.message_id for p in report.postings[0].patches] == [first[0], elsewhere]
    html = render_html(report, env)
    section = html[html.index('<section id="postings">') :]
    assert f'href="#{message_anchor(first[0])}"' in section and f'href="{lore_url(elsewhere)}"' in section
    assert "re-sent as 8.resent@example.org" in section and "superseded by v2-root" in section
    markdown = render_markdown(report)
    assert "## Series postings" in markdown and "2/2 [a patch sent without References]" in markdown
    assert thread_report(debate, V2_ID, env).postings == ()


def test_the_dashboard_section_lists_each_patch_and_where_it_sits() -> None:
    patches = (
        SeriesPatch("c@x", 0, 1, "cover", "c@x"),
        SeriesPatch("p@x", 1, 1, "the fix", "elsewhere@x", "p3@x"),
    )
    lines = posting_lines([SeriesVersion("s", 2, "c@x", "c@x", "[PATCH v2 0/1] cover", "a@x", None, None, patches)], "c@x")
    assert lines[0].startswith("- **v2**") and lines[0].endswith("current")
    assert lines[1] == "    - 0/1 cover"
    assert lines[2] == "    - 1/1 the fix (thread elsewhere@x) → re-sent as p3@x"


# -- a cover letter heads its posting whatever the order of ids -----------------------

SAME_SECOND = "2026-03-02T10:00:00+00:00"


@pytest.mark.parametrize(("cover", "patch"), [("zzz-0@x", "aaa-1@x"), ("aaa-0@x", "zzz-1@x")])
def test_a_reply_with_reversed_references_cannot_put_the_cover_under_its_patch(cover: str, patch: str) -> None:
    (thread,) = thread_messages(
        [
            ThreadingHeaders(cover, "[PATCH 0/1] KVM: the series", None, (), SAME_SECOND),
            ThreadingHeaders(patch, "[PATCH 1/1] KVM: the patch", cover, (cover,), SAME_SECOND),
            ThreadingHeaders("r@x", "Re: [PATCH 1/1] KVM: the patch", patch, (patch, cover), "2026-03-02T11:00:00+00:00"),
        ]
    )
    assert [(m.message_id, m.parent_id) for m in thread.members] == [(cover, None), (patch, cover), ("r@x", patch)]


def test_a_cover_letter_is_no_child_of_an_id_a_reply_names_before_it() -> None:
    """Some mail systems put an id of their own first in References."""
    threads = thread_messages(
        [
            ThreadingHeaders("c@x", "[RFC PATCH 0/1] KVM: drop it", None, (), "2026-03-02T10:00:00+00:00"),
            ThreadingHeaders("p@x", "[RFC PATCH 1/1] KVM: drop it", "c@x", ("c@x",), "2026-03-02T10:00:01+00:00"),
            ThreadingHeaders("r@y", "Re: [RFC PATCH 0/1] KVM: drop it", "c@x", ("SYS1@y", "c@x"), "2026-03-02T12:00:00+00:00"),
        ]
    )
    assert [t.thread_id for t in threads] == ["c@x"]
    assert not any(m.placeholder for m in threads[0].members)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[](),/ ofvPATCHRe:12 x")), max_size=40))
def test_any_subject_parses_and_links(subject: str) -> None:
    parsed = parse_subject(subject)
    assert parsed.base == " ".join(parsed.base.split())
    found = posted_patch("m", subject, author_id="a", author_email="a", date=None, thread_id="m", body=DIFF, parent_id=None)
    assert len(link_series([found] if found else [])) == (1 if found else 0)
