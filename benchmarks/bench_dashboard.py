"""Every dashboard page, cold and warm, in a real browser on a store built from the real archive.

    .venv/bin/python benchmarks/bench_dashboard.py --db /tmp/kvmarm.db [--build] [--runs 5]

``--build`` first builds the store from ``../shared/archives`` (ingest + analyze, a few
minutes; reuse the file afterwards). Then, for each page: a fresh ``streamlit run`` on
loopback (every cache empty) and Debian's headless Chromium (Playwright) time the first
load (**cold**), then ``--runs`` reloads of the same URL (**warm**, caches filled, a new
browser session each time as a reader opening a link would). A page counts as loaded
when its own content is drawn (table, chart, graph with nodes) and Streamlit reports the
script run finished, by the browser's own clock from the start of the tab's navigation
(the harness's own waiting — its polling and round trips — is printed beside it). Prints a Markdown table; figures are recorded in
docs/benchmarks-dashboard.md. Target: every page under 1.5 s warm and under 5 s cold.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "archives" / "kvmarm-columbia-0.git"
CHROMIUM = "/usr/bin/chromium"
GRAPH_NODE = "[data-testid='mlpaGraph'] svg g.node"


@dataclass(frozen=True)
class PageCheck:
    name: str
    path: str
    ready: str
    """CSS selector of what the page draws last."""
    heading: str
    """Text the page's content shows once it has run (tells a new page from the old one)."""
    graph: bool = False
    link: str = ""
    """The title of the sidebar link that opens the page, for in-session navigation."""


PAGES = (
    PageCheck("Overview", "/", "[data-testid='stDataFrame']", "threads", link="Overview"),
    PageCheck("Overview at /overview", "/overview", "[data-testid='stDataFrame']", "threads"),
    PageCheck("Thread (default: latest debate)", "/thread", "[data-testid='stHtml'] .mlpa-timeline", "Outcome:",
              graph=True, link="Thread"),
    PageCheck("People", "/people", "[data-testid='stVegaLiteChart']", "Automated senders", link="People"),
    PageCheck("Behaviours", "/behaviours", "[data-testid='stDataFrame']", "Where it was argued", link="Behaviours"),
    PageCheck("Decisions", "/decisions", "[data-testid='stDataFrame']", "Kinds", link="Decisions"),
    # the confidence cut-off: the cross-thread counts from the full tables instead of the totals
    PageCheck("Overview, cut-off 0.7", "/overview?min_confidence=0.70", "[data-testid='stDataFrame']", "threads"),
    PageCheck("People, cut-off 0.7", "/people?min_confidence=0.70", "[data-testid='stVegaLiteChart']",
              "Automated senders"),
    PageCheck("Behaviours, cut-off 0.7", "/behaviours?min_confidence=0.70", "[data-testid='stDataFrame']",
              "Where it was argued"),
    PageCheck("Decisions, cut-off 0.7", "/decisions?min_confidence=0.70", "[data-testid='stDataFrame']", "Kinds"),
    PageCheck("Search KVM_CAP_*", "/search?q=KVM_CAP_*", "[data-testid='stDataFrame']", "messages match"),
    PageCheck("Add data", "/add-data", "[data-testid='stFileUploader']", "upload", link="Add data"),
)


def build(db: Path) -> None:
    analyzer = [sys.executable, "-m", "analyzer"]
    subprocess.run([*analyzer, "ingest", str(ARCHIVE), "--db", str(db), "--no-progress"], check=True, cwd=ROOT)
    subprocess.run([*analyzer, "analyze", "--db", str(db), "--no-progress"], check=True, cwd=ROOT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def dashboard(db: Path) -> Iterator[str]:
    """A fresh server: every cache empty."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none", "--", "--db", str(db)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _drawn(page: Any, check: PageCheck) -> None:
    main = "[data-testid='stMain']"
    page.wait_for_selector(f"{main} {check.ready}", timeout=120_000)
    page.wait_for_function("(text) => document.querySelector(\"[data-testid='stMain']\").innerText.includes(text)",
                           arg=check.heading, timeout=120_000)
    if check.graph:
        page.wait_for_selector(f"{main} {GRAPH_NODE}", timeout=120_000)
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached", timeout=120_000)
    if page.locator("[data-testid='stException']").count():
        raise SystemExit(f"{check.name}: the page raised an exception")


# Runs in the page before its own scripts: notes, by the browser's clock (ms since the tab's
# navigation started), the first moment the page's own content is drawn (its graph with its
# nodes) and Streamlit's run is over.
DRAWN_JS = """
(check) => {
  window.__drawnAt = null;
  let queued = false;
  const look = () => {
    queued = false;
    if (window.__drawnAt !== null) return;
    const main = document.querySelector("[data-testid='stMain']");
    if (!main || !main.querySelector(check.ready) || !main.textContent.includes(check.heading)) return;
    if (check.graph && !main.querySelector(GRAPH_NODE)) return;
    if (!document.querySelector("[data-test-script-state='notRunning']")) return;
    window.__drawnAt = performance.now();
  };
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(look); } })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
}
""".replace("GRAPH_NODE", json.dumps(GRAPH_NODE))


@dataclass(frozen=True)
class Load:
    drawn: float
    """Seconds from the start of the tab's navigation to the page drawn, by the browser's clock."""
    harness: float
    """Seconds the harness waited (its polling and round trips to the browser included)."""
    busy: float
    """Seconds the browser's main thread worked for the load (CDP ``TaskDuration``)."""


def load(context: Any, url: str, check: PageCheck) -> Load:
    """Open the URL in a new tab and wait until the page is drawn and its run is over."""
    page = context.new_page()
    spec = json.dumps({"ready": check.ready, "heading": check.heading, "graph": check.graph})
    page.add_init_script(f"({DRAWN_JS})({spec})")
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    started = time.perf_counter()
    page.goto(url)
    _drawn(page, check)
    harness = time.perf_counter() - started
    page.wait_for_function("() => window.__drawnAt !== null", timeout=10_000)
    drawn = float(page.evaluate("window.__drawnAt")) / 1000
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    page.close()
    return Load(drawn, harness, float(metrics["TaskDuration"]))


def navigate(context: Any, url: str, check: PageCheck, start: PageCheck) -> float:
    """Seconds from a click on the page's sidebar link (from ``start``, already open) until
    the page is drawn: moving between pages within one session."""
    page = context.new_page()
    page.goto(url + start.path)
    _drawn(page, start)
    started = time.perf_counter()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=check.link).first.click()
    _drawn(page, check)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


SCRIPTS = {"Overview": "overview", "Overview at /overview": "overview", "Thread (default: latest debate)": "thread",
           "People": "people", "Behaviours": "behaviours", "Decisions": "decisions", "Search KVM_CAP_*": "search",
           "Overview, cut-off 0.7": "overview", "People, cut-off 0.7": "people", "Behaviours, cut-off 0.7": "behaviours",
           "Decisions, cut-off 0.7": "decisions",
           "Add data": "add_data"}


def script_seconds(db: Path, check: PageCheck, runs: int) -> tuple[float, float]:
    """(cold, warm median) seconds of the page's script run on the server alone (Streamlit's
    AppTest in this process, every cache cleared first): the part the dashboard's code
    decides, without the browser."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["ANALYZER_DB"] = str(db)
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    if check.name.startswith("Search"):
        app.session_state["search_query"] = "KVM_CAP_*"
    if "min_confidence=" in check.path:
        app.query_params["min_confidence"] = check.path.split("min_confidence=")[1]
    started = time.perf_counter()
    app.switch_page(f"analyzer/dashboard/pages/{SCRIPTS[check.name]}.py").run()
    cold = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"{check.name}: {app.exception[0].value}")
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--build", action="store_true", help="build the store from ../shared/archives first")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", nargs="*", default=[], metavar="NAME",
                        help="only the pages whose names start with these (default: every page)")
    options = parser.parse_args()
    if options.build:
        build(options.db)
    from playwright.sync_api import sync_playwright

    print("| page | server script run cold / warm (s) | browser cold: new server, first load, drawn (s) "
          "| **browser warm: new tab, drawn, median / max (s)** | the same, as the harness waited (s) "
          "| browser main-thread work, warm new tab (s) "
          "| browser warm: sidebar click within a session, median / max (s) |")
    print("|---|---|---|---|---|---|---|")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        for check in PAGES:
            if options.pages and not any(check.name.startswith(name) for name in options.pages):
                continue
            context = browser.new_context(viewport={"width": 1400, "height": 1400})
            script_cold, script_warm = script_seconds(options.db, check, options.runs)
            with dashboard(options.db) as url:
                cold = load(context, url + check.path, check)
                warm = [load(context, url + check.path, check) for _ in range(options.runs)]
                start = PAGES[-1] if check is not PAGES[-1] else PAGES[0]
                moved = [navigate(context, url, check, start) for _ in range(options.runs)] if check.link else []
            context.close()
            hop = f"{statistics.median(moved):.2f} / {max(moved):.2f}" if moved else "(no sidebar link)"
            drawn = [w.drawn for w in warm]
            print(f"| {check.name} | {script_cold:.2f} / {script_warm:.3f} | {cold.drawn:.2f} "
                  f"| {statistics.median(drawn):.2f} / {max(drawn):.2f} | {statistics.median(w.harness for w in warm):.2f} "
                  f"| {statistics.median(w.busy for w in warm):.2f} | {hop} |", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
