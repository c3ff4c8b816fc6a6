"""Safe by default: what Add data refuses (shown through AppTest), what it accepts (a real
loopback archive), and mail text that can never become markup."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analyzer.analysis.records import Claim, Decision, Mention, MessageAnalysis
from analyzer.dashboard import markup
from analyzer.dashboard.config import SAMPLE_DB, load_config, parse_hosts
from analyzer.dashboard.safety import Refused, check_upload, fetch_ref
from analyzer.errors import ConfigError
from analyzer.segment.records import Block
from analyzer.store.db import Store
from tests.conftest import ROOT
from tests.lore_server import LoreFixture, serve

APP = str(ROOT / "app.py")
ADD_DATA = "analyzer/dashboard/pages/add_data.py"
LORE = parse_hosts("lore.kernel.org")

ROOT_ID = "20260611093015.4471-1-ilse.marchetti@example.org"
THREAD = f"""From ilse.marchetti@example.org Thu Jun 11 09:30:15 2026
From: Ilse Marchetti <ilse.marchetti@example.org>
To: kvmarm@lists.linux.dev
Subject: [PATCH] KVM: arm64: Keep CTR_EL0.DminLine stable across restore
Date: Thu, 11 Jun 2026 09:30:15 +0000
Message-ID: <{ROOT_ID}>
List-Id: <kvmarm.lists.linux.dev>
X-Synthetic: yes - written for the mlpa project, fictional participants

A guest restored on a newer host sees a different CTR_EL0.DminLine and
its cache maintenance loops pick a new stride. Userspace must be able to
pin the value the guest was booted with.

Signed-off-by: Ilse Marchetti <ilse.marchetti@example.org>

From oskar.lindahl@example.org Thu Jun 11 14:02:44 2026
From: Oskar Lindahl <oskar.lindahl@example.org>
To: kvmarm@lists.linux.dev
Subject: Re: [PATCH] KVM: arm64: Keep CTR_EL0.DminLine stable across restore
Date: Thu, 11 Jun 2026 14:02:44 +0000
Message-ID: <20260611140244.GA812@oskar-ws.example.org>
In-Reply-To: <{ROOT_ID}>
References: <{ROOT_ID}>
List-Id: <kvmarm.lists.linux.dev>
X-Synthetic: yes - written for the mlpa project, fictional participants

On Thu, Jun 11, 2026 at 09:30:15AM +0000, Ilse Marchetti wrote:
> Userspace must be able to pin the value the guest was booted with.

I disagree. Show me a guest that actually breaks first.

Oskar
""".encode()


# -- configuration -------------------------------------------------------------------


def test_db_from_argv_wins_over_environment_and_sample_is_the_default(tmp_path: Path) -> None:
    named = load_config(["--db", str(tmp_path / "a.db")], {"ANALYZER_DB": str(tmp_path / "b.db")})
    assert named.db_path == tmp_path / "a.db" and not named.sample
    assert load_config([], {"ANALYZER_DB": str(tmp_path / "b.db")}).db_path == tmp_path / "b.db"
    default = load_config(["-q", "tests/"], {})
    assert default.sample and default.db_path == SAMPLE_DB
    assert [str(h) for h in default.allowed_hosts] == ["lore.kernel.org"]


def test_allowed_hosts_are_hosts_only() -> None:
    hosts = parse_hosts("lore.kernel.org, http://127.0.0.1:8080")
    assert [h.base for h in hosts] == ["https://lore.kernel.org", "http://127.0.0.1:8080"]
    for bad in ("ftp://lore.kernel.org", "https://lore.kernel.org/all", "user@lore.kernel.org", " , "):
        with pytest.raises(ConfigError):
            parse_hosts(bad)
    with pytest.raises(ConfigError, match="megabytes"):
        load_config([], {"ANALYZER_MAX_UPLOAD_MB": "lots"})


# -- what typed text may fetch --------------------------------------------------------


def test_lore_urls_and_message_ids_on_allowed_hosts_are_accepted() -> None:
    ref = fetch_ref(f"https://lore.kernel.org/kvmarm/{ROOT_ID}/", LORE)
    assert ref.url == f"https://lore.kernel.org/kvmarm/{ROOT_ID}/t.mbox.gz"
    assert fetch_ref(f"<{ROOT_ID}>", LORE).url == f"https://lore.kernel.org/all/{ROOT_ID}/t.mbox.gz"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"https://evil.example.com/all/{ROOT_ID}/", "not a configured archive host"),
        (f"http://lore.kernel.org/all/{ROOT_ID}/", "not a configured archive host"),
        (f"https://user:pw@lore.kernel.org/all/{ROOT_ID}/", "user name or password"),
        ("/etc/passwd", "local paths are not read"),
        ("file:///etc/passwd", "not a configured archive host"),
        ("no-at-sign-here", "not a Message-ID"),
        ("   ", "Give a lore thread URL"),
    ],
)
def test_anything_else_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        fetch_ref(text, LORE)


def test_uploads_over_the_cap_or_not_mbox_are_refused() -> None:
    check_upload("thread.mbox", len(THREAD), THREAD[:4096], cap=1024 * 1024)
    with pytest.raises(Refused, match="over the upload limit"):
        check_upload("big.mbox", 2 * 1024 * 1024, THREAD[:4096], cap=1024 * 1024)
    with pytest.raises(Refused, match="not an mbox"):
        check_upload("notes.txt", 12, b"Hello there\n", cap=1024)
    with pytest.raises(Refused, match="empty"):
        check_upload("empty.mbox", 0, b"", cap=1024)


# -- mail text never becomes markup --------------------------------------------------

HOSTILE = 'Hi <script>alert("x")</script> and <img src=x onerror="alert(1)"> & more\n> quoted <b>bold</b>\n'


def test_body_html_escapes_text_and_marks_offsets() -> None:
    start = HOSTILE.index("<script>")
    end = HOSTILE.index("& more")
    analysis = MessageAnalysis(
        "m@example.org",
        claims=(Claim("m@example.org", "pin-previous-behaviour", "for", 0.9, start, end, HOSTILE[start:end]),),
        mentions=(Mention("m@example.org", "behaviour", 'X"><script>', start + 8, start + 14, "alert("),),
        decisions=(Decision("m@example.org", "rejected", "x", None, 0.9, 0, 2, "Hi"),),
    )
    quote_at = HOSTILE.index("> quoted")
    blocks = (Block("own", 0, quote_at), Block("quote", quote_at, len(HOSTILE), depth=1))
    shown = markup.body_html(HOSTILE, blocks, markup.highlights(analysis))
    assert "<script" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in shown
    # The tooltip names the claim with its score (the analysis' confidence, 0.9 here).
    assert 'title="pin-previous-behaviour (for) 0.90; behaviour: X&quot;&gt;&lt;script&gt;"' in shown
    assert shown.count("<details>") == 1 and "quoted text (1 lines)" in shown
    assert 'class="hl decision"' in shown and 'class="hl claim-for"' in shown
    why = markup.evidence_html(HOSTILE, analysis)  # the labels' evidence: text from mail, escaped too
    assert "<script" not in why and "<img" not in why and "&lt;script&gt;" in why and "X&quot;&gt;" in why


def test_overlapping_highlights_stay_flat_and_cover_exactly_their_text() -> None:
    body = "alpha beta gamma delta"
    marks = [markup.Highlight(0, 10, "claim-for", "p"), markup.Highlight(6, 16, "mention", "b")]
    shown = markup.body_html(body, (), marks)
    assert shown.count("<span") == 3 and shown.count("</span>") == 3
    assert '<span class="hl claim-for mention"' in shown and ">beta</span>" in shown


def test_markdown_text_shows_markup_literally() -> None:
    shown = markup.markdown_text("**[x](javascript:alert(1))** <b>$x$</b> :red[y]")
    assert "\\*\\*\\[x\\]\\(javascript\\:alert\\(1\\)\\)\\*\\*" in shown
    assert "\\<b\\>\\$x\\$\\<\\/b\\>".replace("\\/", "/") in shown and "\\:red\\[y\\]" in shown


# -- Add data, through the page ------------------------------------------------------


@pytest.fixture
def add_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppTest, Path]]:
    db = tmp_path / "store" / "added.db"
    monkeypatch.setenv("ANALYZER_DB", str(db))
    monkeypatch.delenv("ANALYZER_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("ANALYZER_MAX_UPLOAD_MB", raising=False)
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    yield app.switch_page(ADD_DATA), db


def _errors(app: AppTest) -> str:
    return " ".join(e.value for e in app.error).replace("\\", "")


def _messages(db: Path) -> int:
    if not db.exists():
        return 0
    with Store.open(db) as store:
        return store.count("messages")


def test_a_url_on_another_host_is_refused_on_the_page(add_data: tuple[AppTest, Path]) -> None:
    app, db = add_data
    app.run()
    app.text_input[0].set_value(f"https://203.0.113.7/all/{ROOT_ID}/")
    app.button[0].click().run()
    assert "203.0.113.7 is not a configured archive host (allowed: lore.kernel.org)" in _errors(app)
    assert _messages(db) == 0 and not app.success


def test_an_upload_over_the_cap_is_refused_on_the_page(
    add_data: tuple[AppTest, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, db = add_data
    monkeypatch.setenv("ANALYZER_MAX_UPLOAD_MB", "0.001")
    app.run()
    app.file_uploader[0].set_value(("thread.mbox", THREAD, "application/mbox")).run()
    app.button(key="ingest_upload").click().run()
    assert "over the upload limit" in _errors(app) and "ANALYZER_MAX_UPLOAD_MB" in _errors(app)
    assert _messages(db) == 0


def test_an_upload_that_is_not_an_mbox_is_refused_on_the_page(add_data: tuple[AppTest, Path]) -> None:
    app, db = add_data
    app.run()
    app.file_uploader[0].set_value(("notes.txt", b"Just some notes\n", "text/plain")).run()
    app.button(key="ingest_upload").click().run()
    assert "notes.txt is not an mbox" in _errors(app)
    assert _messages(db) == 0


def test_an_uploaded_mbox_is_stored_and_analysed(add_data: tuple[AppTest, Path]) -> None:
    app, db = add_data
    app.run()
    app.file_uploader[0].set_value(("ctr.mbox", THREAD, "application/mbox")).run()
    app.button(key="ingest_upload").click().run()
    assert not app.exception and not app.error
    assert "2 new" in app.success[0].value
    assert _messages(db) == 2
    saved = list((db.parent / "uploads").glob("*.mbox"))
    assert len(saved) == 1 and saved[0].read_bytes() == THREAD


def test_a_thread_from_an_allowed_loopback_archive_is_fetched(
    add_data: tuple[AppTest, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, db = add_data
    with serve(LoreFixture({ROOT_ID: THREAD})) as lore:
        monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", lore.base)
        app.run()
        app.text_input[0].set_value(ROOT_ID)
        app.button[0].click().run()
        assert lore.hits[ROOT_ID] == 1
    assert not app.error, _errors(app)
    assert "2 new" in app.success[0].value and "1 threads analysed" in app.success[0].value
    assert _messages(db) == 2


@contextmanager
def redirecting_to(location: str) -> Iterator[str]:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", location + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_allowed_host_cannot_redirect_the_fetch_elsewhere(
    add_data: tuple[AppTest, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, db = add_data
    with serve(LoreFixture({ROOT_ID: THREAD})) as elsewhere, redirecting_to(elsewhere.base) as allowed:
        monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", allowed)
        app.run()
        app.text_input[0].set_value(ROOT_ID)
        app.button[0].click().run()
        assert elsewhere.hits[ROOT_ID] == 0
    assert "which is not a configured archive host" in _errors(app)
    assert _messages(db) == 0


def test_an_unreachable_archive_is_named_in_words_not_library_text(
    add_data: tuple[AppTest, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    app, db = add_data
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANALYZER_ALLOWED_HOSTS", f"http://127.0.0.1:{port}")
    app.run()
    app.text_input[0].set_value(ROOT_ID)
    app.button[0].click().run()
    shown = _errors(app)
    assert "Nothing was fetched: the archive could not be reached" in shown, shown
    assert "ConnectionPool" not in shown and "Errno" not in shown
    assert _messages(db) == 0


class _Trickle:
    """An upload arriving a chunk at a time that counts how much was read."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data, self.chunk, self.read_bytes = data, chunk, 0

    def read(self, size: int = -1) -> bytes:
        piece = self.data[self.read_bytes: self.read_bytes + min(size, self.chunk)]
        self.read_bytes += len(piece)
        return piece


def test_an_upload_is_streamed_to_disk_and_refused_as_soon_as_it_passes_the_cap(tmp_path: Path) -> None:
    from analyzer.dashboard import intake

    config = load_config(["--db", str(tmp_path / "s.db")], {})
    big = THREAD + b"x" * 10_000_000
    trickle = _Trickle(big, 1 << 20)
    with pytest.raises(Refused, match="over the upload limit"):
        intake.save_upload(config, "big.mbox", trickle, cap=3 << 20)  # type: ignore[arg-type]
    assert trickle.read_bytes <= 4 << 20 < len(big), "reading stopped at the cap"
    assert list((tmp_path / "uploads").iterdir()) == [], "nothing half-written is kept"
    saved = intake.save_upload(config, "ok.mbox", _Trickle(THREAD, 100), cap=3 << 20)  # type: ignore[arg-type]
    assert saved.read_bytes() == THREAD and saved.parent == tmp_path / "uploads"


def test_a_pull_requests_shortlog_and_diffstat_are_folded() -> None:
    body = "Paolo, please pull.\n\nAlice (2):\n  KVM: arm64: fix one\n  KVM: arm64: fix two\n\n x.c | 2 +-\n"
    at = body.index("Alice")
    shown = markup.body_html(body, (Block("own", 0, at), Block("pull", at, len(body))), [])
    assert shown.count("<details>") == 1 and "pull request: shortlog and diffstat" in shown
    assert shown.index("please pull") < shown.index("<details>")


def test_a_fetch_problem_is_read_from_its_words_not_from_numbers_inside_urls() -> None:
    from analyzer.dashboard.intake import fetch_problem

    refused = ("http://127.0.0.1:40441/x@y/t.mbox.gz redirects to 'http://127.0.0.1:34404/x@y/t.mbox.gz', "
               "which is not a configured archive host")
    assert "redirected elsewhere" in fetch_problem(refused)
    assert "no such thread" in fetch_problem("404 Client Error: Not Found for url: http://127.0.0.1:8000/x/t.mbox.gz")
    refused_connection = "HTTPConnectionPool(host='127.0.0.1', port=40404): Max retries exceeded (Connection refused)"
    assert "could not be reached" in fetch_problem(refused_connection)
    assert "no such thread" not in fetch_problem("the download stopped at http://127.0.0.1:40400/x")


def test_add_data_says_when_stored_messages_could_not_be_analysed(tmp_path: Path) -> None:
    """An upload whose messages were stored but some not segmented or analysed is not a
    plain success: the page's line says how many and where the reasons are."""
    from dataclasses import replace

    from analyzer.dashboard import intake, loaders

    config = load_config(["--db", str(tmp_path / "s.db")], {})
    saved = intake.save_upload(config, "ok.mbox", _Trickle(THREAD, 1 << 20), cap=3 << 20)  # type: ignore[arg-type]
    added = intake.add_upload_file(config, "ok.mbox", saved, annotator=loaders.annotator())
    assert intake.unprocessed(added) == 0 and "could not" not in intake.describe(added)
    report = replace(added.report, analysis=replace(added.report.analysis, failed=2))
    partial = replace(added, report=report)
    assert intake.unprocessed(partial) == 2
    assert "2 messages could not be segmented or analysed" in intake.describe(partial)
    assert "analyzer rejections" in intake.describe(partial)
