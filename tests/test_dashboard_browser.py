"""The dashboard in a real browser: a real ``streamlit run`` on a free loopback port,
Debian's headless Chromium driven by Playwright.

Skipped with a reason when Chromium or Playwright is missing, except under CI=true where
their absence fails. Screenshots go under pytest's tmp dir; their paths are printed.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer import api
from analyzer.graph.ids import anchor, message_node
from tests.conftest import CORPUS, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())
THREAD_A = MANIFEST["threads"][0]
HOSTILE_ID = "20260612101500.666-1-mallory@example.org"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        _unavailable("Playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def canary() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request: hostile mail points images at it, so
    a single hit means the browser treated mail text as markup."""
    hits: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def hostile_mbox(canary_url: str) -> bytes:
    # The author name travels RFC 2047-encoded, as a real mailer would send it.
    name = "=?utf-8?q?Mallory_=3Cscript=3Edocument=2Etitle=3D=27pwned-name=27=3Bwindow=2Epwned=3D1=3C=2Fscript=3E?="
    return f"""From mallory@example.org Fri Jun 12 10:15:00 2026
From: {name} <mallory@example.org>
To: kvmarm@lists.linux.dev
Subject: [PATCH] <img src="{canary_url}/subject.png" onerror="document.title='pwned-img'"> KVM: arm64: vgic: drop the check
Date: Fri, 12 Jun 2026 10:15:00 +0000
Message-ID: <{HOSTILE_ID}>
List-Id: <kvmarm.lists.linux.dev>
X-Synthetic: yes - written for the mlpa project, fictional participants

Userspace must be able to pin <b>every</b> register <img src="{canary_url}/body.png">.
<script>window.pwned = 2; document.title = 'pwned-body'</script>
Click <a href="javascript:document.title='pwned-link'">here</a> for the fix.

Signed-off-by: Mallory <mallory@example.org>
""".encode()


@pytest.fixture(scope="module")
def dashboard_db(tmp_path_factory: pytest.TempPathFactory, canary: tuple[str, list[str]]) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "dashboard.db"
    hostile = folder / "hostile.mbox"
    hostile.write_bytes(hostile_mbox(canary[0]))
    with api.sample_store(db) as store:
        api.add_sources(store, str(hostile))
        stored = store.message(HOSTILE_ID)
    assert stored is not None and "<script>" in stored.author_name and "<img" in stored.subject
    return db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_dashboard(db: Path) -> Iterator[str]:
    """A real Streamlit server on loopback showing ``db``; yields its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", "--", "--db", str(db)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(dashboard_db: Path, browser: Any) -> Iterator[str]:
    yield from serve_dashboard(dashboard_db)


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"streamlit exited early ({process.returncode}):\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer on {url} within 60 s")


GRAPH_NODES = "[data-testid='mlpaGraph'] svg g.node"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _open_thread(browser: Any, url: str, *, replies: bool = True, nodes: int = 0) -> Any:
    """The Thread page with its graph drawn; ``replies`` switches to the reply tree (one
    node per message, ``nodes`` of them) from the default argument map."""
    page = browser.new_page(viewport={"width": 1400, "height": 1700})
    page.goto(url)
    page.wait_for_selector(GRAPH_NODES, timeout=60_000)
    if replies:
        page.get_by_text("Who answered whom").first.click()
        if nodes:
            page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",
                                   arg=[GRAPH_NODES, nodes], timeout=30_000)
        else:
            page.wait_for_timeout(300)
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=60_000)
    return page


def test_thread_page_draws_graph_and_timeline_and_a_click_shows_the_message(
    browser: Any, server: str, dashboard_db: Path, tmp_path: Path
) -> None:
    root = THREAD_A["root_message_id"]
    page = _open_thread(browser, f"{server}/thread?thread={root}", nodes=len(THREAD_A["message_ids"]))
    assert page.locator(GRAPH_NODES).count() == len(THREAD_A["message_ids"])
    timeline = page.locator("[data-testid='stHtml'] .mlpa-timeline")
    timeline.wait_for(timeout=30_000)
    box = timeline.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 100, "the timeline is drawn at a readable size"
    marks = timeline.locator(".mlpa-event[title]")
    assert marks.count() > 0 and marks.first.bounding_box(), "every mark is drawn with its hover title"
    with api.open_store(dashboard_db) as store:
        debate = api.load_debate(store, [root])
    target = THREAD_A["message_ids"][6]
    info = debate.messages[target]
    assert info.author_name != debate.messages[root].author_name, "the panel must change on the click"
    node = page.locator(f"{GRAPH_NODES}#{anchor(message_node(target))}")
    node.click()
    expect(page.locator(f"{GRAPH_NODES}.mlpa-chosen")).to_have_attribute("id", anchor(message_node(target)),
                                                                         timeout=20_000)
    panel = page.locator("[data-testid='stHtml']").first
    expect(panel).to_contain_text(info.author_name, timeout=20_000)
    own_line = next(line for line in info.body.splitlines() if len(line) > 20 and not line.startswith(">"))
    assert info.author_name in panel.inner_text()
    assert " ".join(own_line.split()[:3]) in " ".join(panel.inner_text().split())
    shot = tmp_path / "thread-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    page.close()


def test_hostile_mail_is_shown_as_text_and_runs_nothing(
    browser: Any, server: str, canary: tuple[str, list[str]], tmp_path: Path
) -> None:
    page = _open_thread(browser, f"{server}/thread?thread={HOSTILE_ID}")
    page.locator("[data-testid='stHtml']").first.wait_for(timeout=20_000)
    page.wait_for_timeout(1500)  # give any injected script or image the time to fire
    text = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert "Mallory <script>document.title='pwned-name';window.pwned=1</script>" in text
    assert "<img src=" in text and "onerror=" in text
    assert "<script>window.pwned = 2; document.title = 'pwned-body'</script>" in text
    assert "pwned" not in page.title()
    assert page.evaluate("() => window.pwned === undefined")
    assert page.locator("a[href^='javascript:']").count() == 0
    assert canary[1] == [], f"the browser fetched {canary[1]} from mail text"
    shot = tmp_path / "hostile-thread.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    page.close()


def test_selecting_a_row_of_the_overview_opens_that_thread(browser: Any, server: str, dashboard_db: Path) -> None:
    from analyzer.dashboard import queries

    with api.open_store(dashboard_db) as store:
        bots = tuple(queries.automated_people(store.connection))
        first = queries.threads(store.connection, queries.ThreadQuery(), bots).rows.iloc[0]
        first_subject = str(first["subject"])
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(server)
    table = page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    page.wait_for_timeout(1000)  # the grid draws on a canvas after the element appears
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the selection cell of the first row
    page.wait_for_url("**/thread**", timeout=20_000)
    chosen = page.locator("[data-testid='stSelectbox'] input").first
    expect(chosen).to_have_value(re.compile(re.escape(first_subject)), timeout=20_000)
    page.close()


def test_selecting_a_decision_opens_its_message(browser: Any, server: str, dashboard_db: Path) -> None:
    from analyzer.dashboard import queries

    with api.open_store(dashboard_db) as store:
        debate = api.load_debate(store)
        first = queries.decisions(store.connection, None).rows.iloc[0]
    author = debate.messages[first["message_id"]].author_name
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{server}/decisions")
    table = page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    page.wait_for_timeout(1000)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    page.wait_for_url("**/thread**", timeout=20_000)
    expect(page.locator("[data-testid='stSelectbox'] input").nth(1)).to_have_value(re.compile(re.escape(author)))
    expect(page.locator("[data-testid='stHtml']").first).to_contain_text(first["evidence"].split("\n")[0][:30])
    page.close()
